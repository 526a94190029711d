// The distributions of TFHE keys, masks and noise, drawn from a ChaCha20 keystream (csprng.ts).
// Values are torus elements: u64 integers taken mod 2^64 (the torus T = R/Z scaled by 2^64), so
// a negative sample -x is stored as 2^64 - x and every addition wraps.
//
//   uniform torus   each u64 equally likely: the mask of an LWE / GLWE ciphertext;
//   binary          each coefficient 0 or 1 with probability 1/2: the secret keys;
//   TUniform(b)     the noise: each integer of [-2^b, 2^b] with probability 2^-(b+1), except the
//                   two ends, with probability 2^-(b+2) each (tfhe-rs,
//                   core_crypto/commons/math/random/t_uniform.rs).
//
// All samplers are constant time: no branch or memory address depends on the random bits.

import { streamFill, streamNextU32, streamNextU64 } from "./csprng";

/** Fills `count` u64 at `dst` with uniform torus elements: the next 8 `count` keystream bytes. */
export function sampleUniformTorus(stream: usize, dst: usize, count: usize): void {
  streamFill(stream, dst, count << 3);
}

/**
 * Fills `count` u64 at `dst` with independent uniform bits (each u64 is 0 or 1). Every keystream
 * bit is used once: one u64 of keystream gives 64 outputs, its bit j going to output j.
 */
export function sampleBinary(stream: usize, dst: usize, count: usize): void {
  let done: usize = 0;
  while (done < count) {
    const bits = streamNextU64(stream);
    const left = count - done;
    const n = left < 64 ? left : 64;
    for (let j: usize = 0; j < n; j++) {
      store<u64>(dst + ((done + j) << 3), (bits >> j) & 1);
    }
    done += n;
  }
}

// ---------------------------------------------------------------------------------------------
// TUniform(b).
//
// Sampler: take b+2 uniform bits r = 2q + s (q has b+1 bits, s is one bit) and return
// q + s - 2^b. Each q in [0, 2^(b+1)) gives the two neighbours q - 2^b and q - 2^b + 1 with
// probability 2^-(b+2) each, so an inner value v is reached from q = v + 2^b and q = v + 2^b - 1
// (probability 2^-(b+1)) and each end from one q only (probability 2^-(b+2)).
// Variance: Var(q) + Var(s) = (2^(2b+2) - 1)/12 + 1/4 = (2^(2b+1) + 1)/6.
//
// Keystream use: one sample takes one fresh keystream word, a u32 when b + 2 <= 32 (b <= 30) and
// a u64 otherwise; the bits above the lowest b + 2 are discarded. Word-per-sample keeps the
// vector code simple (four u32 or two u64 samples per v128) and never reuses a bit.

/** The smallest and largest supported bound exponents b. */
const TUNIFORM_MIN_BOUND_LOG2: u32 = 1;
const TUNIFORM_MAX_BOUND_LOG2: u32 = 61;

/** Largest b whose samples draw a u32 of keystream (b + 2 <= 32). */
const TUNIFORM_MAX_BOUND_LOG2_U32: u32 = 30;

// @ts-ignore: decorator
@inline function assertBoundLog2(b: u32): void {
  assert(b >= TUNIFORM_MIN_BOUND_LOG2 && b <= TUNIFORM_MAX_BOUND_LOG2, "TUniform: b must be in 1..61");
}

/** Maps b + 2 uniform bits `r` (higher bits ignored) to a TUniform(b) sample. */
// @ts-ignore: decorator
@inline function tuniformFromBits(r: u64, b: u32): i64 {
  const bits = r & ((<u64>1 << (b + 2)) - 1);
  return <i64>((bits >> 1) + (bits & 1)) - (<i64>1 << b);
}

/** One TUniform(b) sample, 1 <= b <= 61. */
export function sampleTUniform(stream: usize, b: u32): i64 {
  assertBoundLog2(b);
  const r: u64 = b <= TUNIFORM_MAX_BOUND_LOG2_U32 ? <u64>streamNextU32(stream) : streamNextU64(stream);
  return tuniformFromBits(r, b);
}

