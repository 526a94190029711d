// The SageMaker flow over real HTTP on loopback: the client library → local SageMaker runtime →
// Hono inference server → local S3 (s3rver), for a linear model and an MLP. Also every bad input
// with its status (the server still serving after each), the async failure object surfacing as a
// typed client error, timeouts and access denied.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createServer } from "node:http";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { S3Client, PutObjectCommand } from "@aws-sdk/client-s3";
import { SageMakerRuntimeClient } from "@aws-sdk/client-sagemaker-runtime";
import { LogisticRegression, MLPClassifier, ModelClient, packServer, packClient, packModelTarball, engine as E } from "blindml";
import { saveModel } from "blindml/node";
import { startLocalS3, startLocalRuntime, parseRuntimeConfig, s3ClientConfigFor, LOCAL_S3_CREDENTIALS } from "blindml/local";
import { startServer, createApp, silentLogger } from "blindml/server";
import {
  SageMakerInferenceClient, EndpointFailureError, EndpointModelMismatchError, InferenceTimeoutError, AccessDeniedError,
  SageMakerError, headObject, parseS3Uri, fetchModelClient,
} from "blindml/sagemaker";
import { readSharedDataset } from "../bench/lib/datasets.js";

// the SDK's notice that its 2027 releases will need Node 22 is noise in test output
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";

const BUCKET = "blindml";
const cancer = readSharedDataset("breast_cancer");
const rows = (X, from, n) => Array.from({ length: n }, (_, r) => Array.from(X.data.slice((from + r) * X.cols, (from + r + 1) * X.cols)));

// --- the stack: local S3, two inference servers (linear, MLP), a stalled container, the runtime ---
const work = await mkdtemp(join(tmpdir(), "blindml-sagemaker-test-"));
const s3 = await startLocalS3({ directory: join(work, "s3"), buckets: [BUCKET] });
const s3client = s3.client();

const logistic = new LogisticRegression().fit(cancer.train.X, cancer.train.y).compile(cancer.train.X);
await saveModel(logistic, join(work, "linear"));
const mlp = new MLPClassifier({ hidden: [4], epochs: 30, seed: 5 }).fit(cancer.train.X, cancer.train.y).compile(cancer.train.X);
const mlpTarball = await packModelTarball(packServer(mlp.modelName, mlp.circuit), packClient(mlp.modelName, mlp.circuit, mlp.clientSpec));
await writeFile(join(work, "mlp-model.tar.gz"), mlpTarball);
await mkdir(join(work, "mlp"));
await writeFile(join(work, "mlp", "model.tar.gz"), mlpTarball); // the tarball path of model loading

const LIMITS = { maxQueryBytes: 1 << 20, maxKeyBytes: 64 << 20 };
const linearLogs = [];
const mlpLogs = [];
const linear = await startServer({ modelDir: join(work, "linear"), host: "127.0.0.1", port: 0, s3: s3.clientConfig, limits: LIMITS, logger: (r) => linearLogs.push(r) });
// two worker threads, as a container with two cores runs it
const mlpServer = await startServer({ modelDir: join(work, "mlp"), host: "127.0.0.1", port: 0, s3: s3.clientConfig, limits: LIMITS, logger: (r) => mlpLogs.push(r), modelOptions: { workers: 2 } });
await Promise.all([linear.model, mlpServer.model]);

// a container that accepts requests and never answers: for the invocation timeout
const stalled = createServer(() => undefined);
await new Promise((resolve) => stalled.listen(0, "127.0.0.1", resolve));

const endpoint = (containerUrl, name, extra = {}) => ({
  containerUrl, outputPath: `s3://${BUCKET}/async/${name}/output`, failurePath: `s3://${BUCKET}/async/${name}/failure`, ...extra,
});
const runtime = await startLocalRuntime({
  s3: s3.client(),
  config: parseRuntimeConfig({
    endpoints: {
      linear: endpoint(linear.url, "linear", { maxConcurrentInvocations: 2 }),
      mlp: endpoint(mlpServer.url, "mlp"),
      stalled: endpoint(`http://127.0.0.1:${stalled.address().port}`, "stalled"),
    },
  }),
});
const runtimeClient = new SageMakerRuntimeClient({ endpoint: runtime.url, region: "us-east-1", credentials: LOCAL_S3_CREDENTIALS });

