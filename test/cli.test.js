// The command line (bin/blindml.js) run as a child process in a temporary folder: help, train,
// keygen → encrypt → run → decrypt for a leveled and a bootstrapped model (the decrypted
// predictions must be the quantized circuit's clear predictions), and one-line errors.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, writeFile, stat, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { unpackServer, unpackClient, quantizeRows, runClear, dequantize, decide, toDenseMatrix } from "blindml";
import { sharedDatasetsDir } from "../bench/lib/datasets.js";

const BIN = fileURLToPath(new URL("../bin/blindml.js", import.meta.url));
const DATASET = join(sharedDatasetsDir(), "breast_cancer.csv");
const work = await mkdtemp(join(tmpdir(), "blindml-cli-"));

/** Runs `node bin/blindml.js ...args` in the temporary folder: { code, stdout, stderr }. */
function cli(...args) {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: work, maxBuffer: 16 * 2 ** 20 }, (error, stdout, stderr) => {
      resolve({ code: error ? error.code : 0, stdout, stderr });
    });
  });
}

function expectSuccess(run, what) {
  assert.is(run.code, 0, `${what} failed: ${run.stderr}`);
}

/** Five test rows of the dataset (three of class 0, two of class 1) as a CSV with its header; their features. */
async function writeTestRows(path) {
  const [header, ...lines] = (await readFile(DATASET, "utf8")).split(/\r?\n/).filter((l) => l !== "");
  const columns = header.split(",");
  const target = columns.indexOf("target"), split = columns.indexOf("split");
  const testLines = lines.map((l) => l.split(",")).filter((f) => f[split] === "test");
  const chosen = [...testLines.filter((f) => f[target] === "0").slice(0, 3), ...testLines.filter((f) => f[target] === "1").slice(0, 2)];
  await writeFile(path, [header, ...chosen.map((f) => f.join(","))].join("\n") + "\n");
  return chosen.map((f) => f.filter((_, i) => i !== target && i !== split).map(Number));
}

/** The compiled circuit's clear (quantized, noiseless) predictions, through the library. */
async function clearPredictions(modelDir, rows) {
  const { circuit } = unpackServer(await readFile(join(modelDir, "server.zip")));
  const { spec } = unpackClient(await readFile(join(modelDir, "client.zip")));
  const outputs = runClear(circuit, quantizeRows(spec.input, toDenseMatrix(rows)));
  return outputs.map((o) => decide(spec.output, dequantize(spec.output, o)));
}

/** Predictions column of decrypt's CSV output. */
function parsePredictions(csv) {
  const [header, ...lines] = csv.trim().split("\n");
  assert.ok(header.startsWith("row,prediction"), header);
  return lines.map((line) => Number(line.split(",")[1]));
}

/** keygen → encrypt → run → decrypt on `rowsFile`; the decrypted predictions. */
async function roundTrip(modelDir, keyDir, rowsFile) {
  expectSuccess(await cli("keygen", "--client", join(modelDir, "client.zip"), "--keys", keyDir), "keygen");
  expectSuccess(await cli("encrypt", "--client", modelDir, "--keys", keyDir, "--data", rowsFile, "--ignore", "target", "--out", `${keyDir}-query.bin`), "encrypt");
  expectSuccess(await cli("run", "--server", join(modelDir, "model.tar.gz"), "--keys", join(keyDir, "evaluation.keys"), "--query", `${keyDir}-query.bin`, "--out", `${keyDir}-result.bin`), "run");
  const decrypted = await cli("decrypt", "--client", modelDir, "--keys", keyDir, "--result", `${keyDir}-result.bin`, "--out", `${keyDir}-predictions.csv`);
  expectSuccess(decrypted, "decrypt");
  assert.is(await readFile(join(work, `${keyDir}-predictions.csv`), "utf8"), decrypted.stdout, "--out holds what was printed");
  return parsePredictions(decrypted.stdout);
}

test.after(() => rm(work, { recursive: true, force: true }));

test("--help lists every command; each command has its own --help", async () => {
  const help = await cli("--help");
  expectSuccess(help, "--help");
  for (const command of ["train", "compile", "keygen", "encrypt", "run", "decrypt"]) {
    assert.match(help.stdout, new RegExp(`^  ${command} `, "m"), `${command} is listed`);
    const own = await cli(command, "--help");
    expectSuccess(own, `${command} --help`);
    assert.match(own.stdout, `Usage: blindml ${command}`);
  }
  assert.match((await cli("train", "--help")).stdout, "--n-bits");
});

