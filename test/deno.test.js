// The library under Deno: examples/deno/predict.ts runs as a child process (node_modules/.bin/deno,
// narrow permissions) against the local stack started here — local S3, the local SageMaker runtime
// and the in-process inference server — with a small decision tree, whose comparisons are
// programmable bootstraps: the Deno client generates evaluation keys, uploads them, and the server
// evaluates with them. The decrypted predictions must equal the model's clear ones in Node.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DecisionTreeClassifier } from "blindml";
import { saveModel } from "blindml/node";
import { startLocalStack } from "blindml/server";
import { readSharedDataset } from "../bench/lib/datasets.js";
import { childEnv, runProcess } from "./processes.js";

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";

const root = (path) => fileURLToPath(new URL(`../${path}`, import.meta.url));
const DENO = root("node_modules/.bin/deno");
if (!existsSync(DENO)) throw new Error(`${DENO} is missing: the npm package "deno" (a devDependency) installs it — run npm install.`);
const SCRIPT = root("examples/deno/predict.ts");
const WASM = root("build/blindml.wasm");
// what the example needs and nothing more: loopback, the engine module, the AWS_* / BLINDML_*
// variables (the SDK's probes of every other variable read as unset), HOME (where the SDK would
// look for ~/.aws/config — reading it stays denied, which the SDK takes as "no file"), and the OS
// release for the SDK's user agent
const PERMISSIONS = [
  "--no-prompt", "--allow-net=127.0.0.1", `--allow-read=${WASM}`, "--allow-env=AWS_*,BLINDML_*,HOME", "--ignore-env", "--allow-sys=osRelease",
];

const cancer = readSharedDataset("breast_cancer");
const testRows = Array.from({ length: cancer.test.X.rows }, (_, r) => Array.from(cancer.test.X.data.slice(r * cancer.test.X.cols, (r + 1) * cancer.test.X.cols)));

const work = await mkdtemp(join(tmpdir(), "blindml-deno-test-"));
// trees compare quantized features with bootstraps whose outputs are exact (p_fail 2^-40), so
// every decrypted prediction must equal the clear one, on any row
const model = new DecisionTreeClassifier({ maxDepth: 3 }).fit(cancer.train.X, cancer.train.y).compile(cancer.train.X);
await saveModel(model, join(work, "model"));
const serverLogs = [];
const stack = await startLocalStack({ modelDir: join(work, "model"), workers: 1, serverLog: (record) => serverLogs.push(record) });

// three held-out rows of each predicted class, so a constant answer cannot pass
const clearAll = model.predict(testRows);
const picked = [0, 1].flatMap((label) => testRows.filter((_, r) => clearAll[r] === label).slice(0, 3));

/** Runs the example with the stack's endpoints and credentials as flags; its own DENO_DIR. */
function runExample(args) {
  const flags = [
    "--s3-endpoint", stack.env.AWS_ENDPOINT_URL_S3, "--runtime-endpoint", stack.env.AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME,
    "--region", stack.env.AWS_REGION, "--access-key-id", stack.env.AWS_ACCESS_KEY_ID, "--secret-access-key", stack.env.AWS_SECRET_ACCESS_KEY,
    "--upload-prefix", `s3://${stack.bucket}/clients/deno`, "--timeout", "120",
  ];
  // (HOME keeps the SDK from asking the OS for the home directory, which needs more permissions)
  const env = childEnv({ DENO_DIR: join(work, "deno-dir"), NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1", HOME: process.env.HOME ?? work });
  return runProcess(DENO, ["run", ...PERMISSIONS, SCRIPT, ...flags, ...args], { env, cwd: work });
}

test.after(async () => {
  await stack.close();
  model.free?.();
  await rm(work, { recursive: true, force: true });
});

test("Deno: encrypt → InvokeEndpointAsync through the local stack → decrypt equals the clear predictions", async () => {
  assert.is(picked.length, 6, "three rows of each class");
  const { code, stdout, stderr } = await runExample([
    "--model", stack.modelUri, "--endpoint-name", stack.endpointName, "--rows", JSON.stringify(picked),
  ]);
  assert.is(code, 0, `exit code; stderr:\n${stderr}`);
  const lines = stdout.trim().split("\n");
  assert.is(lines.length, 1, "one JSON line on stdout");
  const out = JSON.parse(lines[0]);

  assert.match(out.runtime, /^deno 2\./);
  assert.equal(out.predictions, model.predict(picked), "decrypted = clear predictions");
  assert.equal(out.predictions, [0, 0, 0, 1, 1, 1]);
  const clearScores = model.scores(picked);
  out.scores.forEach((row, r) => row.forEach((s, j) => assert.ok(Math.abs(s - clearScores[r][j]) < 1e-9, `score ${r},${j}: ${s} vs ${clearScores[r][j]}`)));
  assert.is(out.rows, 6);
  assert.is(out.mode, "async");

  // the model bootstraps: keys generated in Deno, uploaded, and used by the server
  assert.is(out.model.bootstraps, true);
  assert.is(out.model.parameterSet, model.circuit.parameterSet);
  assert.ok(out.keys.uploaded, "evaluation keys uploaded by this run");
  assert.ok(out.keys.bytes > 1e6, `evaluation keys are ${out.keys.bytes} bytes`);
  const invocation = serverLogs.find((r) => r.msg === "invocation" && r.id === out.inferenceId);
  assert.ok(invocation, "the server logged this inference");
  assert.is(invocation.status, 200);
  assert.is(invocation.keyBytes, out.keys.bytes, "the server read the keys the Deno client uploaded");
  assert.is(invocation.queryBytes, out.bytes.query);
  for (const stage of ["fetchModel", "keygen", "keys", "encrypt", "upload", "invoke", "wait", "download", "decrypt", "predict", "total"]) {
    assert.type(out.timingsMs[stage], "number", stage);
  }
});

test("Deno: a wrong endpoint name exits 1 with a clear message", async () => {
  const { code, stdout, stderr } = await runExample([
    "--model", stack.modelUri, "--endpoint-name", "no-such-endpoint", "--rows", JSON.stringify(picked[0]),
  ]);
  assert.is(code, 1, stderr);
  assert.is(stdout, "");
  assert.match(stderr, /^deno predict: \[BLINDML_TRANSPORT\] InvokeEndpointAsync on no-such-endpoint failed .*not found/);
  assert.is(stderr.trim().split("\n").length, 1, `one line:\n${stderr}`);
});

test("Deno: a missing model object exits 1 with a clear message", async () => {
  const missing = `s3://${stack.bucket}/models/none/model.tar.gz`;
  const { code, stdout, stderr } = await runExample(["--model", missing, "--endpoint-name", stack.endpointName, "--rows", JSON.stringify(picked[0])]);
  assert.is(code, 1, stderr);
  assert.is(stdout, "");
  assert.is(stderr.trim(), `deno predict: cannot fetch the model's client artifact ${missing}: not found (NoSuchKey)`);
});

test.run();