const clientZip = await readFile(join(work, "linear", "client.zip"));
const linearModelClient = (await ModelClient.load(clientZip)).generateKeys();
const FAST_POLL = { initialDelayMs: 20, maxDelayMs: 200, timeoutMs: 20_000 };
const inferenceClient = (model, endpointName, extra = {}) =>
  new SageMakerInferenceClient({ model, s3: s3client, runtime: runtimeClient, endpointName, uploadPrefix: `s3://${BUCKET}/clients/${endpointName}`, poll: FAST_POLL, ...extra });

const invocations = (logs) => logs.filter((r) => r.msg === "invocation");
const lastInvocation = (logs) => invocations(logs).at(-1);

async function postInvocation(server, body) {
  const response = await fetch(`${server.url}/invocations`, { method: "POST", headers: { "content-type": "application/json" }, body: typeof body === "string" ? body : JSON.stringify(body) });
  const type = response.headers.get("content-type") ?? "";
  return { status: response.status, body: type.includes("json") ? await response.json() : new Uint8Array(await response.arrayBuffer()) };
}

async function put(key, bytes) {
  await s3client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: bytes }));
  return `s3://${BUCKET}/${key}`;
}

async function expectRejects(promise, ErrorClass, check = () => undefined) {
  try {
    await promise;
  } catch (e) {
    assert.instance(e, ErrorClass, `${e?.name}: ${e?.message}`);
    check(e);
    return e;
  }
  assert.unreachable(`expected ${ErrorClass.name}`);
}

test.after(async () => {
  await runtime.close();
  stalled.closeAllConnections();
  stalled.close();
  await Promise.all([linear.shutdown(1000), mlpServer.shutdown(1000)]);
  await s3.close();
  linearModelClient.free();
  mlp.free();
  await rm(work, { recursive: true, force: true });
});

test("/ping answers 200 once the model is loaded", async () => {
  for (const server of [linear, mlpServer]) assert.is((await fetch(`${server.url}/ping`)).status, 200);
});

test("linear: async end to end over loopback equals the quantized clear predictions", async () => {
  const stages = [];
  const client = inferenceClient(linearModelClient, "linear", { onProgress: (e) => stages.push(e.stage) });
  const X = rows(cancer.test.X, 0, 8);
  const result = await client.predict(X);
  assert.equal(result.predictions, logistic.predict(X));
  assert.is(result.mode, "async");
  assert.ok(result.bytes.query > 0 && result.bytes.result > 0);
  assert.equal([...new Set(stages)], ["keys", "encrypt", "upload", "invoke", ...(stages.includes("wait") ? ["wait"] : []), "download", "done"]);
  const output = await headObject(s3client, parseS3Uri(`s3://${BUCKET}/async/linear/output/${result.inferenceId}.out`));
  assert.is(output?.size, result.bytes.result, "the runtime wrote <inference-id>.out to the output path");
  const log = lastInvocation(linearLogs);
  assert.is(log.status, 200);
  assert.is(log.id, result.inferenceId, "the runtime passes the inference id on");
  assert.is(log.queryBytes, result.bytes.query);
  assert.ok(log.ms.total >= 0 && log.ms.evaluate >= 0);
});

test("linear: the synchronous InvokeEndpoint path gives the same predictions", async () => {
  const X = rows(cancer.test.X, 8, 4);
  const result = await inferenceClient(linearModelClient, "linear").predict(X, { mode: "sync" });
  assert.equal(result.predictions, logistic.predict(X));
  assert.is(result.mode, "sync");
});

