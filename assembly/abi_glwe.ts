// Exports for GLWE ciphertexts as engine objects (SPEC §4.12): encryption under a client's GLWE
// key, the seeded (compressed) form, the phase, and the leveled operations of glwe_ops.ts.
//
// A GLWE ciphertext with public seed σ and index j takes its k mask polynomials from the stream
// ChaCha20(σ, nonce (DOMAIN_GLWE_MASK, j, 0)): A_0, …, A_{k−1}, N LE64 words each. The seeded
// form keeps (σ, j, B) only; expanding it reads the same keystream bytes, so it reproduces the
// encryptor's ciphertext bit for bit.

import { CHACHA20_STREAM_BYTES, streamInit, streamFill } from "./csprng";
import { DOMAIN_GLWE_MASK } from "./domains";
import { Params } from "./params";
import { SecretKeys } from "./secret_keys";
import { glweEncrypt, glwePhase } from "./glwe";
import { fftPlan } from "./fft";

export {
  glweAddAssign, glweSubAssign, glweNegateAssign, glweMulScalarAssign, glweAddPlaintextPolynomialAssign,
} from "./glwe_ops";

/**
 * Encrypts the plaintext polynomial M (N u64, already scaled; 0 for M = 0) into `out`
 * ((k+1)·N u64): masks from stream (maskSeed, DOMAIN_GLWE_MASK, index, 0), N TUniform(b_glwe)
 * noise samples from the key's noise stream, exact products A_i·S_i.
 */
export function glweEncryptWithKeys(keysPtr: usize, out: usize, plaintextPoly: usize, maskSeed: usize, index: u32): void {
  const keys = changetype<SecretKeys>(keysPtr);
  const p = changetype<Params>(keys.params);
  const N = p.polynomialSize;
  const scratchBytes = <usize>N << 3;
  const scratch = heap.alloc(scratchBytes); // holds the products A_i·S_i: key-dependent
  streamInit(keys.maskStream, maskSeed, DOMAIN_GLWE_MASK, index, 0);
  glweEncrypt(out, keys.keyFourier, p.glweDimension, N, plaintextPoly, keys.maskStream, keys.noiseStream,
    p.glweNoiseBound, fftPlan(N), scratch);
  memory.fill(scratch, 0, scratchBytes);
  heap.free(scratch);
}

/** As glweEncryptWithKeys, but keeps only the body B (N u64): the seeded ciphertext. */
export function glweEncryptSeededBody(keysPtr: usize, bodyOut: usize, plaintextPoly: usize, maskSeed: usize, index: u32): void {
  const p = changetype<Params>(changetype<SecretKeys>(keysPtr).params);
  const polyBytes = <usize>p.polynomialSize << 3;
  const ctBytes = <usize>(p.glweDimension + 1) * polyBytes;
  const ct = heap.alloc(ctBytes);
  glweEncryptWithKeys(keysPtr, ct, plaintextPoly, maskSeed, index);
  memory.copy(bodyOut, ct + <usize>p.glweDimension * polyBytes, polyBytes);
  memory.fill(ct, 0, ctBytes);
  heap.free(ct);
}

/** Expands a seeded ciphertext: A_0, …, A_{k−1} regenerated from the public stream, then B copied. */
export function glweExpandSeeded(paramsPtr: usize, out: usize, body: usize, maskSeed: usize, index: u32): void {
  const p = changetype<Params>(paramsPtr);
  const polyBytes = <usize>p.polynomialSize << 3;
  const maskBytes = <usize>p.glweDimension * polyBytes;
  const stream = heap.alloc(CHACHA20_STREAM_BYTES);
  streamInit(stream, maskSeed, DOMAIN_GLWE_MASK, index, 0);
  streamFill(stream, out, maskBytes);
  memory.copy(out + maskBytes, body, polyBytes);
  heap.free(stream);
}

/** phaseOut (N u64) = B − Σ A_i·S_i = M + E, computed exactly. */
export function glwePhaseWithKeys(keysPtr: usize, phaseOut: usize, ct: usize): void {
  const keys = changetype<SecretKeys>(keysPtr);
  const p = changetype<Params>(keys.params);
  const N = p.polynomialSize;
  const scratchBytes = <usize>N << 3;
  const scratch = heap.alloc(scratchBytes); // holds the products A_i·S_i: key-dependent
  glwePhase(phaseOut, ct, keys.keyFourier, p.glweDimension, N, fftPlan(N), scratch);
  memory.fill(scratch, 0, scratchBytes);
  heap.free(scratch);
}
