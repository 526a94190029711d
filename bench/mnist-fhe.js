#!/usr/bin/env node
// MNIST under real FHE on the held-out digits, resumable: each digit's result is appended to
// bench/results/mnist-fhe.jsonl as soon as it is known, so a run can stop at any time and the next
// one continues where it left off. What is measured is one fixed model artifact,
// bench/results/mnist-model/{server,client}.zip, through the deployment path (ModelClient encrypts,
// ModelServer evaluates on `--workers` threads, ModelClient decrypts): the first run trains the
// network deterministically and saves it there; later runs load it, so a later change to the
// compiler cannot change what the records measure. Records of another computation are refused
// (bench/lib/mnist-run.js); each record and each start names the engine's commit.
// The accuracy run packs `--batch` digits into a query, so its times are throughput, taken while
// the machine may be shared; `--latency N` instead times N one-image queries (encrypt → server →
// decrypt, on evenly spaced held-out digits, after one untimed warm-up query), one after the other,
// and appends them as `latency` records: the per-image latency BENCHMARKS.md reports.
//   node bench/mnist-fhe.js [--workers 2] [--limit N] [--batch 4]
//   node bench/mnist-fhe.js --latency 20 [--workers 2]
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
import { readFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { loadMnist, trainMnistMlp } from "./lib/datasets.js";
import { ModelClient, ModelServer, circuitId, unpackServer, runClear, quantizeRows, toDenseMatrix } from "../dist/src/index.js";
import { saveModel } from "../dist/src/node.js";
import { gitCommit, gitDirty, machineInfo } from "./lib/machine.js";
import { RESULTS, computationId, readRecords, decodeLabels } from "./lib/mnist-run.js";
import { spreadRows } from "./models.js";

const MODEL_DIR = fileURLToPath(new URL("./results/mnist-model/", import.meta.url));
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const workers = arg("--workers", Math.min(2, availableParallelism()));
const limit = arg("--limit", Infinity);
const batch = arg("--batch", workers);
const latencyQueries = arg("--latency", 0);
const log = (msg) => process.stderr.write(`${msg}\n`);

const { train, test } = loadMnist({ train: 8000, test: 2000 });
if (!existsSync(`${MODEL_DIR}server.zip`)) {
  log("no saved model: training (deterministic) and saving it…");
  const model = (await trainMnistMlp(train)).compile(train.X);
  await saveModel(model, MODEL_DIR);
  model.free();
}
const serverZip = await readFile(`${MODEL_DIR}server.zip`);
const { circuit } = unpackServer(serverZip);
const id = circuitId(circuit);
const computation = computationId(circuit);
// the code that ran: the commit (+ "-dirty" for uncommitted changes to the library or the engine;
// the results file itself always changes) and the engine module's hash
const engine = `${gitCommit(ROOT)}${gitDirty(ROOT, ["assembly", "src", "server"]) ? "-dirty" : ""} wasm:${createHash("sha256").update(readFileSync(`${ROOT}/build/blindml.wasm`)).digest("hex").slice(0, 12)}`;
const done = readRecords(circuit);
log(`model ${MODEL_DIR} — circuit ${id} (computation ${computation}) on ${circuit.report.parameterSet}: ${done.size} digits already done`);

const client = (await ModelClient.load(await readFile(`${MODEL_DIR}client.zip`))).generateKeys();
const server = await ModelServer.load(serverZip, { workers });
const evaluationKeys = client.evaluationKeys();
const rowOf = (i) => test.X.data.subarray(i * 784, (i + 1) * 784);
// the clear circuit on the same quantized inputs (what "FHE = clear" compares with)
const clearOf = (indices) => decodeLabels(client.spec, runClear(circuit, quantizeRows(client.spec.input, toDenseMatrix(indices.map((i) => Array.from(rowOf(i)))))));

// the saved model must be the one the records measured: same clear answers on every digit done
const doneIndices = [...done.keys()];
const clearDone = doneIndices.length ? clearOf(doneIndices) : [];
const mismatched = doneIndices.filter((index, j) => done.get(index).clear !== clearDone[j]);
if (mismatched.length) throw new Error(`the saved model answers ${mismatched.length} recorded digits differently in the clear (e.g. digit ${mismatched[0]}): not the model of these records`);

const { cpu, cores, node } = machineInfo(ROOT);
appendFileSync(RESULTS, `${JSON.stringify({ header: true, circuit: id, computation, set: circuit.report.parameterSet, bootstraps: circuit.report.bootstraps, workers, engine, machine: { cpu, cores, node }, mode: latencyQueries > 0 ? "latency" : "accuracy", started: new Date().toISOString() })}\n`);

if (latencyQueries > 0) {
  await server.run(client.encrypt([Array.from(rowOf(0))]), evaluationKeys); // warm-up: workers start, keys expand
  const indices = spreadRows(test.X.rows, latencyQueries);
  const times = [];
  for (const index of indices) {
    const t0 = performance.now();
    const fhe = client.decrypt(await server.run(client.encrypt([Array.from(rowOf(index))]), evaluationKeys)).predictions[0];
    const ms = performance.now() - t0;
    times.push(ms);
    const record = { latency: true, circuit: id, computation, engine, workers, index, truth: test.y[index], clear: clearOf([index])[0], fhe, ms: Math.round(ms) };
    appendFileSync(RESULTS, `${JSON.stringify(record)}\n`);
    log(`latency ${times.length}/${indices.length}: digit ${index}, ${(ms / 1000).toFixed(2)} s`);
  }
  times.sort((a, b) => a - b);
  log(`one-image queries on ${workers} workers: median ${(times[times.length >> 1] / 1000).toFixed(2)} s over ${times.length}`);
  server.free();
  client.free();
  process.exit(0);
}

const todo = Array.from({ length: test.X.rows }, (_, i) => i).filter((i) => !done.has(i)).slice(0, limit);
for (let k = 0; k < todo.length; k += batch) {
  const indices = todo.slice(k, k + batch);
  const t0 = performance.now();
  const result = await server.run(client.encrypt(indices.map((i) => Array.from(rowOf(i)))), evaluationKeys);
  const fhe = client.decrypt(result).predictions;
  const ms = (performance.now() - t0) / indices.length;
  const clear = clearOf(indices);
  indices.forEach((index, j) => {
    const record = { circuit: id, computation, engine, index, truth: test.y[index], clear: clear[j], fhe: fhe[j], ms: Math.round(ms) };
    appendFileSync(RESULTS, `${JSON.stringify(record)}\n`);
    done.set(index, record);
  });
  const all = [...done.values()];
  const correct = all.filter((r) => r.fhe === r.truth).length, agree = all.filter((r) => r.fhe === r.clear).length;
  log(`${all.length} digits: FHE accuracy ${(correct / all.length).toFixed(4)}, FHE = clear ${agree}/${all.length}, ${(ms / 1000).toFixed(2)} s per digit`);
}
server.free();
client.free();
