// The "Browser (Chromium) vs Node" section of BENCHMARKS.md: the engine runs of
// bench/results/browser.json (bench/browser.js) next to the engine runs of the same sets in
// bench/results/engine.json. Both come from the same code, bench/engine.js + bench/lib/stats.js.
import { fmtTime } from "./report.js";

const SET_ORDER = ["1_1", "2_2", "2_2_KS32", "2_2_L2", "3_3"];

/** Rows, in order: KS-PBS and key generation first (what the comparison is about), then the rest. */
const ROWS = [
  ["ks_pbs", "KS + PBS"],
  ["client_keygen", "client key generation"],
  ["eval_keygen_compressed", "evaluation keys, compressed generation"],
  ["eval_key_expand", "evaluation keys: deserialize + expand"],
  ["keyswitch", "keyswitch (KS)"],
  ["pbs", "PBS"],
  ["encrypt", "encrypt"],
  ["encrypt_seeded", "encrypt, seeded (per value)"],
  ["decrypt", "decrypt"],
];

function cell(m) {
  if (!m) return "—";
  return m.samples > 1 ? `**${fmtTime(m.median_ms)}** (n=${m.samples})` : `**${fmtTime(m.median_ms)}** (n=1)`;
}

function ratio(browser, node) {
  if (!browser || !node || !(node.median_ms > 0)) return "—";
  return `${(browser.median_ms / node.median_ms).toFixed(2)}×`;
}

const nodeTitle = (rt) => rt.replace(/^node(\d+)$/, "Node $1");

function sameMachine(a, b) {
  return a?.cpu === b?.cpu && a?.cores === b?.cores && a?.memory_bytes === b?.memory_bytes;
}

/**
 * Markdown for the section, or "" when there is nothing to show. `skipped`: reasons the browser
 * run did not happen this time (shown when there are no browser results at all).
 */
export function renderBrowser(engineResults, browserResults, { skipped = [] } = {}) {
  const out = ["## Browser (Chromium) vs Node", ""];
  const browserRuns = (browserResults?.runs ?? []).filter((r) => r.section === "engine")
    .sort((x, y) => SET_ORDER.indexOf(x.set) - SET_ORDER.indexOf(y.set));
  if (browserRuns.length === 0) {
    if (!skipped.length) return "";
    out.push(`_Not measured: ${skipped.join("; ")}._`);
    return out.join("\n");
  }
  const b = browserResults.browser ?? {};
  const nodeRuns = (engineResults?.runs ?? []).filter((r) => r.section === "engine" && /^node\d+$/.test(r.runtime));
  const nodeRuntimes = [...new Set(nodeRuns.map((r) => r.runtime))].sort((x, y) => Number(x.slice(4)) - Number(y.slice(4)));
  const sets = [...new Set(browserRuns.map((r) => r.set))].sort((x, y) => SET_ORDER.indexOf(x) - SET_ORDER.indexOf(y));

  out.push(
    "The same measurement code as the tables above (bench/engine.js and bench/lib/stats.js, unchanged) " +
      `bundled by esbuild with the engine's compiled JavaScript (${browserResults.bundle?.engine ?? "dist/src/engine"}) and run ` +
      `with the same build/blindml.wasm in headless Chromium ${b.version ?? "?"} (${b.executable ?? "?"}, ` +
      `${b.thread ?? "page main thread"}, driven by playwright-core; bench/browser.js). The page is cross-origin isolated ` +
      `(${b.cross_origin_isolated ? "yes" : "no"}; performance.now() step ${b.timer_resolution_ms != null ? fmtTime(b.timer_resolution_ms) : "?"}). ` +
      "Medians; the ratio is Chromium ÷ Node (below 1: faster in the browser). Benchmark.js (encrypt, decrypt) times its " +
      "cycles with process.hrtime in Node and Date in the page, cycles of at least 50 ms in both.",
  );
  out.push("");
  const notes = [];
  const nodeMachine = engineResults?.machine;
  if (!nodeRuntimes.length) notes.push("bench/results/engine.json has no Node engine runs to compare with");
  else if (!sameMachine(nodeMachine, browserResults.machine)) notes.push("**the Node and the browser figures come from different machines**");
  if (skipped.length) notes.push(`the latest browser attempt did not run (${skipped.join("; ")}); these are the earlier figures`);
  const load = browserResults.load_average?.before?.[0];
  const cores = browserResults.machine?.cores;
  if (load != null && cores && load > 0.5 * cores) {
    notes.push(`the 1-minute load average was ${load} (${cores} cores) when the latest browser run started: other work was running`);
  }
  if (browserRuns.some((r) => r.quick)) notes.push("browser runs made with --quick (fewer samples)");
  if (nodeRuns.some((r) => r.quick && sets.includes(r.set))) notes.push("Node runs made with --quick (fewer samples)");
  if (notes.length) {
    out.push(`_Note: ${notes.join("; ")}._`);
    out.push("");
  }

  const header = ["set", "operation", ...nodeRuntimes.map(nodeTitle), `Chromium ${String(b.version ?? "").split(".")[0]}`,
    ...nodeRuntimes.map((rt) => `Chromium ÷ ${nodeTitle(rt)}`)];
  out.push(`| ${header.join(" | ")} |`);
  out.push(`|${header.map(() => "---").join("|")}|`);
  for (const set of sets) {
    const br = browserRuns.find((r) => r.set === set);
    const nr = nodeRuntimes.map((rt) => nodeRuns.find((r) => r.set === set && r.runtime === rt));
    for (const [metric, label] of ROWS) {
      const bm = br.metrics?.[metric];
      const nm = nr.map((r) => r?.metrics?.[metric]);
      if (!bm && nm.every((x) => !x)) continue;
      out.push(`| ${set} | ${label} | ${nm.map(cell).join(" | ")}${nm.length ? " | " : ""}${cell(bm)}${nm.length ? " | " : ""}` +
        `${nm.map((x) => ratio(bm, x)).join(" | ")} |`);
    }
  }
  out.push("");
  const checks = browserRuns.map((r) => `${r.set}: ${Object.entries(r.checks ?? {}).map(([k, v]) => `${k} ${v}`).join(", ")}`);
  out.push(`Correctness checks in the page: ${checks.join("; ")}.`);
  out.push("");
  const wasm = browserRuns.map((r) => `${r.set} ${(r.memory?.wasm_memory_bytes / 2 ** 20).toFixed(0)} MiB`);
  out.push(`WebAssembly memory in the page after creating the evaluator: ${wasm.join(", ")} (no process RSS figure in a page).`);
  out.push("");
  const nodeDates = nodeRuns.filter((r) => sets.includes(r.set)).map((r) => r.date).sort();
  const browserDates = browserRuns.map((r) => r.date).sort();
  out.push(
    `Browser runs: ${browserDates[0]} – ${browserDates.at(-1)}, commit ${browserRuns[0].commit ?? "?"}` +
      `${browserResults.machine?.dirty ? " + uncommitted changes" : ""}, ${b.user_agent ?? ""}. ` +
      (nodeDates.length ? `Node runs: ${nodeDates[0]} – ${nodeDates.at(-1)}.` : ""),
  );
  return out.join("\n");
}
