// Loads the engine's single WebAssembly module in Node, Deno or a browser. The same bytes
// (build/blindml.wasm) run everywhere; only the way they are fetched differs.
import * as loader from "@assemblyscript/loader";

type Ptr = number;

/** The raw exports of assembly/index.ts. Pointers are byte offsets into `memory`; u64 are bigint. */
export interface EngineExports {
  memory: WebAssembly.Memory;
  alloc(bytes: number): Ptr;
  allocZeroed(bytes: number): Ptr;
  dealloc(ptr: Ptr): void;
  wipe(ptr: Ptr, bytes: number): void;
  // parameters
  paramsCreate(n: number, k: number, N: number, pbsBaseLog: number, pbsLevel: number, ksBaseLog: number,
    ksLevel: number, lweNoiseBound: number, glweNoiseBound: number, bskBodyDroppedBits: number,
    ksOutputModulusLog2: number): Ptr;
  paramsFree(ptr: Ptr): void;
  sizeOf(params: Ptr, what: number): number;
  // client keys and encryption
  secretKeysGenerate(params: Ptr, keySeed: Ptr, noiseSeed: Ptr): Ptr;
  secretKeysAllocate(params: Ptr, noiseSeed: Ptr): Ptr;
  secretKeysFinish(keys: Ptr): void;
  secretKeysDrawSeed(keys: Ptr, out: Ptr): void;
  secretKeysFree(keys: Ptr): void;
  secretKeysSmallKey(keys: Ptr): Ptr;
  secretKeysGlweKey(keys: Ptr): Ptr;
  encryptList(keys: Ptr, out: Ptr, plaintexts: Ptr, count: number, maskSeed: Ptr, firstIndex: number): void;
  encryptListSeeded(keys: Ptr, bodies: Ptr, plaintexts: Ptr, count: number, maskSeed: Ptr, firstIndex: number): void;
  expandSeededList(params: Ptr, out: Ptr, bodies: Ptr, count: number, maskSeed: Ptr, firstIndex: number): void;
  encryptSmall(keys: Ptr, out: Ptr, plaintext: bigint, maskSeed: Ptr, index: number): void;
  encryptListSmallSeeded(keys: Ptr, bodies: Ptr, plaintexts: Ptr, count: number, maskSeed: Ptr, firstIndex: number): void;
  expandSeededListSmall(params: Ptr, out: Ptr, bodies: Ptr, count: number, maskSeed: Ptr, firstIndex: number): void;
  lweMatrixProduct(out: Ptr, weights: Ptr, rows: number, cols: number, input: Ptr, words: number): void;
  lweVectorAddPlaintexts(vector: Ptr, count: number, words: number, plaintexts: Ptr): void;
  phaseBig(keys: Ptr, ct: Ptr): bigint;
  phaseSmall(keys: Ptr, ct: Ptr): bigint;
  generateEvaluationKeys(keys: Ptr, seed: Ptr, bskBodies: Ptr, kskBodies: Ptr): void;
  switchedPhase(keys: Ptr, ct: Ptr): number;
  // evaluation
  evaluatorCreate(params: Ptr, seed: Ptr, bskBodies: Ptr, kskBodies: Ptr): Ptr;
  evaluatorFromExpanded(params: Ptr, ksk: Ptr, fourierBsk: Ptr, ownsKeys: number): Ptr;
  evaluatorFree(ev: Ptr): void;
  evaluatorKeyswitchKey(ev: Ptr): Ptr;
  evaluatorFourierBootstrapKey(ev: Ptr): Ptr;
  evaluatorKeyswitch(ev: Ptr, out: Ptr, input: Ptr): void;
  evaluatorBootstrapSmall(ev: Ptr, out: Ptr, input: Ptr, lut: Ptr): void;
  evaluatorBootstrap(ev: Ptr, out: Ptr, input: Ptr, lut: Ptr): void;
  evaluatorBootstrapMany(ev: Ptr, out: Ptr, input: Ptr, lut: Ptr, count: number, stride: number): void;
  lweAddAssign(dst: Ptr, src: Ptr, dimension: number): void;
  lweSubAssign(dst: Ptr, src: Ptr, dimension: number): void;
  lweNegateAssign(ct: Ptr, dimension: number): void;
  lweMulScalarAssign(ct: Ptr, dimension: number, scalar: bigint): void;
  lweAddPlaintextAssign(ct: Ptr, dimension: number, plaintext: bigint): void;
  lweTrivial(ct: Ptr, dimension: number, plaintext: bigint): void;
  // GLWE ciphertexts (k = glweDimension, N = polySize)
  glweEncryptWithKeys(keys: Ptr, out: Ptr, plaintextPoly: Ptr, maskSeed: Ptr, index: number): void;
  glweEncryptSeededBody(keys: Ptr, bodyOut: Ptr, plaintextPoly: Ptr, maskSeed: Ptr, index: number): void;
  glweExpandSeeded(params: Ptr, out: Ptr, body: Ptr, maskSeed: Ptr, index: number): void;
  glwePhaseWithKeys(keys: Ptr, phaseOut: Ptr, ct: Ptr): void;
  glweAddAssign(dst: Ptr, src: Ptr, k: number, N: number): void;
  glweSubAssign(dst: Ptr, src: Ptr, k: number, N: number): void;
  glweNegateAssign(ct: Ptr, k: number, N: number): void;
  glweMulScalarAssign(ct: Ptr, k: number, N: number, scalar: bigint): void;
  glweAddPlaintextPolynomialAssign(ct: Ptr, k: number, N: number, plaintextPoly: Ptr): void;
  /** Everything else (test hooks, samplers, FFT): untyped. */
  [name: string]: unknown;
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
  const { exports } = await loader.instantiate<Record<string, unknown>>(bytesOrModule as BufferSource, {});
  return exports as unknown as EngineExports;
}
