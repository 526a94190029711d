// The "Models" section of BENCHMARKS.md, from bench/results/models.json (bench/models.js).
import { fmtTime } from "./report.js";

const MODEL_ORDER = [
  "LogisticRegression", "LinearSVC", "LinearRegression", "DecisionTreeClassifier", "DecisionTreeRegressor",
  "RandomForestClassifier", "RandomForestRegressor", "GradientBoostingClassifier", "MLPClassifier",
];
const DATASET_ORDER = ["breast_cancer", "iris", "digits", "spam", "diabetes", "mnist"];

const byOrder = (order, v) => (order.indexOf(v) < 0 ? order.length : order.indexOf(v));

function score(value, metric) {
  if (value == null) return "—";
  return metric === "r2" ? `R² ${value.toFixed(3)}` : value.toFixed(4);
}

function compactBytes(b) {
  if (b == null) return "—";
  if (b === 0) return "none";
  return b < 2 ** 20 ? `${Math.round(b).toLocaleString("en-US")} B` : `${(b / 2 ** 20).toFixed(1)} MiB`;
}

function circuitCell(r) {
  const c = r.circuit;
  return c.bootstraps === 0 ? `${c.parameter_set}, leveled` : `${c.parameter_set}, ${c.bootstraps} PBS`;
}

/** Below this many rows an R² says nothing: the cell then shows the largest deviation from the clear circuit. */
const MIN_R2_ROWS = 10;

function fheCell(r) {
  const f = r.fhe;
  const rows = f.rows === r.test_rows ? `all ${f.rows}` : `${f.rows} of ${r.test_rows}`;
  if (r.metric === "r2" && f.rows < MIN_R2_ROWS) return `largest FHE − clear gap ${f.max_abs_difference} (${rows})`;
  return `${score(f.score, r.metric)} (${rows})`;
}

function agreementCell(r) {
  const f = r.fhe;
  const agreeing = Math.round(f.agreement * f.rows);
  return agreeing === f.rows ? `${agreeing}/${f.rows}` : `**${agreeing}/${f.rows}**`;
}

function latencyCell(m) {
  return m ? `**${fmtTime(m.median_ms)}**` : null;
}

function twoWorkersCell(r) {
  const cell = latencyCell(r.fhe.latency_ms.two_workers);
  // CPU/wall tells whether the two workers really ran at once (on a busy machine they may not)
  if (cell) return `${cell} (CPU/wall ${r.fhe.parallelism.two_workers})`;
  return r.circuit.bootstraps === 0 ? "n/a (leveled)" : "not measured [w]";
}

function serverCell(r) {
  const s = r.fhe.server_ms_per_row;
  return `${fmtTime(s.run.median_ms)}${s.batched ? ` (query of ${s.rows} rows)` : ""}`;
}

function row(r) {
  const f = r.fhe;
  const head = [r.dataset, r.model, circuitCell(r), score(r.float, r.metric), score(r.quantized_clear, r.metric), score(r.simulate, r.metric)];
  if (f.skipped) return [...head, `not run [q]`, "—", "—", "—", "—", "—", "—", "—"];
  return [
    ...head,
    fheCell(r), agreementCell(r), latencyCell(f.latency_ms.one_worker) ?? "—", twoWorkersCell(r), serverCell(r),
    compactBytes(f.bytes.evaluation_keys), compactBytes(f.bytes.query_one_row), compactBytes(f.bytes.result_one_row),
  ];
}

const HEADER = [
  "dataset", "model", "circuit", "float", "quantized, clear", "simulate", "FHE (rows)", "FHE = clear",
  "latency / row, 1 worker", "2 workers", "server time / row", "evaluation keys", "query / row", "result / row",
];

/** A line on the issue's server-time target, if breast_cancer × LogisticRegression ran. */
function targetLine(results) {
  const r = results.find((x) => x.dataset === "breast_cancer" && x.model === "LogisticRegression");
  if (!r || r.fhe.skipped) return null;
  const ms = r.fhe.server_ms_per_row.run.median_ms;
  const verdict = ms <= 1 ? "meets" : "misses";
  return `Target: LogisticRegression on breast_cancer at ≤ 1 ms per row of server time (concrete-ml: 3.5 ms). ` +
    `Measured ${fmtTime(ms)} per row (ModelServer.run on one query of ${r.fhe.server_ms_per_row.rows} rows, median of ` +
    `${r.fhe.server_ms_per_row.run.samples}): ${verdict} it.`;
}

function settingsLine(m) {
  const s = m.settings;
  const subset = s.full
    ? "every test row (BLINDML_BENCH_FULL=1)"
    : `at most ${s.fheRows} evenly spaced test rows, fewer when that would exceed ${s.fheSeconds} s at a nominal ` +
      `${Object.entries(s.nominal_bootstrap_ms).map(([set, ms]) => `${ms} ms (${set})`).join(", ")} per bootstrap (at least ${s.minFheRows})`;
  const quick = s.quick ? ` --quick runs no FHE for a circuit whose one row would exceed ${s.fheSeconds} s.` : "";
  return `Leveled circuits run FHE on every test row; bootstrapped circuits on ${subset}. ` +
    `2-worker latencies on the first ${s.workerRows} of those rows.${quick}`;
}

function workersNote(m) {
  if (m.workers_supported === false) {
    return "[w] ModelServer was created with `{ workers: 2 }` but used no worker pool (this build ignores the option), " +
      "so no 2-worker figure is reported.";
  }
  return "[w] not measured: see `two_workers_note` in bench/results/models.json.";
}