test("bad inputs: each gets its status and code, and the server keeps serving", async () => {
  const good = await inferenceClient(linearModelClient, "linear").predict(rows(cancer.test.X, 0, 1)); // puts keys in S3
  const keysUri = good.keys.uri;
  const query = linearModelClient.encrypt(rows(cancer.test.X, 0, 2));
  const queryUri = await put("bad-inputs/good.query", query);
  const other = new LogisticRegression({ l2: 10 }).fit(cancer.train.X, cancer.train.y).compile(cancer.train.X);
  const otherClient = (await ModelClient.load(packClient(other.modelName, other.circuit, other.clientSpec))).generateKeys();
  const cases = [
    ["malformed JSON", "{not json", 400, "MALFORMED_JSON"],
    ["not an object", "[1, 2]", 400, "MALFORMED_REQUEST"],
    ["missing field", { evaluation_keys_uri: keysUri }, 400, "MISSING_FIELD"],
    ["non-s3 URI", { evaluation_keys_uri: keysUri, encrypted_query_uri: "https://example.com/q" }, 400, "BAD_URI"],
    ["bad bucket name", { evaluation_keys_uri: keysUri, encrypted_query_uri: "s3://Bad_Bucket/q" }, 400, "BAD_URI"],
    ["missing object", { evaluation_keys_uri: keysUri, encrypted_query_uri: `s3://${BUCKET}/bad-inputs/none.query` }, 404, "NO_SUCH_OBJECT"],
    ["missing bucket", { evaluation_keys_uri: keysUri, encrypted_query_uri: "s3://no-such-bucket/q" }, 404, "NO_SUCH_BUCKET"],
    ["missing keys", { evaluation_keys_uri: `s3://${BUCKET}/bad-inputs/none.keys`, encrypted_query_uri: queryUri }, 404, "NO_SUCH_OBJECT"],
    ["truncated query", { evaluation_keys_uri: keysUri, encrypted_query_uri: await put("bad-inputs/truncated.query", query.subarray(0, query.length - 9)) }, 422, undefined],
    ["query of another model", { evaluation_keys_uri: keysUri, encrypted_query_uri: await put("bad-inputs/other.query", otherClient.encrypt(rows(cancer.test.X, 0, 1))) }, 422, "BLINDML_MODEL_MISMATCH"],
    ["keys object instead of a query", { evaluation_keys_uri: keysUri, encrypted_query_uri: await put("bad-inputs/random.query", new Uint8Array(4096).fill(7)) }, 422, undefined],
    ["oversized query object", { evaluation_keys_uri: keysUri, encrypted_query_uri: await put("bad-inputs/big.query", new Uint8Array(LIMITS.maxQueryBytes + 1)) }, 413, "TOO_LARGE"],
    ["oversized request body", JSON.stringify({ evaluation_keys_uri: keysUri, encrypted_query_uri: queryUri, pad: "x".repeat(70_000) }), 413, "TOO_LARGE"],
  ];
  for (const [name, body, status, code] of cases) {
    const answer = await postInvocation(linear, body);
    assert.is(answer.status, status, `${name}: ${JSON.stringify(answer.body)}`);
    assert.type(answer.body.error, "string", name);
    if (code) assert.is(answer.body.code, code, name);
    else assert.match(answer.body.code, /^BLINDML_(CORRUPT|FORMAT|KIND_MISMATCH)$/, name);
    assert.is((await fetch(`${linear.url}/ping`)).status, 200, `still healthy after ${name}`);
  }
  // the keys' size is checked from HeadObject before any download (an app with a tiny key limit)
  const strict = createApp({ modelServer: await linear.model, s3: s3client, limits: { maxKeyBytes: 100 }, logger: silentLogger });
  const big = await strict.request("/invocations", {
    method: "POST",
    body: JSON.stringify({ evaluation_keys_uri: await put("bad-inputs/big.keys", new Uint8Array(4096)), encrypted_query_uri: queryUri }),
  });
  assert.is(big.status, 413);
  assert.match((await big.json()).error, "evaluation_keys_uri");

  const again = await postInvocation(linear, { evaluation_keys_uri: keysUri, encrypted_query_uri: queryUri });
  assert.is(again.status, 200, "a good request still works after all of them");
  assert.equal(linearModelClient.decrypt(again.body).predictions, logistic.predict(rows(cancer.test.X, 0, 2)));
  assert.is((await fetch(`${linear.url}/nowhere`)).status, 404);
  for (const record of invocations(linearLogs)) assert.ok(JSON.stringify(record).length < 4000, "log lines carry sizes, never bytes");
  otherClient.free();
  other.free?.();
});

