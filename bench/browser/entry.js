// Browser entry of the engine benchmark (bundled by bench/browser.js with esbuild): the very same
// bench/engine.js and bench/lib/stats.js as in Node, driving the engine's compiled JavaScript
// (dist/src/engine, what "blindml/engine" resolves to in Node) and build/blindml.wasm, fetched
// from the bench server.
import { runEngine } from "../engine.js";
import * as engineApi from "../../dist/src/engine/index.js";

/** Smallest non-zero step of performance.now() (ms): 5 µs when cross-origin isolated, else ~100 µs. */
function timerResolutionMs() {
  const steps = [];
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    let t1 = t0;
    while (t1 === t0) t1 = performance.now();
    steps.push(t1 - t0);
  }
  steps.sort((a, b) => a - b);
  return Number(steps[Math.floor(steps.length / 2)].toPrecision(3));
}

globalThis.runBlindmlBench = async ({ sets, quick, runtime, wasmUrl }) => {
  const log = (msg) => console.log(`[bench] ${msg}`);
  // same API object, except that the wasm comes from the server instead of import.meta.url
  const api = { ...engineApi, loadEngine: () => engineApi.loadEngine(new URL(wasmUrl, location.href)) };
  const page = {
    user_agent: navigator.userAgent,
    cross_origin_isolated: globalThis.crossOriginIsolated === true,
    timer_resolution_ms: timerResolutionMs(),
    hardware_concurrency: navigator.hardwareConcurrency,
  };
  const started = performance.now();
  const res = await runEngine({ sets, quick, runtime, log, api });
  return { ...res, page, wall_s: Number(((performance.now() - started) / 1000).toFixed(1)) };
};
globalThis.blindmlBenchReady = true;
