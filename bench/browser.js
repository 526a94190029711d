#!/usr/bin/env node
// The engine benchmark in a browser: bench/engine.js + bench/lib/stats.js, unchanged, bundled with
// esbuild (bench/browser/entry.js) together with the engine's compiled JavaScript (dist/src/engine),
// served with build/blindml.wasm from 127.0.0.1 and run in headless Chromium through
// playwright-core, on the page's main thread.
//
//   node bench/browser.js [--sets 2_2,2_2_L2,1_1] [--quick] [--fresh] [--chromium PATH]
//
// Writes bench/results/browser.json (runs of sets not re-run are kept from the previous file when
// it was written on the same machine with the same Chromium, unless --fresh) and prints one line
// "@@BENCH_JSON@@ {…}" (what was written or why nothing was) for bench/benchmark.js, whose
// `--only browser` section runs this script and then re-renders BENCHMARKS.md. Chromium:
// --chromium, else $BLINDML_CHROMIUM, else /usr/bin/chromium, else playwright's own download.
// When none is there (or the engine is not built) the section is skipped with the reason.
import { createServer } from "node:http";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs as parseCliArgs } from "node:util";
import { gitCommit, gitDirty, machineInfo } from "./lib/machine.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, "..");
export const BROWSER_RESULTS = join(HERE, "results", "browser.json");
const ENTRY = join(HERE, "browser", "entry.js");
const BENCHMARK_SHIM = join(HERE, "browser", "benchmark.js");
const ENGINE_JS = join(ROOT, "dist", "src", "engine", "index.js");
const WASM = join(ROOT, "build", "blindml.wasm");
const DEFAULT_SETS = ["2_2", "2_2_L2", "1_1"];
const LAUNCH_ARGS = ["--no-sandbox"];
const JSON_MARK = "@@BENCH_JSON@@ ";

const relative = (p) => p.slice(ROOT.length + 1);

/** The Chromium binary to use, or { skipped } with the places looked at. */
async function findChromium(explicit, chromium) {
  const chosen = explicit || process.env.BLINDML_CHROMIUM;
  if (chosen) {
    return existsSync(chosen) ? { path: chosen } : { skipped: `no Chromium at ${chosen} (--chromium / BLINDML_CHROMIUM)` };
  }
  const candidates = ["/usr/bin/chromium"];
  for (const c of candidates) if (existsSync(c)) return { path: c };
  let bundled = null;
  try {
    bundled = chromium.executablePath();
  } catch {
    // playwright-core without a browser download
  }
  if (bundled && existsSync(bundled)) return { path: bundled };
  return {
    skipped: `no Chromium (looked at ${[...candidates, bundled ?? "playwright's download"].join(", ")}); ` +
      "install it (Debian: apt-get install chromium) or pass --chromium PATH / set BLINDML_CHROMIUM",
  };
}

/** The browser bundle (one ES module, as text). */
async function bundle(esbuild) {
  const mapBenchmark = {
    name: "benchmark-in-the-browser",
    setup(build) {
      build.onResolve({ filter: /^benchmark$/ }, () => ({ path: BENCHMARK_SHIM }));
    },
  };
  const out = await esbuild.build({
    entryPoints: [ENTRY],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "esnext",
    write: false,
    logLevel: "silent",
    plugins: [mapBenchmark],
    // never reached in the page: bench/engine.js's own import of the engine (the page injects it)
    // and wasm.ts's file: reader (the page passes an http: URL)
    external: ["blindml/engine", "node:*"],
  });
  return out.outputFiles[0].text;
}