test("async failure: the runtime writes <id>-error.out and the client throws a typed error", async () => {
  const other = new LogisticRegression({ l2: 10 }).fit(cancer.train.X, cancer.train.y).compile(cancer.train.X);
  const otherModel = (await ModelClient.load(packClient(other.modelName, other.circuit, other.clientSpec))).generateKeys();
  const client = inferenceClient(otherModel, "linear");
  const error = await expectRejects(client.predict(rows(cancer.test.X, 0, 1)), EndpointModelMismatchError, (e) => {
    assert.is(e.code, "BLINDML_MODEL_MISMATCH");
    assert.is(e.details.status, 422);
    assert.is(e.details.remoteCode, "BLINDML_MODEL_MISMATCH");
    assert.match(e.message, "circuit");
  });
  assert.instance(error, EndpointFailureError);
  assert.ok(error.details.failureLocation.endsWith(`/async/linear/failure/${error.details.inferenceId}-error.out`));
  assert.ok(await headObject(s3client, parseS3Uri(error.details.failureLocation)), "the failure object exists");
  // the synchronous path reports the same failure through SageMaker's ModelError
  await expectRejects(client.predict(rows(cancer.test.X, 0, 1), { mode: "sync" }), EndpointModelMismatchError, (e) => assert.is(e.details.status, 422));
  assert.is((await fetch(`${linear.url}/ping`)).status, 200);
  otherModel.free();
});

test("timeouts: the runtime honours InvocationTimeoutSeconds; the client gives up after its own limit", async () => {
  const started = performance.now();
  await expectRejects(
    inferenceClient(linearModelClient, "stalled", { invocationTimeoutSeconds: 1 }).predict(rows(cancer.test.X, 0, 1)),
    EndpointFailureError,
    (e) => assert.is(e.details.remoteCode, "INVOCATION_TIMEOUT"),
  );
  assert.ok(performance.now() - started < 10_000);
  await expectRejects(
    inferenceClient(linearModelClient, "stalled", { invocationTimeoutSeconds: 2, poll: { ...FAST_POLL, timeoutMs: 300 } }).predict(rows(cancer.test.X, 0, 1)),
    InferenceTimeoutError,
    (e) => assert.is(e.code, "BLINDML_TIMEOUT"),
  );
});

test("access denied and unknown endpoints surface as typed errors", async () => {
  // (s3rver refuses unknown access key ids; it does not verify header signatures)
  const badS3 = new S3Client(s3ClientConfigFor(s3.endpoint, { accessKeyId: "SOMEONE-ELSE", secretAccessKey: "wrong" }));
  await expectRejects(
    new SageMakerInferenceClient({ model: linearModelClient, s3: badS3, runtime: runtimeClient, endpointName: "linear", uploadPrefix: `s3://${BUCKET}/denied` }).predict(rows(cancer.test.X, 0, 1)),
    AccessDeniedError,
    (e) => assert.is(e.code, "BLINDML_ACCESS_DENIED"),
  );
  await expectRejects(inferenceClient(linearModelClient, "nope").predict(rows(cancer.test.X, 0, 1)), SageMakerError, (e) => {
    assert.is(e.code, "BLINDML_TRANSPORT");
    assert.match(e.message, "not found");
  });
});

