// Shared by the tests that call the engine's raw wasm exports (fft, decomposition): one module
// instance, typed views, and a fixed-seed generator so failures reproduce.
import { instantiateEngine } from "blindml/engine";

export const wasm = await instantiateEngine();
export const TWO64 = 1n << 64n;

// Views are rebuilt on every use: an allocation may grow (and detach) the memory buffer.
export const u64 = (ptr, n) => new BigUint64Array(wasm.memory.buffer, ptr, n);
export const i64 = (ptr, n) => new BigInt64Array(wasm.memory.buffer, ptr, n);
export const f64 = (ptr, n) => new Float64Array(wasm.memory.buffer, ptr, n);

/** splitmix64: a fixed-seed generator of u64 bigints. */
export function makeRandom(seed) {
  let state = BigInt.asUintN(64, BigInt(seed));
  return function next() {
    state = BigInt.asUintN(64, state + 0x9e3779b97f4a7c15n);
    let z = state;
    z = BigInt.asUintN(64, (z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n);
    z = BigInt.asUintN(64, (z ^ (z >> 27n)) * 0x94d049bb133111ebn);
    return z ^ (z >> 31n);
  };
}