const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>blindml engine benchmark</title>
<script type="module" src="/bench.js"></script>
`;

/**
 * Serves the page, the bundle and the wasm on 127.0.0.1 (random port). Cross-origin isolated
 * (COOP + COEP), as a page hosting the engine should be: SharedArrayBuffer is available and
 * performance.now() has its finer (5 µs) resolution.
 */
async function serve(script, wasm) {
  const files = {
    "/": ["text/html; charset=utf-8", PAGE],
    "/bench.js": ["text/javascript; charset=utf-8", script],
    "/blindml.wasm": ["application/wasm", wasm],
  };
  const server = createServer((req, res) => {
    const file = files[new URL(req.url ?? "/", "http://127.0.0.1").pathname];
    const headers = {
      "Cross-Origin-Opener-Policy": "same-origin",
      "Cross-Origin-Embedder-Policy": "require-corp",
      "Cross-Origin-Resource-Policy": "same-origin",
      "Cache-Control": "no-store",
    };
    if (!file) {
      res.writeHead(req.url === "/favicon.ico" ? 204 : 404, headers).end("not found");
      return;
    }
    res.writeHead(200, { ...headers, "Content-Type": file[0] }).end(file[1]);
  });
  await new Promise((ok, fail) => {
    server.once("error", fail);
    server.listen(0, "127.0.0.1", ok);
  });
  return { server, url: `http://127.0.0.1:${server.address().port}/` };
}

function packageVersion(name) {
  try {
    return JSON.parse(readFileSync(join(ROOT, "node_modules", name, "package.json"), "utf8")).version;
  } catch {
    return null;
  }
}

/**
 * Runs runEngine() for `sets` in headless Chromium. Returns { runs, skipped, browser, bundle }, or
 * { runs: [], skipped: [reason] } when Chromium, playwright-core, esbuild or the engine build is
 * missing; never throws for those.
 */
export async function runBrowser({ sets = DEFAULT_SETS, quick = false, chromiumPath, log = () => {} } = {}) {
  const skip = (reason) => ({ runs: [], skipped: [`browser: ${reason}`] });
  for (const [file, how] of [[ENGINE_JS, "npm run build:ts"], [WASM, "npm run build:wasm"]]) {
    if (!existsSync(file)) return skip(`${relative(file)} is missing (${how})`);
  }
  let chromium;
  let esbuild;
  try {
    ({ chromium } = await import("playwright-core"));
  } catch (err) {
    return skip(`cannot import playwright-core (${err.code ?? err.message})`);
  }
  try {
    esbuild = await import("esbuild");
  } catch (err) {
    return skip(`cannot import esbuild (${err.code ?? err.message})`);
  }
  const found = await findChromium(chromiumPath, chromium);
  if (found.skipped) return skip(found.skipped);

  let script;
  try {
    script = await bundle(esbuild);
  } catch (err) {
    return skip(`bundling bench/browser/entry.js failed (${err.message})`);
  }
  const wasm = readFileSync(WASM);
  const loadBefore = loadavg().map((x) => Number(x.toFixed(2)));
  const { server, url } = await serve(script, wasm);
  let browser;
  try {
    try {
      browser = await chromium.launch({ executablePath: found.path, args: LAUNCH_ARGS, headless: true });
    } catch (err) {
      return skip(`cannot launch ${found.path} (${String(err.message).split("\n")[0]})`);
    }
    const version = browser.version();
    const runtime = `chromium${version.split(".")[0]}`;
    log(`browser: Chromium ${version} (${found.path}), headless, page ${url}`);
    const page = await browser.newPage();
    page.on("console", (msg) => {
      const text = msg.text();
      log(text.startsWith("[bench] ") ? text.slice(8) : `  chromium console (${msg.type()}): ${text}`);
    });
    page.on("pageerror", (err) => log(`  chromium page error: ${err.message}`));
    await page.goto(url);
    await page.waitForFunction(() => globalThis.blindmlBenchReady === true, null, { timeout: 60_000 });
    const out = await page.evaluate((o) => globalThis.runBlindmlBench(o), { sets, quick, runtime, wasmUrl: "/blindml.wasm" });
    return {
      runs: out.runs,
      skipped: out.skipped.map((s) => `engine (${runtime}): ${s}`),
      wall_s: out.wall_s,
      browser: {
        name: "Chromium",
        version,
        runtime,
        executable: found.path,
        headless: true,
        launch_args: LAUNCH_ARGS,
        thread: "page main thread",
        ...out.page,
        playwright_core: packageVersion("playwright-core"),
      },
      // 1-, 5- and 15-minute load averages: other work on the machine inflates every figure
      load_average: { before: loadBefore, after: loadavg().map((x) => Number(x.toFixed(2))) },
      bundle: {
        entry: relative(ENTRY),
        engine: relative(ENGINE_JS),
        wasm: relative(WASM),
        wasm_bytes: wasm.length,
        bundle_bytes: Buffer.byteLength(script),
        esbuild: esbuild.version,
      },
    };
  } catch (err) {
    log(err?.stack ?? String(err));
    return skip(`the run in Chromium failed (${String(err?.message ?? err).split("\n")[0]})`);
  } finally {
    await browser?.close().catch(() => {});
    server.close();
  }
}