let logisticRows;

test("train logistic on breast_cancer writes the artifacts and prints the three scores", async () => {
  const run = await cli("train", "--data", DATASET, "--target", "target", "--model", "logistic", "--out", "logistic");
  expectSuccess(run, "train");
  for (const file of ["server.zip", "client.zip", "model.tar.gz", "train.json"]) assert.ok((await stat(join(work, "logistic", file))).size > 0, file);
  assert.match(run.stdout, /accuracy on test rows\s+float 0\.9\d+, quantized 0\.9\d+, simulate 0\.9\d+/);
  const report = JSON.parse(await readFile(join(work, "logistic", "train.json"), "utf8"));
  assert.is(report.model, "LogisticRegression");
  assert.equal([report.trainRows, report.testRows], [455, 114]);
  assert.is(report.needsEvaluationKeys, false);
  assert.is(report.quantizedPredictions.length, 114);
});

test("logistic: keygen → encrypt 5 test rows → run → decrypt gives the quantized circuit's predictions", async () => {
  logisticRows = await writeTestRows(join(work, "rows.csv"));
  const predictions = await roundTrip(join(work, "logistic"), "keys", "rows.csv");
  const expected = await clearPredictions(join(work, "logistic"), logisticRows);
  assert.equal(predictions, expected);
  assert.equal(new Set(expected), new Set([0, 1]), "the rows cover both classes");
  const key = await stat(join(work, "keys", "client.key"));
  assert.is(key.mode & 0o777, 0o600, "the client key is private");
  assert.is((await stat(join(work, "keys", "evaluation.keys"))).size, 0, "a leveled model needs no evaluation keys");
});

test("a depth-2 decision tree (bootstrapped) round-trips through the command line", async () => {
  expectSuccess(await cli("train", "--data", DATASET, "--target", "target", "--model", "tree", "--depth", "2", "--out", "tree"), "train tree");
  const report = JSON.parse(await readFile(join(work, "tree", "train.json"), "utf8"));
  assert.ok(report.bootstrapsPerRow > 0 && report.needsEvaluationKeys);
  const predictions = await roundTrip(join(work, "tree"), "tree-keys", "rows.csv");
  assert.equal(predictions, await clearPredictions(join(work, "tree"), logisticRows));
});

test("compile: an ONNX model calibrated on a CSV file becomes the same artifacts", async () => {
  const onnx = fileURLToPath(new URL("./fixtures/onnx/linear_classifier_iris.onnx", import.meta.url));
  const iris = join(sharedDatasetsDir(), "iris.csv");
  const run = await cli("compile", onnx, "--calibration", iris, "--target", "target", "--out", "onnx");
  expectSuccess(run, "compile");
  assert.match(run.stdout, /LogisticRegression \(classification, 4 features\), calibrated on 150 rows/);
  assert.match(run.stdout, /accuracy on these rows\s+float 0\.9\d+/);
  for (const file of ["server.zip", "client.zip", "model.tar.gz"]) assert.ok((await stat(join(work, "onnx", file))).size > 0, file);
});

test("errors: one line 'blindml: …', exit 1 for a bad file, 2 for a usage error, no stack", async () => {
  await writeFile(join(work, "broken.zip"), "not a zip archive");
  const bad = await cli("keygen", "--client", "broken.zip", "--keys", "broken-keys");
  assert.is(bad.code, 1);
  assert.match(bad.stderr, /^blindml: .*zip.*\n$/);
  assert.not.match(bad.stderr, /\n\s+at /);
  const missing = await cli("run", "--server", "logistic", "--query", "no-such-query.bin", "--out", "x.bin");
  assert.is(missing.code, 1);
  assert.is(missing.stderr, 'blindml: cannot read the query "no-such-query.bin": no such file or directory\n');
  const usage = await cli("train", "--data", DATASET, "--model", "logistic", "--out", "x");
  assert.is(usage.code, 2);
  assert.match(usage.stderr, /^blindml: required option '--target <column>' not specified/);
  const wrongWidth = await cli("encrypt", "--client", "logistic", "--keys", "keys", "--data", "rows.csv", "--out", "q.bin");
  assert.is(wrongWidth.code, 1);
  assert.match(wrongWidth.stderr, "31 feature columns; the model takes 30");
});

test.run();
