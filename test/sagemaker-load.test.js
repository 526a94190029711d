// The local stack under concurrent use and under shutdown, over real HTTP on loopback:
//   - 16 clients with their own secret keys at once on a linear model: each decrypts its own
//     correct predictions;
//   - 3 clients with distinct evaluation keys at once on a bootstrapped MLP (more key sets than
//     the server caches, so one is evicted while others run);
//   - SIGTERM to the serving process (container/serve) in the middle of an evaluation: it exits 0,
//     and the invocation ends in the failure path (short grace period) or completes (long one) —
//     the client gets a result or a typed failure, never a hang.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LogisticRegression, MLPClassifier } from "blindml";
import { saveModel } from "blindml/node";
import { startLocalStack } from "blindml/server";
import { SageMakerInferenceClient, EndpointFailureError, fetchModelClient, headObject, parseS3Uri } from "blindml/sagemaker";
import { readSharedDataset } from "../bench/lib/datasets.js";
import { SERVE, childEnv, startProcess, freePort, waitForStatus } from "./processes.js";

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";

const cancer = readSharedDataset("breast_cancer");
const rows = (from, n) => Array.from({ length: n }, (_, r) => Array.from(cancer.test.X.data.slice((from + r) * cancer.test.X.cols, (from + r + 1) * cancer.test.X.cols)));
const work = await mkdtemp(join(tmpdir(), "blindml-load-"));
const POLL = { initialDelayMs: 20, maxDelayMs: 250, timeoutMs: 120_000 };
const cleanups = [];

test.after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await rm(work, { recursive: true, force: true });
});

/** Test rows whose clear scores are far from a tie: the bootstraps' rounding noise cannot flip them. */
function clearRows(model, from, n, margin = 0.3) {
  const candidates = rows(from, 40);
  const scores = model.scores(candidates);
  return candidates.filter((_, r) => Math.abs(scores[r][0] - scores[r][1]) > margin).slice(0, n);
}

function clientFor(stack, model, name, extra = {}) {
  return new SageMakerInferenceClient({
    model, s3: stack.s3Client(), runtime: stack.runtimeClient(), endpointName: stack.endpointName,
    uploadPrefix: `s3://${stack.bucket}/clients/${name}`, poll: POLL, ...extra,
  });
}

const hex = (bytes) => Buffer.from(bytes).toString("hex");

test("16 concurrent clients with their own keys on a linear model: every prediction decrypts correct", async () => {
  const logistic = new LogisticRegression().fit(cancer.train.X, cancer.train.y).compile(cancer.train.X);
  await saveModel(logistic, join(work, "linear"));
  const logs = [];
  const stack = await startLocalStack({ modelDir: join(work, "linear"), endpointName: "linear", maxConcurrentInvocations: 4, workers: 1, serverLog: (r) => logs.push(r) });
  cleanups.push(() => stack.close());

  const models = await Promise.all(Array.from({ length: 16 }, async () => (await fetchModelClient(stack.s3Client(), stack.modelUri)).generateKeys()));
  const secretKeys = new Set(models.map((m) => hex(m.exportKeys().clientKey)));
  assert.is(secretKeys.size, 16, "every client drew its own secret key");
  assert.is(models[0].evaluationKeys().length, 0, "a leveled model needs no evaluation keys");

  const results = await Promise.all(models.map((model, i) => clientFor(stack, model, `linear-${i}`).predict(rows(i * 3, 3))));
  results.forEach((result, i) => assert.equal(result.predictions, logistic.predict(rows(i * 3, 3)), `client ${i}`));
  assert.is(new Set(results.map((r) => r.inferenceId)).size, 16);
  // another client's key does not decrypt a result: the scores come out as noise
  const foreign = models[1].decrypt(await (await stack.s3Client().send(await getOutput(stack, results[0].inferenceId))).Body.transformToByteArray());
  const own = models[0].decrypt(await (await stack.s3Client().send(await getOutput(stack, results[0].inferenceId))).Body.transformToByteArray());
  assert.not.equal(foreign.scores, own.scores, "the result is bound to client 0's key");
  assert.is(logs.filter((r) => r.msg === "invocation" && r.status === 200).length, 16);
  models.forEach((m) => m.free());
  logistic.free?.();
});

async function getOutput(stack, inferenceId) {
  const { GetObjectCommand } = await import("@aws-sdk/client-s3");
  const { bucket, key } = parseS3Uri(`${stack.outputPath}/${inferenceId}.out`);
  return new GetObjectCommand({ Bucket: bucket, Key: key });
}

