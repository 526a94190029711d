// Timing helpers: percentile statistics, a performance.now() sampling loop for slow operations,
// and a wrapper around the `benchmark` package for micro-operations.
// No Node-only imports: bench/browser.js bundles this file (through bench/engine.js) for Chromium,
// where "benchmark" resolves to bench/browser/benchmark.js (the same package, with the lodash and
// platform modules it otherwise require()s at run time).
import Benchmark from "benchmark";

/** Linear-interpolated percentile (q in [0, 1]) of an already sorted array. */
export function percentile(sorted, q) {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** { median_ms, p10_ms, p90_ms, samples } from a list of durations in milliseconds. */
export function summarize(durationsMs, extra = {}) {
  const sorted = [...durationsMs].sort((a, b) => a - b);
  return {
    median_ms: round(percentile(sorted, 0.5)),
    p10_ms: round(percentile(sorted, 0.1)),
    p90_ms: round(percentile(sorted, 0.9)),
    samples: sorted.length,
    ...extra,
  };
}

/** Divides every time of a summary by `n` (for "per value" figures of a batched operation). */
export function perItem(summary, n) {
  return {
    ...summary,
    median_ms: round(summary.median_ms / n),
    p10_ms: round(summary.p10_ms / n),
    p90_ms: round(summary.p90_ms / n),
    per: n,
  };
}

function round(ms) {
  if (!Number.isFinite(ms)) return ms;
  return Number(ms.toPrecision(6));
}

/**
 * Times `fn` with performance.now(): `warmup` untimed calls, then `samples` timed ones.
 * `setup()` (untimed) prepares the argument of each call; `teardown(result, input)` (untimed)
 * releases what the call produced. Returns the summary plus `last`, the result of the final call
 * when `keepLast` is set (it is then not torn down).
 */
export function measure(fn, { samples, warmup = 1, setup, teardown, keepLast = false }) {
  const times = [];
  let last;
  const total = warmup + samples;
  for (let i = 0; i < total; i++) {
    const input = setup ? setup() : undefined;
    const t0 = performance.now();
    const result = fn(input);
    const t1 = performance.now();
    if (i >= warmup) times.push(t1 - t0);
    if (keepLast && i === total - 1) last = result;
    else if (teardown) teardown(result, input);
  }
  const summary = summarize(times, { method: "performance.now loop", warmup });
  return keepLast ? { summary, last } : { summary };
}

/**
 * Micro-benchmark with the `benchmark` package (for operations well under a millisecond).
 * Each of Benchmark.js's samples is the mean time per call over one timed cycle; the
 * percentiles are taken over those samples.
 */
export function micro(name, fn, { quick = false } = {}) {
  const bench = new Benchmark(name, fn, {
    async: false,
    initCount: 1,
    minSamples: quick ? 5 : 20,
    maxTime: quick ? 0.5 : 2,
  });
  bench.run({ async: false });
  if (bench.error) throw bench.error;
  const perCallMs = bench.stats.sample.map((s) => s * 1000);
  return summarize(perCallMs, {
    method: "benchmark.js",
    calls: bench.count * bench.stats.sample.length,
    rme_percent: Number(bench.stats.rme.toFixed(2)),
  });
}
