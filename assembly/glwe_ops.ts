// Leveled operations on GLWE ciphertexts (A_0, …, A_{k−1}, B), stored as (k+1)·N u64 (glwe.ts).
// Each is linear in the ciphertext, so it acts on the phase B − Σ A_i·S_i = M + E the same way:
// the plaintext polynomial follows the operation, the noise too (variances add; a scalar c
// multiplies the variance by c²). All arithmetic is mod q = 2^64, coefficient by coefficient.

import { polyAddAssign, polySubAssign } from "./polynomial";

/** Number of u64 words in one ciphertext: (k+1)·N. */
@inline function wordCount(glweDimension: i32, polySize: i32): i32 {
  return (glweDimension + 1) * polySize;
}

/** dst += src: phase(dst) + phase(src) = (M + M′) + (E + E′). */
export function glweAddAssign(dst: usize, src: usize, glweDimension: i32, polySize: i32): void {
  polyAddAssign(dst, src, wordCount(glweDimension, polySize));
}

/** dst −= src: phase (M − M′) + (E − E′). */
export function glweSubAssign(dst: usize, src: usize, glweDimension: i32, polySize: i32): void {
  polySubAssign(dst, src, wordCount(glweDimension, polySize));
}

/** ct = −ct: phase −M − E. */
export function glweNegateAssign(ct: usize, glweDimension: i32, polySize: i32): void {
  const bytes = <usize>wordCount(glweDimension, polySize) << 3;
  for (let o: usize = 0; o < bytes; o += 16) {
    v128.store(ct + o, i64x2.neg(v128.load(ct + o)));
  }
}

/** ct = c·ct for a cleartext integer c: phase c·M + c·E, noise variance c²·σ². */
export function glweMulScalarAssign(ct: usize, glweDimension: i32, polySize: i32, scalar: i64): void {
  const bytes = <usize>wordCount(glweDimension, polySize) << 3;
  const c = i64x2.splat(scalar);
  for (let o: usize = 0; o < bytes; o += 16) {
    v128.store(ct + o, i64x2.mul(v128.load(ct + o), c));
  }
}

/** B += P for a plaintext polynomial P (N u64, already scaled by Δ): phase M + P + E, no noise added. */
export function glweAddPlaintextPolynomialAssign(ct: usize, glweDimension: i32, polySize: i32, plaintext: usize): void {
  const body = ct + (<usize>glweDimension * <usize>polySize << 3);
  polyAddAssign(body, plaintext, polySize);
}