function sameMachine(a, b) {
  return a?.cpu === b?.cpu && a?.cores === b?.cores && a?.memory_bytes === b?.memory_bytes;
}

/** The results file content: this run plus, unless `fresh`, earlier runs of other sets (same machine and Chromium). */
function merge(previous, current, { fresh, log }) {
  if (fresh || !previous?.runs) return current;
  if (!sameMachine(previous.machine, current.machine) || previous.browser?.version !== current.browser.version) {
    log("previous browser results come from another machine or Chromium: not kept");
    return current;
  }
  const redone = new Set(current.runs.map((r) => r.set));
  const kept = previous.runs.filter((r) => !redone.has(r.set) && !current.attempted.includes(r.set));
  if (kept.length) log(`kept ${kept.length} earlier browser run(s) of other sets (use --fresh to drop them)`);
  return { ...current, runs: [...current.runs, ...kept] };
}

function parseArgs(argv) {
  const { values } = parseCliArgs({
    args: argv,
    options: { sets: { type: "string" }, quick: { type: "boolean" }, fresh: { type: "boolean" }, chromium: { type: "string" } },
  });
  const sets = values.sets ? values.sets.split(",").filter(Boolean) : DEFAULT_SETS;
  for (const s of sets) if (!/^\d_\d(_KS32|_L2)?$/.test(s)) throw new Error(`bad set name ${s}`);
  return { sets, quick: values.quick ?? false, fresh: values.fresh ?? false, chromium: values.chromium ?? null };
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const log = (msg) => process.stderr.write(`${msg}\n`);
  const started = performance.now();
  const res = await runBrowser({ sets: opts.sets, quick: opts.quick, chromiumPath: opts.chromium, log });
  for (const s of res.skipped) log(`skipped: ${s}`);
  let written = null;
  if (res.runs.length) {
    const commit = gitCommit(ROOT);
    const current = {
      machine: { ...machineInfo(ROOT), dirty: gitDirty(ROOT) },
      browser: res.browser,
      bundle: res.bundle,
      load_average: res.load_average,
      attempted: opts.sets,
      runs: res.runs.map((r) => ({ ...r, browser: `Chromium ${res.browser.version}`, commit, quick: opts.quick || undefined })),
      skipped: res.skipped,
      wall_s: res.wall_s,
    };
    let previous = null;
    try {
      previous = existsSync(BROWSER_RESULTS) ? JSON.parse(readFileSync(BROWSER_RESULTS, "utf8")) : null;
    } catch {
      // unreadable: replaced
    }
    mkdirSync(dirname(BROWSER_RESULTS), { recursive: true });
    writeFileSync(BROWSER_RESULTS, `${JSON.stringify(merge(previous, current, { fresh: opts.fresh, log }), null, 2)}\n`);
    written = BROWSER_RESULTS;
    log(`wrote ${relative(BROWSER_RESULTS)} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  } else {
    log("no browser run: bench/results/browser.json left as it was");
  }
  process.stdout.write(`${JSON_MARK}${JSON.stringify({ written, runs: res.runs.length, skipped: res.skipped })}\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    process.stderr.write(`${err?.stack ?? err}\n`);
    process.exitCode = 1;
  });
}
