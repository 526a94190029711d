#!/usr/bin/env node
// Builds the browser client (`npm run build:web`, part of `npm run build`): two ESM bundles made
// with esbuild from the compiled-to-be TypeScript sources, and the engine's .wasm beside them.
//   dist/web/blindml.js        the page's API (BrowserInferenceClient); no engine inside
//   dist/web/client-worker.js  the Web Worker: engine wrapper, ML client, AWS SDK clients
//   dist/web/blindml.wasm      the same module Node and Deno load (copied, not rebuilt)
import { copyFile, stat } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const OUT = join(ROOT, "dist", "web");

const result = await esbuild.build({
  entryPoints: { blindml: join(ROOT, "src/web/index.ts"), "client-worker": join(ROOT, "src/web/client-worker.ts") },
  outdir: OUT,
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  sourcemap: true,
  // Node-only modules are reached only behind runtime checks (file: URLs, worker threads)
  external: ["node:*"],
  logLevel: "warning",
  metafile: true,
});
await copyFile(join(ROOT, "build", "blindml.wasm"), join(OUT, "blindml.wasm"));

// What a page loads must not need Node: a static import of a node: module would fail to load in a
// browser. (The one dynamic import("node:fs/promises") in src/engine/wasm.ts runs only for file:
// URLs outside Deno, never in a page.)
for (const [file, output] of Object.entries(result.metafile.outputs)) {
  const nodeImports = output.imports.filter((i) => i.external && i.path.startsWith("node:") && i.kind !== "dynamic-import");
  if (nodeImports.length) throw new Error(`${file} imports Node modules statically: ${nodeImports.map((i) => i.path).join(", ")}`);
}

for (const file of Object.keys(result.metafile.outputs).filter((f) => !f.endsWith(".map"))) {
  process.stdout.write(`  ${file}  ${((await stat(join(ROOT, file))).size / 1024).toFixed(0)} KiB\n`);
}
process.stdout.write(`  ${join("dist", "web", "blindml.wasm")}  ${((await stat(join(OUT, "blindml.wasm"))).size / 1024).toFixed(0)} KiB\n`);
