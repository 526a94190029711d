// GLWE ciphertexts (Chillotti et al. 2020, "TFHE", §2): over the ring R_q = Z_q[X]/(X^N + 1),
// q = 2^64, under a key S = (S_0, …, S_{k−1}) of binary polynomials:
//   (A_0, …, A_{k−1}, B) with B = Σ A_i·S_i + M + E,
// A_i uniform (from a public mask stream), E with N independent TUniform coefficients.
// Stored as (k+1)·N u64, polynomial after polynomial, body last. Phase = B − Σ A_i·S_i = M + E.
//
// The products A_i·S_i are computed EXACTLY (limb-split FFT, fft.ts): an f64 rounding error
// here would add key-dependent error to fresh ciphertexts and change their noise distribution.

import { streamFill } from "./csprng";
import { addTUniformNoise } from "./sampling";
import { negacyclicMulExactBinary } from "./fft";
import { polyAddAssign, polySubAssign } from "./polynomial";

/**
 * Encrypts the plaintext polynomial M (`plaintext`, N u64, or 0 for M = 0).
 * `keyFourier` holds the k transforms (N f64 each) of the key polynomials (fftForwardI64).
 * `scratch` holds N u64.
 */
export function glweEncrypt(
  ct: usize, keyFourier: usize, glweDimension: i32, polySize: i32, plaintext: usize,
  maskStream: usize, noiseStream: usize, noiseBound: u32, plan: usize, scratch: usize,
): void {
  const polyBytes = <usize>polySize << 3;
  const body = ct + <usize>glweDimension * polyBytes;
  streamFill(maskStream, ct, <usize>glweDimension * polyBytes);
  memory.fill(body, 0, polyBytes);
  for (let i = 0; i < glweDimension; i++) {
    negacyclicMulExactBinary(plan, scratch, ct + <usize>i * polyBytes, keyFourier + <usize>i * polyBytes);
    polyAddAssign(body, scratch, polySize);
  }
  if (plaintext != 0) polyAddAssign(body, plaintext, polySize);
  addTUniformNoise(noiseStream, body, <usize>polySize, noiseBound);
}

/** out = B − Σ A_i·S_i (exact): the plaintext polynomial plus noise. `scratch`: N u64. */
export function glwePhase(
  out: usize, ct: usize, keyFourier: usize, glweDimension: i32, polySize: i32, plan: usize, scratch: usize,
): void {
  const polyBytes = <usize>polySize << 3;
  memory.copy(out, ct + <usize>glweDimension * polyBytes, polyBytes);
  for (let i = 0; i < glweDimension; i++) {
    negacyclicMulExactBinary(plan, scratch, ct + <usize>i * polyBytes, keyFourier + <usize>i * polyBytes);
    polySubAssign(out, scratch, polySize);
  }
}

/**
 * Sample extraction: the LWE ciphertext (dimension k·N, under the flattened key s with
 * s[i·N + j] = S_i[j]) whose phase is coefficient c of the GLWE phase. Since
 *   (A_i·S_i)[c] = Σ_{j ≤ c} A_i[c − j]·S_i[j] − Σ_{j > c} A_i[N + c − j]·S_i[j],
 * the mask is a[i·N + j] = A_i[c − j] for j ≤ c and −A_i[N + c − j] for j > c; b = B[c].
 */
export function sampleExtract(lwe: usize, glwe: usize, glweDimension: i32, polySize: i32, c: i32): void {
  const polyBytes = <usize>polySize << 3;
  for (let i = 0; i < glweDimension; i++) {
    const a = glwe + <usize>i * polyBytes;
    const out = lwe + <usize>i * polyBytes;
    for (let j = 0; j <= c; j++) {
      store<u64>(out + (<usize>j << 3), load<u64>(a + (<usize>(c - j) << 3)));
    }
    for (let j = c + 1; j < polySize; j++) {
      store<u64>(out + (<usize>j << 3), <u64>0 - load<u64>(a + (<usize>(polySize + c - j) << 3)));
    }
  }
  const body = glwe + <usize>glweDimension * polyBytes;
  store<u64>(lwe + <usize>glweDimension * polyBytes, load<u64>(body + (<usize>c << 3)));
}
