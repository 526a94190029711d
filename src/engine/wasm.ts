// Loads the engine's single WebAssembly module in Node, Deno or a browser. The same bytes
// (build/blindml.wasm) run everywhere; only the way they are fetched differs.
import * as loader from "@assemblyscript/loader";

/** The raw exports of assembly/index.ts. Pointers are byte offsets into `memory`. */
export interface EngineExports extends Record<string, unknown> {
  memory: WebAssembly.Memory;
  alloc(bytes: number): number;
  allocZeroed(bytes: number): number;
  dealloc(ptr: number): void;
  wipe(ptr: number, bytes: number): void;
}

export type WasmSource = BufferSource | URL | string | WebAssembly.Module;

const DEFAULT_WASM_URL = new URL("../../../build/blindml.wasm", import.meta.url);

async function readSource(source: WasmSource): Promise<BufferSource | WebAssembly.Module> {
  if (source instanceof WebAssembly.Module) return source;
  if (typeof source !== "string" && !(source instanceof URL)) return source;
  const url = source instanceof URL ? source : new URL(source, import.meta.url);
  if (url.protocol === "file:" && typeof (globalThis as { Deno?: unknown }).Deno === "undefined") {
    const fs = await import("node:fs/promises");
    return fs.readFile(url);
  }
  const response = await fetch(url);
  if (!response.ok) throw new Error(`blindml: cannot fetch the engine module at ${url}: HTTP ${response.status}`);
  return response.arrayBuffer();
}

/** Instantiates the engine module. `source` defaults to the package's build/blindml.wasm. */
export async function instantiateEngine(source: WasmSource = DEFAULT_WASM_URL): Promise<EngineExports> {
  const bytesOrModule = await readSource(source);
  const { exports } = await loader.instantiate<EngineExports>(bytesOrModule as BufferSource, {});
  return exports as unknown as EngineExports;
}
