// What `import Benchmark from "benchmark"` (bench/lib/stats.js) resolves to in the browser bundle
// (bench/browser.js maps it here): the same package, unmodified, loaded the way a page loads it.
import "./benchmark-globals.js";
import Benchmark from "../../node_modules/benchmark/benchmark.js";

// As with a <script> tag: Benchmark.js compiles its timing loops by injecting scripts that refer
// to the global `Benchmark`.
globalThis.Benchmark ??= Benchmark;

export default Benchmark;
