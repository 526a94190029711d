// The client's secret material: the small LWE key s' ∈ {0,1}^n, the GLWE key S ∈ ({0,1}[X])^k
// (whose coefficients, flattened, form the big LWE key s ∈ {0,1}^{k·N}), the key polynomials'
// transforms for exact products, and the secret noise stream. Keys are uniform binary, as in
// tfhe-rs and the 128-bit estimates of docs/SPEC.md §3 (uniform binary secret).

import { CHACHA20_STREAM_BYTES, streamInit, streamFill } from "./csprng";
import { sampleBinary } from "./sampling";
import { DOMAIN_SECRET_KEY, DOMAIN_SECRET_NOISE } from "./domains";
import { Params, bigLweDimension } from "./params";
import { fftPlan, fftForwardI64 } from "./fft";

@unmanaged
export class SecretKeys {
  params: usize;
  /** s': n u64, each 0 or 1. */
  smallKey: usize;
  /** S: k polynomials of N u64 (0/1); read as one array it is the big LWE key s. */
  glweKey: usize;
  /** FFT(S_i) for i < k: k·N f64, for exact key products (glwe.ts). */
  keyFourier: usize;
  /** ChaCha20 stream for noise and fresh mask seeds; secret. */
  noiseStream: usize;
  /** A scratch stream for public masks. */
  maskStream: usize;
}

/** Allocates the key struct with room for the keys; `noiseSeed` (32 bytes) seeds the noise stream. */
export function secretKeysAllocate(paramsPtr: usize, noiseSeed: usize): usize {
  const p = changetype<Params>(paramsPtr);
  const keys = changetype<SecretKeys>(heap.alloc(offsetof<SecretKeys>()));
  keys.params = paramsPtr;
  keys.smallKey = heap.alloc(<usize>p.lweDimension << 3);
  keys.glweKey = heap.alloc(<usize>bigLweDimension(p) << 3);
  keys.keyFourier = heap.alloc(<usize>bigLweDimension(p) << 3);
  keys.noiseStream = heap.alloc(CHACHA20_STREAM_BYTES);
  keys.maskStream = heap.alloc(CHACHA20_STREAM_BYTES);
  streamInit(keys.noiseStream, noiseSeed, DOMAIN_SECRET_NOISE, 0, 0);
  return changetype<usize>(keys);
}

/** Computes the key transforms once the key coefficients are in place. */
export function secretKeysFinish(ptr: usize): void {
  const keys = changetype<SecretKeys>(ptr);
  const p = changetype<Params>(keys.params);
  const N = p.polynomialSize;
  const polyBytes = <usize>N << 3;
  const plan = fftPlan(N);
  for (let i = 0; i < p.glweDimension; i++) {
    fftForwardI64(plan, keys.keyFourier + <usize>i * polyBytes, keys.glweKey + <usize>i * polyBytes);
  }
}

/** Samples fresh uniform binary keys from the secret stream (keySeed, DOMAIN_SECRET_KEY). */
export function secretKeysGenerate(paramsPtr: usize, keySeed: usize, noiseSeed: usize): usize {
  const ptr = secretKeysAllocate(paramsPtr, noiseSeed);
  const keys = changetype<SecretKeys>(ptr);
  const p = changetype<Params>(paramsPtr);
  const keyStream = heap.alloc(CHACHA20_STREAM_BYTES);
  streamInit(keyStream, keySeed, DOMAIN_SECRET_KEY, 0, 0);
  sampleBinary(keyStream, keys.smallKey, <usize>p.lweDimension);
  sampleBinary(keyStream, keys.glweKey, <usize>bigLweDimension(p));
  memory.fill(keyStream, 0, CHACHA20_STREAM_BYTES);
  heap.free(keyStream);
  secretKeysFinish(ptr);
  return ptr;
}

/** Draws 32 fresh bytes from the secret stream: the public seed of a new mask stream. */
export function secretKeysDrawSeed(ptr: usize, out: usize): void {
  streamFill(changetype<SecretKeys>(ptr).noiseStream, out, 32);
}

/** Wipes every secret byte, then frees. */
export function secretKeysFree(ptr: usize): void {
  const keys = changetype<SecretKeys>(ptr);
  const p = changetype<Params>(keys.params);
  const bigBytes = <usize>bigLweDimension(p) << 3;
  memory.fill(keys.smallKey, 0, <usize>p.lweDimension << 3);
  memory.fill(keys.glweKey, 0, bigBytes);
  memory.fill(keys.keyFourier, 0, bigBytes);
  memory.fill(keys.noiseStream, 0, CHACHA20_STREAM_BYTES);
  memory.fill(keys.maskStream, 0, CHACHA20_STREAM_BYTES);
  heap.free(keys.smallKey);
  heap.free(keys.glweKey);
  heap.free(keys.keyFourier);
  heap.free(keys.noiseStream);
  heap.free(keys.maskStream);
  memory.fill(ptr, 0, offsetof<SecretKeys>());
  heap.free(ptr);
}
