// blindml/engine: the TFHE engine's public TypeScript API.
export { instantiateEngine } from "./wasm.js";
export type { EngineExports, WasmSource } from "./wasm.js";
