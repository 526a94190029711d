// Evaluators in worker threads sharing one expansion of the evaluation keys: the main thread
// expands once (Evaluator.exportExpandedKeys), each worker copies the bytes into its own engine
// (Engine.createEvaluatorFromExpanded: no FFTs). Measures the memory each worker adds and the
// bootstrap throughput with 1 and 2 workers.
//   node bench/workers.js [set=2_2] [bootstrapsPerWorker=20]
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import { loadEngine, PARAMETER_SETS } from "blindml/engine";

if (!isMainThread) {
  const { setName, expanded, queries, lutSeed } = workerData;
  const engine = await loadEngine();
  const params = PARAMETER_SETS[setName];
  const t0 = performance.now();
  const ev = engine.createEvaluatorFromExpanded(params, expanded);
  const loadMs = performance.now() - t0;
  const p = ev.encoding.modulus;
  const lut = ev.lookupTable((x) => (x * lutSeed) % p);
  parentPort.postMessage({ type: "ready", loadMs, wasmBytes: engine.memoryBytes });
  const run = () => {
    const t = performance.now();
    const results = queries.map((bytes) => {
      const out = ev.bootstrap(engine.deserializeCiphertext(bytes), lut);
      const serialized = out.serialize();
      out.free();
      return serialized;
    });
    parentPort.postMessage({ type: "done", ms: performance.now() - t, results });
  };
  parentPort.on("message", (m) => (m === "run" ? run() : process.exit(0)));
} else {
  const setName = process.argv[2] ?? "2_2";
  const perWorker = Number(process.argv[3] ?? 20);
  const engine = await loadEngine();
  const params = PARAMETER_SETS[setName];
  const ck = engine.generateClientKey(params);
  const ev = engine.createEvaluator(ck.generateEvaluationKeys());
  const expanded = ev.exportExpandedKeys({ shared: true }); // posted to workers without copies
  const p = ck.encoding.modulus;
  const messages = Array.from({ length: perWorker }, (_, i) => i % p);
  const queries = messages.map((m) => ck.encrypt(m).serialize());
  const lutSeed = 3;
  const mib = (b) => +(b / 2 ** 20).toFixed(1);

  const rssBefore = process.memoryUsage().rss;
  const workers = [];
  const ready = [];
  for (let w = 0; w < 2; w++) {
    const worker = new Worker(new URL(import.meta.url), { workerData: { setName, expanded, queries, lutSeed } });
    ready.push(await new Promise((resolve) => worker.once("message", resolve)));
    workers.push(worker);
  }
  const rssAfter = process.memoryUsage().rss;
  const runOn = (list) => Promise.all(list.map((w) => new Promise((resolve) => { w.once("message", resolve); w.postMessage("run"); })));
  const timed = async (list) => {
    const t = performance.now();
    const done = await runOn(list);
    for (const d of done) {
      d.results.forEach((bytes, i) => {
        const got = ck.decrypt(engine.deserializeCiphertext(bytes));
        if (got !== (messages[i] * lutSeed) % p) throw new Error(`worker result ${i}: ${got}`);
      });
    }
    return (list.length * perWorker) / ((performance.now() - t) / 1000);
  };
  await timed(workers.slice(0, 1)); // warm-up
  const oneWorker = await timed(workers.slice(0, 1));
  const twoWorkers = await timed(workers);
  const result = {
    set: setName,
    expanded_key_bytes: ev.expandedKeyBytes,
    worker_load_ms: ready.map((r) => +r.loadMs.toFixed(1)),
    worker_wasm_memory_mib: ready.map((r) => mib(r.wasmBytes)),
    rss_added_per_worker_mib: mib((rssAfter - rssBefore) / 2),
    bootstraps_per_s: { one_worker: +oneWorker.toFixed(1), two_workers: +twoWorkers.toFixed(1) },
  };
  console.log(JSON.stringify(result, null, 2));
  for (const w of workers) w.postMessage("exit");
}