/**
 * Float scikit-learn accuracy on the same test rows, from ../shared/datasets/README.md
 * (LogisticRegression; RandomForest 50×depth 6; GradientBoosting 50×depth 3; MLP 64 ReLU).
 */
const SHARED_BASELINES = {
  breast_cancer: { LogisticRegression: 0.9912, RandomForestClassifier: 0.9649, GradientBoostingClassifier: 0.9561, MLPClassifier: 0.9825 },
  iris: { LogisticRegression: 0.9667, RandomForestClassifier: 0.9667, GradientBoostingClassifier: 0.9667, MLPClassifier: 0.9667 },
  digits: { LogisticRegression: 0.9666, RandomForestClassifier: 0.9443, GradientBoostingClassifier: 0.9443, MLPClassifier: 0.9666 },
};

/** The issue's check: quantized accuracy within 2 points of the shared float baselines. */
function baselineLines(results) {
  const rows = results.filter((r) => SHARED_BASELINES[r.dataset]?.[r.model] !== undefined);
  if (!rows.length) return [];
  const out = [
    "Quantized accuracy against the float baselines of ../shared/datasets/README.md (scikit-learn, same test rows):", "",
    "| dataset | model | baseline (float) | ours, float | ours, quantized | quantized − baseline | within 2 points |",
    "|---|---|---|---|---|---|---|",
  ];
  for (const r of rows) {
    const base = SHARED_BASELINES[r.dataset][r.model];
    const gap = r.quantized_clear - base;
    out.push(`| ${r.dataset} | ${r.model} | ${base.toFixed(4)} | ${score(r.float, r.metric)} | ${score(r.quantized_clear, r.metric)} | ${(100 * gap).toFixed(2)} pts | ${gap >= -0.02 ? "yes" : "**no**"} |`);
  }
  out.push("");
  return out;
}

/** Simulated-FHE agreement with the clear circuit on every test row (classifiers). */
function simulationLine(results) {
  const rows = results.filter((r) => r.simulate_agreement != null);
  if (!rows.length) return [];
  const cells = rows.map((r) => `${r.dataset} × ${r.model} ${(100 * r.simulate_agreement).toFixed(2)} %`);
  return [`Simulated FHE (the circuit with its modelled noise, every test row) equals the clear circuit's prediction on: ${cells.join("; ")}.`, ""];
}

/** Markdown of the models section (a string, without a trailing newline). */
export function renderModels(m) {
  const results = [...m.results].sort((a, b) =>
    byOrder(DATASET_ORDER, a.dataset) - byOrder(DATASET_ORDER, b.dataset) || byOrder(MODEL_ORDER, a.model) - byOrder(MODEL_ORDER, b.model));
  const out = ["## Models", ""];
  out.push(
    "Per model and dataset (bench/models.js): accuracy (R² for regressors) of the float model, of the quantized circuit " +
      "in the clear (`fhe: \"disable\"`) and with its modelled noise (`fhe: \"simulate\"`), on every test row; then real FHE " +
      "through `ModelClient` → `ModelServer.run` → `ModelClient`: its accuracy, how many rows decrypt to exactly the " +
      "quantized-clear prediction, latency per row (one-row queries: encrypt, server, decrypt; keys cached; median), " +
      "the server's time per row (median; leveled models: one query holding many test rows), and the bytes on the wire " +
      "(compressed evaluation keys, once per client; one-row query and result). “CPU/wall” is the process's CPU time over " +
      "wall time during the 2-worker runs: near 2 when both workers computed at once.",
  );
  out.push("");
  out.push(`**Machine:** ${m.machine?.cpu ?? "?"}, ${m.machine?.cores ?? "?"} cores, Node ${m.node ?? m.machine?.node ?? "?"}, ` +
    `commit ${m.commit ?? m.machine?.commit ?? "?"}${m.machine?.dirty ? " + uncommitted changes" : ""}, ${m.date ?? m.machine?.date ?? "?"}` +
    `${m.wall_s != null ? `, ${m.wall_s} s wall` : ""}${m.quick ? ", **--quick** (code-path check: few FHE rows, no digits / MNIST)" : ""}`);
  out.push("");
  out.push(settingsLine(m));
  out.push("");
  if (results.length) {
    out.push(`| ${HEADER.join(" | ")} |`);
    out.push(`|${HEADER.map(() => "---").join("|")}|`);
    for (const r of results) out.push(`| ${row(r).join(" | ")} |`);
    out.push("");
  } else {
    out.push("_No model results._", "");
  }
  out.push(...simulationLine(results), ...baselineLines(results));
  const target = targetLine(results);
  if (target) out.push(target, "");
  if (results.some((r) => !r.fhe.skipped && r.fhe.latency_ms.two_workers == null && r.circuit.bootstraps > 0)) out.push(workersNote(m), "");
  const notRun = results.filter((r) => r.fhe.skipped);
  if (notRun.length) out.push(`[q] ${notRun.map((r) => `${r.dataset} × ${r.model}: ${r.fhe.skipped}`).join("; ")}.`, "");
  const notes = Object.entries(m.datasets ?? {}).map(([name, source]) => `- ${name}: ${source}`);
  if (notes.length) out.push("Datasets:", "", ...notes, "");
  const options = results.filter((r) => Object.keys(r.options ?? {}).length);
  if (options.length) {
    out.push("Model options (everything else at the library's defaults):", "");
    for (const r of options) out.push(`- ${r.dataset} × ${r.model}: \`${JSON.stringify(r.options)}\``);
    out.push("");
  }
  for (const s of m.skipped ?? []) out.push(`- skipped: ${s}`);
  return out.join("\n").trimEnd();
}
