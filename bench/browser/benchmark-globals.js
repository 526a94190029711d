// Evaluated before the `benchmark` package in the browser bundle (see benchmark.js here):
// Benchmark.js finds lodash and platform through a run-time require() that a bundler cannot
// follow, and otherwise falls back to the page's globals `_` and `platform`, as when it is loaded
// with <script> tags. Provide those globals.
import lodash from "lodash";
import platform from "platform";

globalThis._ ??= lodash;
globalThis.platform ??= platform;
