// One MLP row's evaluation latency in this thread and on worker pools of 1 and 2 threads, and
// the memory a worker adds (its wasm engine with a copy of the expanded keys, and the process RSS).
// Prints JSON.
//   node bench/pool.js [hidden=16] [repeats=5]
import { MLPClassifier, CircuitExecutor, ParallelCircuitExecutor, bindPool, encryptRows, quantizeRows, engine as E } from "blindml";
import { createWorkerPool } from "blindml/node";
import { readSharedDataset } from "./lib/datasets.js";

const hidden = Number(process.argv[2] ?? 16);
const repeats = Number(process.argv[3] ?? 5);
const mib = (b) => +(b / 2 ** 20).toFixed(1);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const cancer = readSharedDataset("breast_cancer");
const model = new MLPClassifier({ hidden: [hidden], epochs: 30, seed: 3 }).fit(cancer.train.X, cancer.train.y).compile(cancer.train.X);
const { circuit, clientSpec } = model;
const engine = await E.loadEngine();
const ck = engine.generateClientKey(E.PARAMETER_SETS[circuit.parameterSet]);
const evaluator = engine.createEvaluator(ck.generateEvaluationKeys());
const row = { rows: 1, cols: cancer.test.X.cols, data: cancer.test.X.data.slice(0, cancer.test.X.cols) };
const input = evaluator.expandVector(encryptRows(ck, clientSpec.circuit, quantizeRows(clientSpec.input, row)));

/** Median milliseconds of `run` over `repeats` runs, after one warm-up. */
async function latency(run) {
  (await run()).free();
  const times = [];
  for (let i = 0; i < repeats; i++) {
    const t = performance.now();
    (await run()).free();
    times.push(performance.now() - t);
  }
  return +median(times).toFixed(1);
}

async function onPool(workers) {
  const rssBefore = process.memoryUsage().rss;
  const pool = await createWorkerPool({ workers });
  const executor = new ParallelCircuitExecutor(evaluator, circuit, await bindPool(pool, circuit, evaluator.exportExpandedKeys({ shared: true })));
  const rssAdded = (process.memoryUsage().rss - rssBefore) / workers;
  const wasm = await pool.workerMemory();
  const ms = await latency(() => executor.run(input));
  await pool.close();
  return { ms, rss_added_per_worker_mib: mib(rssAdded), worker_wasm_memory_mib: wasm.map(mib) };
}

const inThread = new CircuitExecutor(evaluator, circuit);
const inThreadMs = await latency(async () => inThread.run(input));
const one = await onPool(1);
const two = await onPool(2);
console.log(JSON.stringify({
  model: `MLPClassifier hidden [${hidden}] (breast_cancer)`,
  parameter_set: circuit.parameterSet,
  bootstraps_per_row: circuit.report.bootstraps,
  repeats,
  row_latency_ms: { in_thread: inThreadMs, one_worker: one.ms, two_workers: two.ms },
  speedup_two_workers_vs_in_thread: +(inThreadMs / two.ms).toFixed(2),
  expanded_key_mib: mib(evaluator.expandedKeyBytes),
  worker_wasm_memory_mib: two.worker_wasm_memory_mib,
  rss_added_per_worker_mib: { one_worker_pool: one.rss_added_per_worker_mib, two_worker_pool: two.rss_added_per_worker_mib },
  note: "rss_added includes the pool's shared copy of the expanded keys (counted once per pool); the machine's cores may be shared",
}, null, 2));
input.free(); inThread.free(); evaluator.free(); ck.free();