/** Keystream for a batch of samples (one chunk); wiped when `addTUniformNoise` returns. */
const NOISE_BITS_BYTES: usize = 256;
const NOISE_BITS: usize = memory.data(<i32>NOISE_BITS_BYTES, 16);

/**
 * dst[i] += TUniform(b) sample (wrapping u64) for i < `count`, 1 <= b <= 61. Same samples, in the
 * same order, as `count` calls of `sampleTUniform`.
 */
export function addTUniformNoise(stream: usize, dst: usize, count: usize, b: u32): void {
  assertBoundLog2(b);
  if (b <= TUNIFORM_MAX_BOUND_LOG2_U32) addTUniformNoiseFrom32(stream, dst, count, b);
  else addTUniformNoiseFrom64(stream, dst, count, b);
  memory.fill(NOISE_BITS, 0, NOISE_BITS_BYTES);
}

/**
 * b <= 30: four samples per v128 of keystream. In 32-bit lanes, q + s - 2^b is computed mod 2^32;
 * the result lies in [-2^30, 2^30], so it is exact once sign-extended to 64 bits.
 */
function addTUniformNoiseFrom32(stream: usize, dst: usize, count: usize, b: u32): void {
  const mask = i32x4.splat(<i32>((<u64>1 << (b + 2)) - 1));
  const one = i32x4.splat(1);
  const bound = i32x4.splat(1 << b);
  const perBatch = NOISE_BITS_BYTES >> 2;
  while (count > 0) {
    const n = count < perBatch ? count : perBatch;
    streamFill(stream, NOISE_BITS, n << 2);
    let i: usize = 0;
    for (; i + 4 <= n; i += 4) {
      const r = v128.and(v128.load(NOISE_BITS + (i << 2)), mask);
      const sample = i32x4.sub(i32x4.add(i32x4.shr_u(r, 1), v128.and(r, one)), bound);
      const p = dst + (i << 3);
      v128.store(p, i64x2.add(v128.load(p), i64x2.extend_low_i32x4_s(sample)));
      v128.store(p + 16, i64x2.add(v128.load(p + 16), i64x2.extend_high_i32x4_s(sample)));
    }
    for (; i < n; i++) {
      const p = dst + (i << 3);
      store<u64>(p, load<u64>(p) + <u64>tuniformFromBits(<u64>load<u32>(NOISE_BITS + (i << 2)), b));
    }
    dst += n << 3;
    count -= n;
  }
}

/** 30 < b <= 61: two samples per v128 of keystream, in 64-bit lanes. */
function addTUniformNoiseFrom64(stream: usize, dst: usize, count: usize, b: u32): void {
  const mask = i64x2.splat(<i64>((<u64>1 << (b + 2)) - 1));
  const one = i64x2.splat(1);
  const bound = i64x2.splat(<i64>1 << b);
  const perBatch = NOISE_BITS_BYTES >> 3;
  while (count > 0) {
    const n = count < perBatch ? count : perBatch;
    streamFill(stream, NOISE_BITS, n << 3);
    let i: usize = 0;
    for (; i + 2 <= n; i += 2) {
      const r = v128.and(v128.load(NOISE_BITS + (i << 3)), mask);
      const sample = i64x2.sub(i64x2.add(i64x2.shr_u(r, 1), v128.and(r, one)), bound);
      const p = dst + (i << 3);
      v128.store(p, i64x2.add(v128.load(p), sample));
    }
    for (; i < n; i++) {
      const p = dst + (i << 3);
      store<u64>(p, load<u64>(p) + <u64>tuniformFromBits(load<u64>(NOISE_BITS + (i << 3)), b));
    }
    dst += n << 3;
    count -= n;
  }
}

/** Variance of TUniform(b) on the integer scale: (2^(2b+1) + 1) / 6 (for the noise model). */
export function tuniformVariance(b: u32): f64 {
  return (Math.pow(2, <f64>(2 * b + 1)) + 1) / 6;
}
