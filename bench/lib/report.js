// Writes BENCHMARKS.md from the results JSON. Every number comes from the JSON, except the
// "published, not measured here" column, which comes from lib/published.js.
import { PUBLISHED, SOURCES } from "./published.js";

const SET_ORDER = ["1_1", "2_2", "2_2_KS32", "2_2_L2", "3_3"];

const GROUPS = [
  {
    title: "Keys",
    kind: "time",
    rows: [
      ["client_keygen", "client key generation"],
      ["eval_keygen_compressed", "evaluation keys, compressed (seeded) generation"],
      ["eval_key_expand", "evaluation keys: deserialize + expand (Fourier)"],
      ["server_keygen_full", "full (uncompressed) server key generation"],
    ],
  },
  {
    title: "Client operations (one value)",
    kind: "time",
    rows: [
      ["encrypt", "encrypt"],
      ["encrypt_seeded", "encrypt, seeded (per value)"],
      ["decrypt", "decrypt"],
    ],
  },
  {
    title: "Server operations (one ciphertext)",
    kind: "time",
    rows: [
      ["keyswitch", "keyswitch (KS)"],
      ["pbs", "programmable bootstrap (PBS)"],
      ["ks_pbs", "KS + PBS"],
      ["ks_pbs_forced", "KS + PBS forced through packed-list expansion"],
    ],
  },
  {
    title: "Sizes",
    kind: "size",
    rows: [
      ["client_key", "client key"],
      ["eval_keys_compressed", "evaluation keys, compressed (upload)"],
      ["eval_keys_expanded", "evaluation keys, expanded (server memory)"],
      ["ciphertext", "ciphertext"],
      ["ciphertext_seeded_per_value", "seeded ciphertext, per value"],
      ["compact_list_per_value", "compact public-key list, per 2-bit value"],
      ["compact_list_packed_per_value", "packed compact list, per 2-bit value"],
    ],
  },
  {
    title: "Memory",
    kind: "memory",
    rows: [
      ["rss_bytes", "process RSS"],
      ["wasm_memory_bytes", "WebAssembly memory"],
    ],
  },
];

function sig(x, digits = 3) {
  if (x === 0) return "0";
  const abs = Math.abs(x);
  if (abs >= 10 ** digits) return Math.round(x).toLocaleString("en-US");
  return Number(x.toPrecision(digits)).toString();
}

export function fmtTime(ms) {
  if (ms == null || !Number.isFinite(ms)) return "—";
  if (ms < 0.001) return `${sig(ms * 1e6)} ns`;
  if (ms < 1) return `${sig(ms * 1000)} µs`;
  if (ms < 1000) return `${sig(ms)} ms`;
  return `${sig(ms / 1000)} s`;
}

function fmtRange(lo, hi) {
  if (lo < 0.001 && hi < 0.001) return `${sig(lo * 1e6)}–${sig(hi * 1e6)} ns`;
  if (lo < 1 && hi < 1) return `${sig(lo * 1000)}–${sig(hi * 1000)} µs`;
  if (lo < 1000 && hi < 1000) return `${sig(lo)}–${sig(hi)} ms`;
  return `${sig(lo / 1000)}–${sig(hi / 1000)} s`;
}

export function fmtBytes(b, approx = false) {
  if (b == null || !Number.isFinite(b)) return "—";
  const pre = approx ? "≈ " : "";
  if (b < 1024 * 1024) return `${pre}${Math.round(b).toLocaleString("en-US")} B`;
  return `${pre}${Math.round(b).toLocaleString("en-US")} B (${(b / 2 ** 20).toFixed(1)} MiB)`;
}

function timeCell(m) {
  if (!m) return null;
  const range = m.samples > 1 ? ` (p10–p90 ${fmtRange(m.p10_ms, m.p90_ms)}, n=${m.samples})` : ` (n=1)`;
  return `**${fmtTime(m.median_ms)}**${range}`;
}

function publishedCell(metric) {
  const list = PUBLISHED[metric];
  if (!list) return "";
  return list
    .map((p) => {
      const v = p.unit === "ms" ? fmtTime(p.value) : fmtBytes(p.value, p.unit === "B~");
      return `${p.label}: ${v} [${p.src}]`;
    })
    .join("<br>");
}

function columnsOf(results) {
  const runs = results.runs;
  const runtimes = [...new Set(runs.map((r) => r.runtime))].sort();
  const cols = [];
  const sets = [...new Set(runs.filter((r) => r.section === "engine").map((r) => r.set))].sort(
    (a, b) => SET_ORDER.indexOf(a) - SET_ORDER.indexOf(b),
  );
  for (const set of sets) {
    for (const rt of runtimes) {
      const run = runs.find((r) => r.section === "engine" && r.set === set && r.runtime === rt);
      if (run) cols.push({ title: `blindml ${set} (${rt})`, run });
    }
  }
  for (const rt of runtimes) {
    const run = runs.find((r) => r.section === "tfhe-npm" && r.runtime === rt);
    if (run) cols.push({ title: `npm tfhe ${run.peer?.version ?? ""} ${run.set} (${rt})`, run });
  }
  return cols;
}

function cellFor(group, metric, run) {
  let text = null;
  if (group.kind === "time") text = timeCell(run.metrics?.[metric]);
  else if (group.kind === "size") {
    const v = run.sizes?.[metric];
    text = v == null ? null : fmtBytes(v);
  } else if (group.kind === "memory") {
    const v = run.memory?.[metric];
    text = v == null ? null : fmtBytes(v);
  }
  if (text == null && run.unavailable?.[metric]) text = run.unavailable[metric];
  return text;
}

