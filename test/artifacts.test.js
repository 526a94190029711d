// Artifacts: save → load → client encrypt → server run → client decrypt; version refusal;
// wrong-model and damaged inputs; and no secret key in anything the server holds or receives.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { strToU8, unzipSync, zipSync } from "fflate";
import {
  LogisticRegression, MLPClassifier, ModelClient, ModelServer, packServer, packClient, packModelTarball,
  ArtifactError, ModelMismatchError, engine as E,
} from "blindml";
import { readSharedDataset } from "../bench/lib/datasets.js";

const cancer = readSharedDataset("breast_cancer");
const rows = (X, from, n) => Array.from({ length: n }, (_, r) => Array.from(X.data.slice((from + r) * X.cols, (from + r + 1) * X.cols)));
const logistic = new LogisticRegression().fit(cancer.train.X, cancer.train.y).compile(cancer.train.X);
const serverZip = packServer(logistic.modelName, logistic.circuit);
const clientZip = packClient(logistic.modelName, logistic.circuit, logistic.clientSpec);

test("linear model: client.zip + server.zip round trip decrypts the quantized predictions", async () => {
  const client = (await ModelClient.load(clientZip)).generateKeys();
  const server = await ModelServer.load(serverZip);
  const X = rows(cancer.test.X, 0, 6);
  const query = client.encrypt(X);
  assert.ok(query.length < 6 * 30 * 8 + 200, `query is ${query.length} bytes (8 per value + header)`);
  assert.is(client.evaluationKeys().length, 0, "a leveled model needs no evaluation keys");
  const result = await server.run(query, client.evaluationKeys());
  const { predictions, probabilities } = client.decrypt(result);
  assert.equal(predictions, logistic.predict(X));
  probabilities.forEach((p) => assert.ok(p.length === 2 && Math.abs(p[0] + p[1] - 1) < 1e-9));
  client.free();
  server.free();
});

test("MLP: model.tar.gz round trip with evaluation keys; the second query hits the key cache", async () => {
  const mlp = new MLPClassifier({ hidden: [4], epochs: 30, seed: 5 }).fit(cancer.train.X, cancer.train.y).compile(cancer.train.X);
  const tarball = await packModelTarball(packServer(mlp.modelName, mlp.circuit), packClient(mlp.modelName, mlp.circuit, mlp.clientSpec));
  const client = (await ModelClient.load(tarball)).generateKeys();
  const server = await ModelServer.load(tarball);
  const keys = client.evaluationKeys();
  assert.ok(keys.length > 1e6, "a bootstrapping model needs evaluation keys");
  // one test row of each predicted class, the farthest from the decision boundary in the clear
  // model: FHE may flip a row within its noise of the boundary, which is not what this tests
  const all = mlp.scores(cancer.test.X).map((s, r) => ({ r, margin: s[1] - s[0] }));
  const pick = [all.reduce((a, b) => (b.margin < a.margin ? b : a)).r, all.reduce((a, b) => (b.margin > a.margin ? b : a)).r];
  const X = { rows: 2, cols: cancer.test.X.cols, data: Float64Array.from(pick.flatMap((r) => Array.from(cancer.test.X.data.slice(r * cancer.test.X.cols, (r + 1) * cancer.test.X.cols)))) };
  const first = client.decrypt(await server.run(client.encrypt(X), keys));
  assert.equal(first.predictions, mlp.predict(X));
  assert.is(server.lastRun.keyCacheHit, false);
  const second = client.decrypt(await server.run(client.encrypt(X), keys));
  assert.is(server.lastRun.keyCacheHit, true);
  assert.equal(first.predictions.length, 2);
  assert.equal(second.predictions, first.predictions);
  const clear = mlp.scores(X);
  first.scores.forEach((s, r) => s.forEach((v, j) => assert.ok(Math.abs(v - clear[r][j]) < 0.5 * Math.abs(clear[r][1] - clear[r][0]) + 1, `score ${v} vs ${clear[r][j]}`)));
  // exported keys restore the same client
  const restored = (await ModelClient.load(tarball)).importKeys(client.exportKeys());
  assert.equal(restored.decrypt(await server.run(client.encrypt(X), keys)).predictions, first.predictions);
  client.free(); restored.free(); server.free(); mlp.free();
});

function withManifest(zip, edit) {
  const files = unzipSync(zip);
  const m = JSON.parse(new TextDecoder().decode(files["manifest.json"]));
  files["manifest.json"] = strToU8(JSON.stringify(edit(m)));
  return zipSync(files);
}

test("format versions: another major is refused naming both versions; a newer minor is read", async () => {
  for (const [zip, load] of [[serverZip, ModelServer.load], [clientZip, ModelClient.load]]) {
    try {
      await load(withManifest(zip, (m) => ({ ...m, formatVersion: "2.0" })));
      assert.unreachable();
    } catch (e) {
      assert.instance(e, ArtifactError);
      assert.match(e.message, "2.0");
      assert.match(e.message, "1.x");
    }
    await load(withManifest(zip, (m) => ({ ...m, formatVersion: "1.9" })));
  }
});

test("a query for another model, a truncated query and a damaged zip get typed errors", async () => {
  const other = new LogisticRegression({ l2: 10 }).fit(cancer.train.X, cancer.train.y).compile(cancer.train.X);
  const otherClient = (await ModelClient.load(packClient(other.modelName, other.circuit, other.clientSpec))).generateKeys();
  const server = await ModelServer.load(serverZip);
  const foreign = otherClient.encrypt(rows(cancer.test.X, 0, 1));
  await server.run(foreign, new Uint8Array(0)).then(() => assert.unreachable(), (e) => assert.instance(e, ModelMismatchError));
  await server.run(foreign.subarray(0, foreign.length - 9), new Uint8Array(0)).then(() => assert.unreachable(), (e) => assert.instance(e, E.BlindmlError));
  await ModelServer.load(serverZip.subarray(0, 50)).then(() => assert.unreachable(), (e) => assert.instance(e, ArtifactError));
  // the server still serves
  const client = (await ModelClient.load(clientZip)).generateKeys();
  assert.equal(client.decrypt(await server.run(client.encrypt(rows(cancer.test.X, 0, 1)), new Uint8Array(0))).predictions.length, 1);
  otherClient.free(); client.free(); server.free();
});

test("no secret on the server: the client key appears in no artifact, key, query or result", async () => {
  const mlp = new MLPClassifier({ hidden: [2], epochs: 10, seed: 1 }).fit(cancer.train.X, cancer.train.y).compile(cancer.train.X);
  const sZip = packServer(mlp.modelName, mlp.circuit), cZip = packClient(mlp.modelName, mlp.circuit, mlp.clientSpec);
  const client = (await ModelClient.load(cZip)).generateKeys();
  const server = await ModelServer.load(sZip);
  const keys = client.evaluationKeys();
  const query = client.encrypt(rows(cancer.test.X, 0, 1));
  const result = await server.run(query, keys);
  const secret = E.decodeObject(client.exportKeys().clientKey).payload;
  const serverSide = [sZip, cZip, keys, query, result].map((b) => Buffer.from(b));
  for (let at = 0; at + 32 <= secret.length; at += 32) {
    const chunk = Buffer.from(secret.subarray(at, at + 32));
    if (chunk.every((b) => b === 0)) continue;
    serverSide.forEach((bytes, i) => assert.is(bytes.indexOf(chunk), -1, `secret chunk ${at} found in server-side object ${i}`));
  }
  for (const value of Object.values(server)) assert.not.instance(value, E.ClientKey);
  client.free(); server.free(); mlp.free();
});

test.run();
