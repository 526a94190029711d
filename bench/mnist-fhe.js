#!/usr/bin/env node
// MNIST under real FHE on the held-out digits, resumable: each digit's result is appended to
// bench/results/mnist-fhe.jsonl as soon as it is known, so a run can stop at any time and the next
// one continues where it left off (the model is retrained deterministically — same seed, same
// computation — and a file written for another computation is refused; bench/lib/mnist-run.js).
// Each record names the engine's commit. Prints the running totals.
//   node bench/mnist-fhe.js [--workers 2] [--limit N] [--batch 2]
import { appendFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { loadMnist, trainMnistMlp } from "./lib/datasets.js";
import { circuitId } from "../dist/src/index.js";
import { gitCommit } from "./lib/machine.js";
import { RESULTS, computationId, readRecords } from "./lib/mnist-run.js";
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const workers = arg("--workers", Math.min(2, availableParallelism()));
const limit = arg("--limit", Infinity);
const batch = arg("--batch", workers);
const log = (msg) => process.stderr.write(`${msg}\n`);

const { train, test } = loadMnist({ train: 8000, test: 2000 });
log("training (deterministic)…");
const model = (await trainMnistMlp(train)).compile(train.X);
const id = circuitId(model.circuit);
const computation = computationId(model.circuit);
const engine = gitCommit(new URL("..", import.meta.url).pathname);
const done = readRecords(model.circuit);
log(`circuit ${id} (computation ${computation}) on ${model.circuit.report.parameterSet}: ${done.size} digits already done`);
appendFileSync(RESULTS, `${JSON.stringify({ header: true, circuit: id, computation, set: model.circuit.report.parameterSet, bootstraps: model.circuit.report.bootstraps, workers, engine, started: new Date().toISOString() })}\n`);

const clear = model.predict(test.X);
const todo = Array.from({ length: test.X.rows }, (_, i) => i).filter((i) => !done.has(i)).slice(0, limit);
for (let k = 0; k < todo.length; k += batch) {
  const indices = todo.slice(k, k + batch);
  const rows = { rows: indices.length, cols: 784, data: Float64Array.from(indices.flatMap((i) => Array.from(test.X.data.subarray(i * 784, (i + 1) * 784)))) };
  const t0 = performance.now();
  const fhe = await model.predict(rows, { fhe: "execute", workers });
  const ms = (performance.now() - t0) / indices.length;
  indices.forEach((index, j) => {
    const record = { circuit: id, computation, engine, index, truth: test.y[index], clear: clear[index], fhe: fhe[j], ms: Math.round(ms) };
    appendFileSync(RESULTS, `${JSON.stringify(record)}\n`);
    done.set(index, record);
  });
  const all = [...done.values()];
  const correct = all.filter((r) => r.fhe === r.truth).length, agree = all.filter((r) => r.fhe === r.clear).length;
  log(`${all.length} digits: FHE accuracy ${(correct / all.length).toFixed(4)}, FHE = clear ${agree}/${all.length}, ${(ms / 1000).toFixed(2)} s per digit`);
}
model.free();