function table(group, cols) {
  const header = ["", ...cols.map((c) => c.title), "published, not measured here"];
  const lines = [];
  for (const [metric, label] of group.rows) {
    const cells = cols.map((c) => cellFor(group, metric, c.run));
    const pub = publishedCell(metric);
    if (cells.every((x) => x == null)) continue;
    lines.push([label, ...cells.map((x) => x ?? "—"), pub || "—"]);
  }
  if (lines.length === 0) return "";
  const out = [`| ${header.join(" | ")} |`, `|${header.map(() => "---").join("|")}|`];
  for (const l of lines) out.push(`| ${l.join(" | ")} |`);
  return out.join("\n");
}

function machineLine(m) {
  const mem = `${(m.memory_bytes / 2 ** 30).toFixed(1)} GiB`;
  const simd = m.cpu_simd?.length ? ` (${m.cpu_simd.join(", ")})` : "";
  const commit = m.commit ? `commit ${m.commit}${m.dirty ? " + uncommitted changes" : ""}` : "commit unknown";
  return `${m.cpu}${simd}, ${m.cores} cores, ${mem} RAM, ${m.os}, harness on Node ${m.node}, ${commit}, ${m.date}`;
}

/** The whole of BENCHMARKS.md; `extraSections` (markdown strings, e.g. the models table) follow the engine tables. */
export function renderMarkdown(results, extraSections = []) {
  const cols = columnsOf(results);
  const out = [];
  out.push("<!-- Generated by bench/benchmark.js (npm run bench). Do not edit by hand: re-run it. -->");
  out.push("# Benchmarks");
  out.push("");
  out.push(
    "_This file is generated entirely by `npm run bench` (bench/benchmark.js) from " +
      "bench/results/engine.json, bench/results/browser.json and bench/results/models.json; every figure outside the “published, not measured here” column was " +
      "measured by these runs._",
  );
  out.push("");
  out.push(`**Machine:** ${machineLine(results.machine)}`);
  out.push("");
  out.push(
    "Times are medians, bold, with the 10th–90th percentile range and the number of samples. " +
      "Fast operations (encrypt, decrypt) use the `benchmark` package (each sample is the mean of " +
      "one timed cycle); the others use `performance.now()` loops after warm-up calls. One thread.",
  );
  out.push("");
  if (cols.length === 0) out.push("_No runs._\n");
  for (const g of GROUPS) {
    const t = table(g, cols);
    if (!t) continue;
    out.push(`## ${g.title}`);
    out.push("");
    out.push(t);
    out.push("");
  }

  const workerRuns = results.runs.filter((r) => r.section === "workers");
  if (workerRuns.length) {
    out.push("## Evaluators in worker threads (expanded keys shared, not recomputed)");
    out.push("");
    out.push("The main thread expands the evaluation keys once and posts them as SharedArrayBuffers; each worker " +
      "copies them into its own wasm memory (no FFTs). bench/workers.js.");
    out.push("");
    out.push("| set | runtime | expanded keys | worker start (copy) | wasm memory per worker | RSS added per worker | KS-PBS/s, 1 worker | KS-PBS/s, 2 workers |");
    out.push("|---|---|---|---|---|---|---|---|");
    for (const r of workerRuns) {
      const w = r.workers;
      out.push(`| ${w.set} | ${r.runtime} | ${fmtBytes(w.expanded_key_bytes)} | ${w.worker_load_ms.map((x) => `${x} ms`).join(", ")} | ` +
        `${w.worker_wasm_memory_mib.join(", ")} MiB | ${w.rss_added_per_worker_mib} MiB | ${w.bootstraps_per_s.one_worker} | ${w.bootstraps_per_s.two_workers} |`);
    }
    out.push("");
  }

  for (const section of extraSections) out.push(section, "");

  const checks = results.runs.filter((r) => r.checks);
  if (checks.length) {
    out.push("## Correctness checks during the run");
    out.push("");
    for (const r of checks) {
      const c = Object.entries(r.checks).map(([k, v]) => `${k}: ${v}`).join(", ");
      out.push(`- blindml ${r.set} (${r.runtime}): ${c}`);
    }
    out.push("");
  }

  out.push("## Runs");
  out.push("");
  for (const r of results.runs) {
    const who = r.section === "engine" ? `blindml ${r.set}` : r.section === "workers" ? `blindml workers ${r.set}` : `npm tfhe ${r.peer?.version ?? ""} ${r.set}`;
    const extra = [];
    if (r.node) extra.push(`Node ${r.node}`);
    if (r.commit) extra.push(`commit ${r.commit}`);
    if (r.quick) extra.push("--quick");
    if (r.wall_s != null) extra.push(`${r.wall_s} s wall`);
    if (r.peer?.params) {
      const p = r.peer.params;
      extra.push(`${p.name}: n=${p.n}, k=${p.k}, N=${p.N}, pbs ${p.pbs}, ks ${p.ks}, ${p.encryption_key} key`);
    }
    if (r.notes?.length) extra.push(r.notes.join("; "));
    out.push(`- ${who} (${r.runtime}), measured ${r.date}: ${extra.join(", ")}`);
  }
  for (const s of results.skipped ?? []) out.push(`- skipped: ${s}`);
  out.push("");
  out.push("Sources of the published column:");
  out.push("");
  for (const [k, v] of Object.entries(SOURCES)) out.push(`- [${k}] ${v}`);
  out.push("");
  return out.join("\n");
}