test("3 concurrent clients with distinct evaluation keys on a bootstrapped MLP", async () => {
  const mlp = new MLPClassifier({ hidden: [4], epochs: 30, seed: 5 }).fit(cancer.train.X, cancer.train.y).compile(cancer.train.X);
  await saveModel(mlp, join(work, "mlp"));
  const logs = [];
  // 3 in flight at once, 2 expanded key sets cached: one is evicted while in use and freed after
  const stack = await startLocalStack({ modelDir: join(work, "mlp"), endpointName: "mlp", maxConcurrentInvocations: 3, workers: 2, serverLog: (r) => logs.push(r) });
  cleanups.push(() => stack.close());
  const X = clearRows(mlp, 0, 2);
  assert.is(X.length, 2);

  const models = await Promise.all([0, 1, 2].map(async () => (await fetchModelClient(stack.s3Client(), stack.modelUri)).generateKeys()));
  const results = await Promise.all(models.map((model, i) => clientFor(stack, model, `mlp-${i}`).predict(X)));
  results.forEach((result, i) => {
    assert.equal(result.predictions, mlp.predict(X), `client ${i}`);
    assert.ok(result.keys.uploaded && result.keys.bytes > 1e6, `client ${i} uploaded its evaluation keys`);
  });
  assert.is(new Set(results.map((r) => r.keys.uri)).size, 3, "three distinct evaluation-key objects");
  const invocations = logs.filter((r) => r.msg === "invocation");
  assert.is(invocations.length, 3);
  assert.ok(invocations.every((r) => r.status === 200 && r.keyCacheHit === false), JSON.stringify(invocations));

  // each client again: the two most recent key sets are still expanded, the evicted one is expanded again
  const again = await Promise.all(models.map((model, i) => clientFor(stack, model, `mlp-${i}`).predict(X)));
  again.forEach((result, i) => {
    assert.equal(result.predictions, mlp.predict(X), `client ${i}, second query`);
    assert.is(result.keys.uploaded, false);
  });
  models.forEach((m) => m.free());
  mlp.free();
});

// ---- SIGTERM during an evaluation ----

/** An MLP whose evaluation of 3 rows takes seconds (64 bootstraps a row) and its stack, with the server as a child process. */
async function slowModelStack() {
  const mlp = new MLPClassifier({ hidden: [64], epochs: 20, seed: 3 }).fit(cancer.train.X, cancer.train.y).compile(cancer.train.X);
  await saveModel(mlp, join(work, "slow"));
  const port = await freePort();
  const stack = await startLocalStack({ containerUrl: `http://127.0.0.1:${port}`, endpointName: "slow" });
  cleanups.push(() => stack.close());
  const model = (await fetchModelClient(stack.s3Client(), await uploadClient(stack))).generateKeys();
  return { mlp, port, stack, model, X: clearRows(mlp, 0, 3, 0.5) };
}

async function uploadClient(stack) {
  const { uploadModel } = await import("blindml/server");
  return uploadModel(stack.s3Client(), join(work, "slow"), `s3://${stack.bucket}/models/slow/model.tar.gz`);
}

/** container/serve on `port` with the slow model, reading S3 from the stack. */
async function startServe(stack, port, graceSeconds) {
  const serve = startProcess(SERVE, ["serve"], {
    env: childEnv({
      ...stack.env, BLINDML_MODEL_DIR: join(work, "slow"), SAGEMAKER_BIND_TO_PORT: String(port), BLINDML_HOST: "127.0.0.1",
      BLINDML_WORKERS: "2", BLINDML_SHUTDOWN_GRACE_SECONDS: String(graceSeconds),
    }),
  });
  await serve.waitFor((l) => l.msg === "model loaded");
  await waitForStatus(`http://127.0.0.1:${port}/ping`);
  return serve;
}

/** Predicts, and sends SIGTERM to the server `afterMs` after the invocation was accepted. */
async function predictAndTerminate(slow, serve, afterMs) {
  let terminated;
  const outcome = clientFor(slow.stack, slow.model, "slow", {
    onProgress: (e) => {
      if (e.stage === "invoke") terminated = new Promise((resolve) => setTimeout(() => resolve(serve.child.kill("SIGTERM")), afterMs));
    },
  }).predict(slow.X).then((value) => ({ value }), (error) => ({ error }));
  const settled = await outcome;
  await terminated;
  return settled;
}

let slow;

test("SIGTERM mid-evaluation, short grace period: exit 0, the invocation ends in the failure path", async () => {
  slow = await slowModelStack();
  const serve = await startServe(slow.stack, slow.port, 1);
  const started = performance.now();
  const { value, error } = await predictAndTerminate(slow, serve, 1500);
  const { code } = await serve.exited;
  assert.is(code, 0, serve.stderr());
  const stopped = serve.logs().find((l) => l.msg === "stopped");
  assert.equal([stopped?.finished, stopped?.abandoned], [false, 1], JSON.stringify(stopped));
  assert.is(value, undefined, "the evaluation could not have finished");
  assert.instance(error, EndpointFailureError, String(error?.stack ?? error));
  assert.is(error.code, "BLINDML_ENDPOINT_FAILURE");
  assert.ok(await headObject(slow.stack.s3Client(), parseS3Uri(error.details.failureLocation)), "the failure object exists");
  assert.ok(performance.now() - started < 60_000, "no hang");
});

test("SIGTERM mid-evaluation, long grace period: the evaluation completes, then exit 0", async () => {
  const serve = await startServe(slow.stack, slow.port, 60);
  const { value, error } = await predictAndTerminate(slow, serve, 1500);
  const { code } = await serve.exited;
  assert.is(code, 0, serve.stderr());
  assert.is(error, undefined, String(error?.stack ?? error));
  assert.equal(value.predictions, slow.mlp.predict(slow.X));
  const stopped = serve.logs().find((l) => l.msg === "stopped");
  assert.equal([stopped?.finished, stopped?.abandoned], [true, 0]);
  const invocation = serve.logs().find((l) => l.msg === "invocation");
  assert.is(invocation.status, 200);
  assert.ok(invocation.ms.evaluate > 1500, `the evaluation (${invocation.ms.evaluate} ms) outlasted the signal`);
  slow.model.free();
  slow.mlp.free();
});

test.run();