test("MLP: end to end with evaluation keys uploaded once; the second query hits both key caches", async () => {
  // the client artifact comes from S3, as model.tar.gz, the way a deployed model's owner shares it
  const model = (await fetchModelClient(s3client, await put("models/mlp/model.tar.gz", mlpTarball))).generateKeys();
  const client = inferenceClient(model, "mlp");
  // rows far from the decision boundary: the bootstraps' rounding noise may flip a close call
  // (mode "simulate" models it), and this test is about transport, not about noise
  const candidates = rows(cancer.test.X, 0, 20);
  const clear = mlp.scores(candidates);
  const X = candidates.filter((_, r) => Math.abs(clear[r][0] - clear[r][1]) > 0.3).slice(0, 2);
  assert.is(X.length, 2);
  const first = await client.predict(X);
  assert.equal(first.predictions, mlp.predict(X));
  assert.ok(first.keys.uploaded && first.keys.bytes > 1e6, "first query uploads the keys");
  assert.is(lastInvocation(mlpLogs).keyCacheHit, false);
  assert.is(lastInvocation(mlpLogs).keyDownloadSkipped, false);

  const second = await client.predict(X);
  assert.equal(second.predictions, first.predictions);
  assert.is(second.keys.uploaded, false, "no second key upload");
  assert.is(second.keys.uri, first.keys.uri);
  const log = lastInvocation(mlpLogs);
  assert.is(log.keyCacheHit, true, "expanded keys from the ModelServer's cache");
  assert.is(log.keyDownloadSkipped, true, "compressed keys not downloaded again");
  assert.is(log.keyBytes, first.keys.bytes);
  assert.ok(log.ms.keys < lastInvocation(mlpLogs).ms.total);

  // another client instance with the same keys finds them in S3 (HEAD) and does not upload
  const third = await inferenceClient(model, "mlp").predict(X, { mode: "sync" });
  assert.is(third.keys.uploaded, false);
  assert.equal(third.predictions, first.predictions);
  model.free();
});

test("MLP: evaluation keys of another parameter set are refused with 422", async () => {
  const otherSet = E.PARAMETER_SETS["1_1"];
  assert.is.not(mlp.circuit.parameterSet, "1_1");
  const engine = await E.loadEngine();
  const foreignKey = engine.generateClientKey(otherSet);
  const foreignKeys = foreignKey.generateEvaluationKeys().serialize();
  foreignKey.free();
  const model = (await ModelClient.load(mlpTarball)).generateKeys();
  const answer = await postInvocation(mlpServer, {
    evaluation_keys_uri: await put("bad-inputs/keys-1_1.bin", foreignKeys),
    encrypted_query_uri: await put("bad-inputs/mlp.query", model.encrypt(rows(cancer.test.X, 0, 1))),
  });
  assert.is(answer.status, 422, JSON.stringify(answer.body));
  assert.is(answer.body.code, "BLINDML_PARAMETER_MISMATCH");
  assert.is((await fetch(`${mlpServer.url}/ping`)).status, 200);
  model.free();
});

test("shutdown: /ping and /invocations answer 503 while draining, then the server stops", async () => {
  const dir = join(work, "linear");
  const logs = [];
  const server = await startServer({ modelDir: dir, host: "127.0.0.1", port: 0, s3: s3.clientConfig, logger: (r) => logs.push(r) });
  await server.model;
  assert.is((await server.app.request("/ping")).status, 200);
  const outcome = await server.shutdown(1000);
  assert.equal(outcome, { finished: true, abandoned: 0 });
  assert.is((await server.app.request("/ping")).status, 503);
  const refused = await server.app.request("/invocations", { method: "POST", body: "{}" });
  assert.is(refused.status, 503);
  assert.is((await refused.json()).code, "SHUTTING_DOWN");
  assert.ok(logs.some((r) => r.msg === "stopped"));
  await fetch(`${server.url}/ping`).then(() => assert.unreachable("the port is closed"), () => undefined);
});

test.run();
