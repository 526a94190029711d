// The negacyclic FFT: multiplication in R[X]/(X^N + 1) in O(N log N), the hot path of bootstrapping.
//
// Math (Klemsa, "Fast and Error-Free Negacyclic Integer Convolution using Extended Fourier
// Transform", eprint 2021/480; the same folding as tfhe-rs fft_impl/fft64/math/fft/mod.rs).
// Let N be a power of two, M = N/2 and w = exp(iπ/N), a primitive 2N-th root of unity. The roots of
// X^N + 1 are the odd powers of w; those of the form ζ_k = w · ω^k with ω = exp(-2πi/M), k < M,
// are w^(1-4k): one of each conjugate pair {w^e, w^-e}, so for a REAL polynomial a the M values
// a(ζ_k) determine a mod X^N + 1. Since ζ_k^M = w^M · 1 = i,
//     a(ζ_k) = Σ_{j<N} a_j ζ_k^j = Σ_{j<M} (a_j + i·a_{j+M}) · w^j · ω^{jk},
// i.e. fold a into z_j = (a_j + i·a_{j+M})·w^j (the "twist") and take an M-point complex DFT.
// Evaluation is a ring morphism, so the pointwise product of two transforms is the transform of
// the negacyclic product. Inverse: M-point inverse DFT, multiply by conj(w^j)/M, and read
// coefficient j from the real part, coefficient j + M from the imaginary part.
//
// Memory layout of a transform ("Fourier polynomial", 8N bytes): M f64 real parts, then M f64
// imaginary parts. Value X_k = a(ζ_k) is stored at float index fourierSlot(k) (fft_reference.ts):
//     fourierSlot(2k' + ℓ) = 2·bitrev_{M/2}(k') + ℓ,   ℓ ∈ {0, 1}.
// Why this order: the first two radix-2 levels of a decimation-in-frequency (DIF) FFT split the
// M points into X_even (from A_j = z_j + z_{j+M/2}) and X_odd (from B_j = (z_j − z_{j+M/2})·ω^j),
// two independent M/2-point DFTs with the SAME twiddles. We keep A in lane 0 and B in lane 1 of
// every f64x2, so all remaining levels are lane-wise ("vertical") SIMD with broadcast twiddles and
// no shuffles, and natural order is never restored (the DIF leaves each half bit-reversed). The
// backward transform undoes the same levels in reverse order (decimation in time), so forward,
// pointwise product and backward agree without any permutation pass.
//
// Levels are fused in pairs (radix 4): fewer passes over memory. The twist, the i64 → f64
// conversion and the first radix-4 level form one pass ("fold"); on the way back the last radix-4
// level, the untwist, the scaling by 1/M and the f64 → integer conversion form one pass ("unfold").
// fft_reference.ts holds the plain scalar radix-2 version the tests compare this one against.

import { negacyclicMulSchoolbook } from "./fft_reference";
export { negacyclicMulSchoolbook };

// ---------------------------------------------------------------------------------------------
// Plans: twiddles, twist factors and scratch for one N, built once and cached.

/** Precomputed tables for one polynomial size N (M = N/2 complex points). */
@unmanaged
class FftPlan {
  /** N. */
  polySize: i32;
  /** M = N/2, the number of complex points. */
  halfSize: i32;
  /** w^j = exp(iπj/N), j < M: M real parts then M imaginary parts. */
  twist: usize;
  /** conj(w^j)/M, j < M: the untwist with the 1/M of the inverse DFT folded in. Same layout. */
  untwist: usize;
  /** Twiddles of the fold/unfold level: for each pair (j, j+1), j < M/4 even, six f64x2
   *  [Re ω^j, Im ω^j, Re ω^2j, Im ω^2j, Re ω^3j, Im ω^3j] (lanes j and j+1), ω = exp(-2πi/M). */
  foldTwiddles: usize;
  /** Twiddles of the lane-wise radix-4 levels, in the order the loops read them: level after
   *  level (largest first), for each j < quarter six f64x2 with both lanes equal, as above,
   *  with ω = exp(-2πi/(4·quarter)). */
  laneTwiddles: usize;
  /** 32N bytes of scratch for the convenience products (two transforms, two polynomials). */
  scratch: usize;
}

/** One cached plan per log2 N (N ≤ 2^14). */
const planCache: usize = memory.data(64);

const MIN_LOG_POLY_SIZE: i32 = 4;
const MAX_LOG_POLY_SIZE: i32 = 14;

/** Returns the plan for polynomial size N (a power of two, 16 ≤ N ≤ 16384), creating it once. */
export function fftPlan(polySize: i32): usize {
  const logN = 31 - clz(polySize);
  assert(polySize == 1 << logN && logN >= MIN_LOG_POLY_SIZE && logN <= MAX_LOG_POLY_SIZE, "fftPlan: N must be a power of two in [16, 16384]");
  const slot = planCache + (<usize>logN << alignof<usize>());
  let plan = load<usize>(slot);
  if (plan == 0) {
    plan = createPlan(polySize);
    store<usize>(slot, plan);
  }
  return plan;
}

/** ω^e for ω = exp(sign·2πi/size), as (cos, sin) of the angle. */
@inline function rootCos(e: i32, size: i32): f64 {
  return Math.cos((2.0 * Math.PI * <f64>e) / <f64>size);
}
@inline function rootSin(e: i32, size: i32, sign: f64): f64 {
  return sign * Math.sin((2.0 * Math.PI * <f64>e) / <f64>size);
}

function createPlan(polySize: i32): usize {
  const m = polySize >> 1;
  const p = changetype<FftPlan>(heap.alloc(offsetof<FftPlan>()));
  p.polySize = polySize;
  p.halfSize = m;
  const tableBytes = <usize>m << 4; // M complex f64 values, split
  p.twist = heap.alloc(tableBytes);
  p.untwist = heap.alloc(tableBytes);
  const invM = 1.0 / <f64>m;
  for (let j = 0; j < m; j++) {
    // w^j = exp(iπj/N) = exp(2πi·j/(2N))
    const c = rootCos(j, 2 * polySize);
    const s = rootSin(j, 2 * polySize, 1.0);
    store<f64>(p.twist + (<usize>j << 3), c);
    store<f64>(p.twist + (<usize>(m + j) << 3), s);
    store<f64>(p.untwist + (<usize>j << 3), c * invM);
    store<f64>(p.untwist + (<usize>(m + j) << 3), -s * invM);
  }

  // Fold level: ω = exp(-2πi/M), pairs (j, j+1) for j < M/4.
  const quarter = m >> 2;
  p.foldTwiddles = heap.alloc(<usize>quarter * 48);
  let t = p.foldTwiddles;
  for (let j = 0; j < quarter; j += 2) {
    for (let power = 1; power <= 3; power++) {
      store<f64>(t, rootCos(power * j, m));
      store<f64>(t, rootCos(power * (j + 1), m), 8);
      store<f64>(t, rootSin(power * j, m, -1.0), 16);
      store<f64>(t, rootSin(power * (j + 1), m, -1.0), 24);
      t += 32;
    }
  }

  // Lane-wise radix-4 levels: quarter sizes M/16, M/64, ... down to 2 (level quarter 1 has only
  // trivial twiddles and gets its own loop).
  let laneBytes: usize = 16; // never zero-sized
  for (let q = m >> 4; q >= 2; q >>= 2) laneBytes += <usize>q * 96;
  p.laneTwiddles = heap.alloc(laneBytes);
  t = p.laneTwiddles;
  for (let q = m >> 4; q >= 2; q >>= 2) {
    for (let j = 0; j < q; j++) {
      for (let power = 1; power <= 3; power++) {
        v128.store(t, f64x2.splat(rootCos(power * j, 4 * q)));
        v128.store(t, f64x2.splat(rootSin(power * j, 4 * q, -1.0)), 16);
        t += 32;
      }
    }
  }
  p.scratch = heap.alloc(<usize>polySize << 5);
  return changetype<usize>(p);
}

// ---------------------------------------------------------------------------------------------
// Lane arithmetic on split complex vectors: (re, im) pairs of f64x2, two complex numbers each.

/** Re(a·b). */
@inline function mulRe(ar: v128, ai: v128, br: v128, bi: v128): v128 {
  return f64x2.sub(f64x2.mul(ar, br), f64x2.mul(ai, bi));
}
/** Im(a·b). */
@inline function mulIm(ar: v128, ai: v128, br: v128, bi: v128): v128 {
  return f64x2.add(f64x2.mul(ar, bi), f64x2.mul(ai, br));
}
/** Re(a·conj(b)). */
@inline function mulConjRe(ar: v128, ai: v128, br: v128, bi: v128): v128 {
  return f64x2.add(f64x2.mul(ar, br), f64x2.mul(ai, bi));
}
/** Im(a·conj(b)). */
@inline function mulConjIm(ar: v128, ai: v128, br: v128, bi: v128): v128 {
  return f64x2.sub(f64x2.mul(ai, br), f64x2.mul(ar, bi));
}

// ---------------------------------------------------------------------------------------------
// Integer ↔ f64 conversions, two lanes at a time. WebAssembly SIMD has no i64x2 ↔ f64x2
// conversion; these use the exponent-bias trick: for an integer 0 ≤ x < 2^52 the f64 with bits
// (bits(2^52) | x) is exactly 2^52 + x, and for |x| < 2^51 the bits of 1.5·2^52 + x are
// bits(1.5·2^52) + x.

const TWO_POW_52: f64 = 4503599627370496.0; // 2^52, bits 0x4330000000000000
const BIAS_52: i64 = 0x4330000000000000;
const ONE_AND_HALF_TWO_POW_52: f64 = 6755399441055744.0; // 1.5·2^52, bits 0x4338000000000000
const BIAS_SIGNED_52: i64 = 0x4338000000000000;
const TWO_POW_32: f64 = 4294967296.0;
const TWO_POW_MINUS_32: f64 = 1.0 / 4294967296.0;
const TWO_POW_64: f64 = 18446744073709551616.0;
const TWO_POW_MINUS_64: f64 = 1.0 / 18446744073709551616.0;

/** Exact conversion of two small signed integers, |x| < 2^51 (decomposition digits, key bits). */
@inline function smallI64x2ToF64x2(x: v128): v128 {
  return f64x2.sub(i64x2.add(x, i64x2.splat(BIAS_SIGNED_52)), f64x2.splat(ONE_AND_HALF_TWO_POW_52));
}

/** Correctly rounded conversion of two arbitrary signed i64 (torus elements): x = hi·2^32 + lo with
 *  hi signed 32-bit and lo unsigned 32-bit, both converted exactly, summed with one rounding. */
@inline function i64x2ToF64x2(x: v128): v128 {
  const hi = f64x2.sub(i64x2.add(i64x2.shr_s(x, 32), i64x2.splat(BIAS_SIGNED_52)), f64x2.splat(ONE_AND_HALF_TWO_POW_52));
  const lo = f64x2.sub(v128.or(v128.and(x, i64x2.splat(0xffffffff)), i64x2.splat(BIAS_52)), f64x2.splat(TWO_POW_52));
  return f64x2.add(f64x2.mul(hi, f64x2.splat(TWO_POW_32)), lo);
}

/**
 * round(x) mod 2^64 for two f64 lanes of any magnitude (|x| < 2^1023), rounding ties to even;
 * the lane-wise twin of f64ToTorusWrapping (the tests check they agree). Every step is exact:
 *   v = nearest(x) (an integer), k = nearest(v/2^64), r = v − k·2^64 ∈ [−2^63, 2^63]: r is a
 *   multiple of ulp(v) ≥ 2^11 when |v| ≥ 2^63 (so it fits 53 bits) and r = v otherwise;
 *   r = hi·2^32 + lo with hi = floor(r/2^32) ∈ [−2^31, 2^31], lo ∈ [0, 2^32); both are converted
 *   by the exponent-bias trick and recombined with wrapping integer arithmetic.
 */
@inline function f64x2ToTorusWrapping(x: v128): v128 {
  const v = f64x2.nearest(x);
  const k = f64x2.nearest(f64x2.mul(v, f64x2.splat(TWO_POW_MINUS_64)));
  const r = f64x2.sub(v, f64x2.mul(k, f64x2.splat(TWO_POW_64)));
  const hiF = f64x2.floor(f64x2.mul(r, f64x2.splat(TWO_POW_MINUS_32)));
  const loF = f64x2.sub(r, f64x2.mul(hiF, f64x2.splat(TWO_POW_32)));
  const hi = i64x2.sub(f64x2.add(hiF, f64x2.splat(ONE_AND_HALF_TWO_POW_52)), i64x2.splat(BIAS_SIGNED_52));
  const lo = i64x2.sub(f64x2.add(loF, f64x2.splat(TWO_POW_52)), i64x2.splat(BIAS_52));
  return i64x2.add(i64x2.shl(hi, 32), lo);
}

/**
 * round(x) mod 2^64, ties to even, for any finite x: the exact integer, reduced modulo 2^64 (the
 * torus Z/2^64). After rounding, x = ±m·2^e with the 53-bit mantissa m; the magnitude mod 2^64 is
 * m << e (0 once e ≥ 64) or m >> −e (exact, as x is then an integer), and the sign is applied by
 * two's-complement negation.
 */
export function f64ToTorusWrapping(x: f64): u64 {
  const bits = reinterpret<u64>(nearest<f64>(x));
  const biasedExponent = <i32>((bits >> 52) & 0x7ff);
  if (biasedExponent == 0) return 0; // ±0 (a rounded value is never subnormal)
  const mantissa = (bits & 0x000fffffffffffff) | 0x0010000000000000;
  const e = biasedExponent - 1075; // x = ±mantissa · 2^e
  let magnitude: u64;
  if (e >= 64) magnitude = 0;
  else if (e >= 0) magnitude = mantissa << <u64>e;
  else magnitude = mantissa >> <u64>-e; // e ≥ −52: the shifted-out bits are zero
  return (bits >> 63) != 0 ? 0 - magnitude : magnitude;
}

// ---------------------------------------------------------------------------------------------
// Forward transform.

/**
 * The fold pass: conversion, twist and the first two DIF levels (radix 4 over the whole M
 * points), leaving A = level-2 output of X_even in lane 0 and B (X_odd) in lane 1.
 * With a, b, c, d = z_j, z_{j+q}, z_{j+2q}, z_{j+3q} (q = M/4) and ω = exp(-2πi/M):
 *   y0 = (a+c) + (b+d),   y1 = ((a+c) − (b+d))·ω^2j,
 *   y2 = ((a−c) − i(b−d))·ω^j,   y3 = ((a−c) + i(b−d))·ω^3j;
 * y0, y1 are A's first level (positions j, q+j of lane 0), y2, y3 are B's (lane 1).
 */
@inline function forwardFold(plan: FftPlan, fourier: usize, poly: usize, smallIntegers: bool): void {
  const m = <usize>plan.halfSize;
  const qBytes = m << 1; // q = M/4 values of 8 bytes
  const polyIm = poly + (m << 3);
  const twRe = plan.twist;
  const twIm = plan.twist + (m << 3);
  const outRe = fourier;
  const outIm = fourier + (m << 3);
  let tw = plan.foldTwiddles;
  for (let off: usize = 0; off < qBytes; off += 16) {
    // Load the four inputs (pairs j, j+1) as f64.
    let ar: v128, ai: v128, br: v128, bi: v128, cr: v128, ci: v128, dr: v128, di: v128;
    if (smallIntegers) {
      ar = smallI64x2ToF64x2(v128.load(poly + off));
      ai = smallI64x2ToF64x2(v128.load(polyIm + off));
      br = smallI64x2ToF64x2(v128.load(poly + off + qBytes));
      bi = smallI64x2ToF64x2(v128.load(polyIm + off + qBytes));
      cr = smallI64x2ToF64x2(v128.load(poly + off + 2 * qBytes));
      ci = smallI64x2ToF64x2(v128.load(polyIm + off + 2 * qBytes));
      dr = smallI64x2ToF64x2(v128.load(poly + off + 3 * qBytes));
      di = smallI64x2ToF64x2(v128.load(polyIm + off + 3 * qBytes));
    } else {
      ar = i64x2ToF64x2(v128.load(poly + off));
      ai = i64x2ToF64x2(v128.load(polyIm + off));
      br = i64x2ToF64x2(v128.load(poly + off + qBytes));
      bi = i64x2ToF64x2(v128.load(polyIm + off + qBytes));
      cr = i64x2ToF64x2(v128.load(poly + off + 2 * qBytes));
      ci = i64x2ToF64x2(v128.load(polyIm + off + 2 * qBytes));
      dr = i64x2ToF64x2(v128.load(poly + off + 3 * qBytes));
      di = i64x2ToF64x2(v128.load(polyIm + off + 3 * qBytes));
    }
    // Twist: z_j = (a_j + i·a_{j+M})·w^j.
    let wr = v128.load(twRe + off), wi = v128.load(twIm + off);
    let t = mulRe(ar, ai, wr, wi); ai = mulIm(ar, ai, wr, wi); ar = t;
    wr = v128.load(twRe + off + qBytes); wi = v128.load(twIm + off + qBytes);
    t = mulRe(br, bi, wr, wi); bi = mulIm(br, bi, wr, wi); br = t;
    wr = v128.load(twRe + off + 2 * qBytes); wi = v128.load(twIm + off + 2 * qBytes);
    t = mulRe(cr, ci, wr, wi); ci = mulIm(cr, ci, wr, wi); cr = t;
    wr = v128.load(twRe + off + 3 * qBytes); wi = v128.load(twIm + off + 3 * qBytes);
    t = mulRe(dr, di, wr, wi); di = mulIm(dr, di, wr, wi); dr = t;

    // Radix-4 DIF butterfly.
    const sumAcR = f64x2.add(ar, cr), sumAcI = f64x2.add(ai, ci);
    const sumBdR = f64x2.add(br, dr), sumBdI = f64x2.add(bi, di);
    const difAcR = f64x2.sub(ar, cr), difAcI = f64x2.sub(ai, ci);
    const difBdR = f64x2.sub(br, dr), difBdI = f64x2.sub(bi, di);
    const y0r = f64x2.add(sumAcR, sumBdR), y0i = f64x2.add(sumAcI, sumBdI);
    let ur = f64x2.sub(sumAcR, sumBdR), ui = f64x2.sub(sumAcI, sumBdI);
    const w1r = v128.load(tw), w1i = v128.load(tw, 16);
    const w2r = v128.load(tw, 32), w2i = v128.load(tw, 48);
    const w3r = v128.load(tw, 64), w3i = v128.load(tw, 80);
    const y1r = mulRe(ur, ui, w2r, w2i), y1i = mulIm(ur, ui, w2r, w2i);
    ur = f64x2.add(difAcR, difBdI); ui = f64x2.sub(difAcI, difBdR); // (a−c) − i(b−d)
    const y2r = mulRe(ur, ui, w1r, w1i), y2i = mulIm(ur, ui, w1r, w1i);
    ur = f64x2.sub(difAcR, difBdI); ui = f64x2.add(difAcI, difBdR); // (a−c) + i(b−d)
    const y3r = mulRe(ur, ui, w3r, w3i), y3i = mulIm(ur, ui, w3r, w3i);
    tw += 96;

    // Transpose into lanes: position j ← (y0_j, y2_j), j+1 ← (y0_{j+1}, y2_{j+1}), q+j ← (y1, y3).
    const pos = off << 1; // byte offset of position j in the f64x2 array
    const posHigh = pos + (qBytes << 1); // position q + j
    v128.store(outRe + pos, f64x2.shuffle(y0r, y2r, 0, 2));
    v128.store(outRe + pos, f64x2.shuffle(y0r, y2r, 1, 3), 16);
    v128.store(outIm + pos, f64x2.shuffle(y0i, y2i, 0, 2));
    v128.store(outIm + pos, f64x2.shuffle(y0i, y2i, 1, 3), 16);
    v128.store(outRe + posHigh, f64x2.shuffle(y1r, y3r, 0, 2));
    v128.store(outRe + posHigh, f64x2.shuffle(y1r, y3r, 1, 3), 16);
    v128.store(outIm + posHigh, f64x2.shuffle(y1i, y3i, 0, 2));
    v128.store(outIm + posHigh, f64x2.shuffle(y1i, y3i, 1, 3), 16);
  }
}

/**
 * One lane-wise radix-4 DIF level over `positions` f64x2 positions, blocks of 4·quarter:
 * the butterfly of forwardFold with broadcast twiddles ω = exp(-2πi/(4·quarter)).
 * Returns the twiddle pointer advanced past this level.
 */
function forwardLaneRadix4(re: usize, im: usize, positions: usize, quarter: usize, twiddles: usize): usize {
  const qBytes = quarter << 4;
  const end = positions << 4;
  for (let block: usize = 0; block < end; block += qBytes << 2) {
    let tw = twiddles;
    const blockEnd = block + qBytes;
    for (let off = block; off < blockEnd; off += 16) {
      const pr = re + off, pi = im + off;
      const ar = v128.load(pr), ai = v128.load(pi);
      const br = v128.load(pr + qBytes), bi = v128.load(pi + qBytes);
      const cr = v128.load(pr + 2 * qBytes), ci = v128.load(pi + 2 * qBytes);
      const dr = v128.load(pr + 3 * qBytes), di = v128.load(pi + 3 * qBytes);
      const sumAcR = f64x2.add(ar, cr), sumAcI = f64x2.add(ai, ci);
      const sumBdR = f64x2.add(br, dr), sumBdI = f64x2.add(bi, di);
      const difAcR = f64x2.sub(ar, cr), difAcI = f64x2.sub(ai, ci);
      const difBdR = f64x2.sub(br, dr), difBdI = f64x2.sub(bi, di);
      v128.store(pr, f64x2.add(sumAcR, sumBdR));
      v128.store(pi, f64x2.add(sumAcI, sumBdI));
      let ur = f64x2.sub(sumAcR, sumBdR), ui = f64x2.sub(sumAcI, sumBdI);
      let wr = v128.load(tw, 32), wi = v128.load(tw, 48);
      v128.store(pr + qBytes, mulRe(ur, ui, wr, wi));
      v128.store(pi + qBytes, mulIm(ur, ui, wr, wi));
      ur = f64x2.add(difAcR, difBdI); ui = f64x2.sub(difAcI, difBdR);
      wr = v128.load(tw); wi = v128.load(tw, 16);
      v128.store(pr + 2 * qBytes, mulRe(ur, ui, wr, wi));
      v128.store(pi + 2 * qBytes, mulIm(ur, ui, wr, wi));
      ur = f64x2.sub(difAcR, difBdI); ui = f64x2.add(difAcI, difBdR);
      wr = v128.load(tw, 64); wi = v128.load(tw, 80);
      v128.store(pr + 3 * qBytes, mulRe(ur, ui, wr, wi));
      v128.store(pi + 3 * qBytes, mulIm(ur, ui, wr, wi));
      tw += 96;
    }
  }
  return twiddles + quarter * 96;
}

/** The last lane-wise level when two levels remain: radix 4 with quarter 1 (all twiddles 1). */
function forwardLaneRadix4Last(re: usize, im: usize, positions: usize): void {
  const end = positions << 4;
  for (let off: usize = 0; off < end; off += 64) {
    const pr = re + off, pi = im + off;
    const ar = v128.load(pr), ai = v128.load(pi);
    const br = v128.load(pr, 16), bi = v128.load(pi, 16);
    const cr = v128.load(pr, 32), ci = v128.load(pi, 32);
    const dr = v128.load(pr, 48), di = v128.load(pi, 48);
    const sumAcR = f64x2.add(ar, cr), sumAcI = f64x2.add(ai, ci);
    const sumBdR = f64x2.add(br, dr), sumBdI = f64x2.add(bi, di);
    const difAcR = f64x2.sub(ar, cr), difAcI = f64x2.sub(ai, ci);
    const difBdR = f64x2.sub(br, dr), difBdI = f64x2.sub(bi, di);
    v128.store(pr, f64x2.add(sumAcR, sumBdR));
    v128.store(pi, f64x2.add(sumAcI, sumBdI));
    v128.store(pr, f64x2.sub(sumAcR, sumBdR), 16);
    v128.store(pi, f64x2.sub(sumAcI, sumBdI), 16);
    v128.store(pr, f64x2.add(difAcR, difBdI), 32);
    v128.store(pi, f64x2.sub(difAcI, difBdR), 32);
    v128.store(pr, f64x2.sub(difAcR, difBdI), 48);
    v128.store(pi, f64x2.add(difAcI, difBdR), 48);
  }
}

/** The last lane-wise level when one level remains: radix 2 with half size 1 (twiddle 1). */
function laneRadix2Last(re: usize, im: usize, positions: usize): void {
  const end = positions << 4;
  for (let off: usize = 0; off < end; off += 32) {
    const pr = re + off, pi = im + off;
    const ar = v128.load(pr), ai = v128.load(pi);
    const br = v128.load(pr, 16), bi = v128.load(pi, 16);
    v128.store(pr, f64x2.add(ar, br));
    v128.store(pi, f64x2.add(ai, bi));
    v128.store(pr, f64x2.sub(ar, br), 16);
    v128.store(pi, f64x2.sub(ai, bi), 16);
  }
}

/** All levels after the fold: each lane is an M/2-point DIF whose first level is done. */
function forwardLanes(plan: FftPlan, fourier: usize): void {
  const m = <usize>plan.halfSize;
  const re = fourier, im = fourier + (m << 3);
  const positions = m >> 1;
  let tw = plan.laneTwiddles;
  let quarter = m >> 4;
  for (; quarter >= 2; quarter >>= 2) tw = forwardLaneRadix4(re, im, positions, quarter, tw);
  if (quarter == 1) forwardLaneRadix4Last(re, im, positions);
  else laneRadix2Last(re, im, positions); // quarter == 0: one level (half size 1) remains
}

/** Forward transform of a torus polynomial: N u64 read as signed i64 in [−2^63, 2^63). */
export function fftForwardTorus(plan: usize, fourier: usize, poly: usize): void {
  const p = changetype<FftPlan>(plan);
  forwardFold(p, fourier, poly, false);
  forwardLanes(p, fourier);
}

/** Forward transform of a polynomial of small signed integers, |a_j| < 2^51 (decomposition digits,
 *  binary keys): their conversion to f64 is a two-instruction exact trick. */
export function fftForwardI64(plan: usize, fourier: usize, poly: usize): void {
  const p = changetype<FftPlan>(plan);
  forwardFold(p, fourier, poly, true);
  forwardLanes(p, fourier);
}

// ---------------------------------------------------------------------------------------------
// Backward transform: the forward levels undone in reverse order (decimation in time), each
// butterfly inverted up to a factor 2 (radix 2: (p, r) → (p + r·conj ω^j, p − r·conj ω^j)).
// The M-fold growth is removed by the 1/M in the untwist table.

/**
 * Inverse of forwardLaneRadix4 (times 4): with P = y0, Q = y1·conj ω^2j, R = y2·conj ω^j,
 * S = y3·conj ω^3j:  a = (P+Q) + (R+S), c = (P+Q) − (R+S), b = (P−Q) + i(R−S), d = (P−Q) − i(R−S).
 */
function backwardLaneRadix4(re: usize, im: usize, positions: usize, quarter: usize, twiddles: usize): void {
  const qBytes = quarter << 4;
  const end = positions << 4;
  for (let block: usize = 0; block < end; block += qBytes << 2) {
    let tw = twiddles;
    const blockEnd = block + qBytes;
    for (let off = block; off < blockEnd; off += 16) {
      const pr = re + off, pi = im + off;
      const yr = v128.load(pr), yi = v128.load(pi);
      let xr = v128.load(pr + qBytes), xi = v128.load(pi + qBytes);
      let wr = v128.load(tw, 32), wi = v128.load(tw, 48);
      const qr = mulConjRe(xr, xi, wr, wi), qi = mulConjIm(xr, xi, wr, wi);
      xr = v128.load(pr + 2 * qBytes); xi = v128.load(pi + 2 * qBytes);
      wr = v128.load(tw); wi = v128.load(tw, 16);
      const rr = mulConjRe(xr, xi, wr, wi), ri = mulConjIm(xr, xi, wr, wi);
      xr = v128.load(pr + 3 * qBytes); xi = v128.load(pi + 3 * qBytes);
      wr = v128.load(tw, 64); wi = v128.load(tw, 80);
      const sr = mulConjRe(xr, xi, wr, wi), si = mulConjIm(xr, xi, wr, wi);
      const sumPqR = f64x2.add(yr, qr), sumPqI = f64x2.add(yi, qi);
      const difPqR = f64x2.sub(yr, qr), difPqI = f64x2.sub(yi, qi);
      const sumRsR = f64x2.add(rr, sr), sumRsI = f64x2.add(ri, si);
      const difRsR = f64x2.sub(rr, sr), difRsI = f64x2.sub(ri, si);
      v128.store(pr, f64x2.add(sumPqR, sumRsR));
      v128.store(pi, f64x2.add(sumPqI, sumRsI));
      v128.store(pr + 2 * qBytes, f64x2.sub(sumPqR, sumRsR));
      v128.store(pi + 2 * qBytes, f64x2.sub(sumPqI, sumRsI));
      // i(R−S) = −Im(R−S) + i·Re(R−S)
      v128.store(pr + qBytes, f64x2.sub(difPqR, difRsI));
      v128.store(pi + qBytes, f64x2.add(difPqI, difRsR));
      v128.store(pr + 3 * qBytes, f64x2.add(difPqR, difRsI));
      v128.store(pi + 3 * qBytes, f64x2.sub(difPqI, difRsR));
      tw += 96;
    }
  }
}

/** Inverse of forwardLaneRadix4Last (times 4). */
function backwardLaneRadix4First(re: usize, im: usize, positions: usize): void {
  const end = positions << 4;
  for (let off: usize = 0; off < end; off += 64) {
    const pr = re + off, pi = im + off;
    const yr = v128.load(pr), yi = v128.load(pi);
    const qr = v128.load(pr, 16), qi = v128.load(pi, 16);
    const rr = v128.load(pr, 32), ri = v128.load(pi, 32);
    const sr = v128.load(pr, 48), si = v128.load(pi, 48);
    const sumPqR = f64x2.add(yr, qr), sumPqI = f64x2.add(yi, qi);
    const difPqR = f64x2.sub(yr, qr), difPqI = f64x2.sub(yi, qi);
    const sumRsR = f64x2.add(rr, sr), sumRsI = f64x2.add(ri, si);
    const difRsR = f64x2.sub(rr, sr), difRsI = f64x2.sub(ri, si);
    v128.store(pr, f64x2.add(sumPqR, sumRsR));
    v128.store(pi, f64x2.add(sumPqI, sumRsI));
    v128.store(pr, f64x2.sub(sumPqR, sumRsR), 32);
    v128.store(pi, f64x2.sub(sumPqI, sumRsI), 32);
    v128.store(pr, f64x2.sub(difPqR, difRsI), 16);
    v128.store(pi, f64x2.add(difPqI, difRsR), 16);
    v128.store(pr, f64x2.add(difPqR, difRsI), 48);
    v128.store(pi, f64x2.sub(difPqI, difRsR), 48);
  }
}

/** All lane-wise levels, undone from the last (quarter 1 or half size 1) to the first. */
function backwardLanes(plan: FftPlan, fourier: usize): void {
  const m = <usize>plan.halfSize;
  const re = fourier, im = fourier + (m << 3);
  const positions = m >> 1;
  // Find the smallest twiddled quarter and the end of the twiddle table, then walk back.
  let quarter = m >> 4;
  let tw = plan.laneTwiddles;
  for (; quarter >= 2; quarter >>= 2) tw += quarter * 96;
  if (quarter == 1) backwardLaneRadix4First(re, im, positions);
  else laneRadix2Last(re, im, positions); // its own inverse up to the factor 2
  for (quarter = quarter == 1 ? 4 : 2; quarter <= m >> 4; quarter <<= 2) {
    tw -= quarter * 96;
    backwardLaneRadix4(re, im, positions, quarter, tw);
  }
}

/**
 * The unfold pass, inverse of forwardFold (times 4 per level pair, M in total): transpose the
 * lanes back, undo the radix-4 level, untwist by conj(w^j)/M and emit coefficients: the real part
 * of z_j is coefficient j, the imaginary part coefficient j + M. `accumulate`: poly[j] += round(x)
 * mod 2^64; otherwise poly[j] = round(x) mod 2^64.
 */
@inline function backwardUnfold(plan: FftPlan, poly: usize, fourier: usize, accumulate: bool): void {
  const m = <usize>plan.halfSize;
  const qBytes = m << 1;
  const polyIm = poly + (m << 3);
  const unRe = plan.untwist;
  const unIm = plan.untwist + (m << 3);
  const inRe = fourier;
  const inIm = fourier + (m << 3);
  let tw = plan.foldTwiddles;
  for (let off: usize = 0; off < qBytes; off += 16) {
    const pos = off << 1;
    const posHigh = pos + (qBytes << 1);
    let lowA = v128.load(inRe + pos), lowB = v128.load(inRe + pos, 16);
    const y0r = f64x2.shuffle(lowA, lowB, 0, 2), y2r = f64x2.shuffle(lowA, lowB, 1, 3);
    lowA = v128.load(inIm + pos); lowB = v128.load(inIm + pos, 16);
    const y0i = f64x2.shuffle(lowA, lowB, 0, 2), y2i = f64x2.shuffle(lowA, lowB, 1, 3);
    lowA = v128.load(inRe + posHigh); lowB = v128.load(inRe + posHigh, 16);
    const y1r = f64x2.shuffle(lowA, lowB, 0, 2), y3r = f64x2.shuffle(lowA, lowB, 1, 3);
    lowA = v128.load(inIm + posHigh); lowB = v128.load(inIm + posHigh, 16);
    const y1i = f64x2.shuffle(lowA, lowB, 0, 2), y3i = f64x2.shuffle(lowA, lowB, 1, 3);

    let wr = v128.load(tw, 32), wi = v128.load(tw, 48);
    const qr = mulConjRe(y1r, y1i, wr, wi), qi = mulConjIm(y1r, y1i, wr, wi);
    wr = v128.load(tw); wi = v128.load(tw, 16);
    const rr = mulConjRe(y2r, y2i, wr, wi), ri = mulConjIm(y2r, y2i, wr, wi);
    wr = v128.load(tw, 64); wi = v128.load(tw, 80);
    const sr = mulConjRe(y3r, y3i, wr, wi), si = mulConjIm(y3r, y3i, wr, wi);
    tw += 96;
    const sumPqR = f64x2.add(y0r, qr), sumPqI = f64x2.add(y0i, qi);
    const difPqR = f64x2.sub(y0r, qr), difPqI = f64x2.sub(y0i, qi);
    const sumRsR = f64x2.add(rr, sr), sumRsI = f64x2.add(ri, si);
    const difRsR = f64x2.sub(rr, sr), difRsI = f64x2.sub(ri, si);

    // a, b, c, d at j, j+q, j+2q, j+3q; untwist and emit each.
    let zr = f64x2.add(sumPqR, sumRsR), zi = f64x2.add(sumPqI, sumRsI);
    emitCoefficients(poly + off, polyIm + off, zr, zi, v128.load(unRe + off), v128.load(unIm + off), accumulate);
    zr = f64x2.sub(difPqR, difRsI); zi = f64x2.add(difPqI, difRsR);
    emitCoefficients(poly + off + qBytes, polyIm + off + qBytes, zr, zi,
      v128.load(unRe + off + qBytes), v128.load(unIm + off + qBytes), accumulate);
    zr = f64x2.sub(sumPqR, sumRsR); zi = f64x2.sub(sumPqI, sumRsI);
    emitCoefficients(poly + off + 2 * qBytes, polyIm + off + 2 * qBytes, zr, zi,
      v128.load(unRe + off + 2 * qBytes), v128.load(unIm + off + 2 * qBytes), accumulate);
    zr = f64x2.add(difPqR, difRsI); zi = f64x2.sub(difPqI, difRsR);
    emitCoefficients(poly + off + 3 * qBytes, polyIm + off + 3 * qBytes, zr, zi,
      v128.load(unRe + off + 3 * qBytes), v128.load(unIm + off + 3 * qBytes), accumulate);
  }
}

/** z·u (u = conj(w^j)/M); Re → the low coefficient pair at `low`, Im → the pair at `high`. */
@inline function emitCoefficients(low: usize, high: usize, zr: v128, zi: v128, ur: v128, ui: v128, accumulate: bool): void {
  const re = f64x2ToTorusWrapping(mulRe(zr, zi, ur, ui));
  const im = f64x2ToTorusWrapping(mulIm(zr, zi, ur, ui));
  if (accumulate) {
    v128.store(low, i64x2.add(v128.load(low), re));
    v128.store(high, i64x2.add(v128.load(high), im));
  } else {
    v128.store(low, re);
    v128.store(high, im);
  }
}

/** poly[j] += round(inverse transform)_j mod 2^64 (wrapping). `fourier` is destroyed (scratch). */
export function fftBackwardAddTorus(plan: usize, poly: usize, fourier: usize): void {
  const p = changetype<FftPlan>(plan);
  backwardLanes(p, fourier);
  backwardUnfold(p, poly, fourier, true);
}

/** out[j] = round(inverse transform)_j as i64 (exact integer use: |result| < 2^52; larger values
 *  come out mod 2^64). `fourier` is destroyed (scratch). */
export function fftBackwardRoundI64(plan: usize, out: usize, fourier: usize): void {
  const p = changetype<FftPlan>(plan);
  backwardLanes(p, fourier);
  backwardUnfold(p, out, fourier, false);
}

// ---------------------------------------------------------------------------------------------
// Pointwise products in the Fourier domain (order-independent: any slot order works).

/** acc += a ⊙ b, complex pointwise over the N/2 values of the split layout. */
export function fourierMulAdd(acc: usize, a: usize, b: usize, polySize: i32): void {
  const imOffset = <usize>polySize << 2; // M f64 = 4N bytes
  for (let off: usize = 0; off < imOffset; off += 16) {
    const ar = v128.load(a + off), ai = v128.load(a + off + imOffset);
    const br = v128.load(b + off), bi = v128.load(b + off + imOffset);
    v128.store(acc + off, f64x2.add(v128.load(acc + off), mulRe(ar, ai, br, bi)));
    v128.store(acc + off + imOffset, f64x2.add(v128.load(acc + off + imOffset), mulIm(ar, ai, br, bi)));
  }
}

/** out = a ⊙ b (out may alias a or b). */
export function fourierMul(out: usize, a: usize, b: usize, polySize: i32): void {
  const imOffset = <usize>polySize << 2;
  for (let off: usize = 0; off < imOffset; off += 16) {
    const ar = v128.load(a + off), ai = v128.load(a + off + imOffset);
    const br = v128.load(b + off), bi = v128.load(b + off + imOffset);
    v128.store(out + off, mulRe(ar, ai, br, bi));
    v128.store(out + off + imOffset, mulIm(ar, ai, br, bi));
  }
}

// ---------------------------------------------------------------------------------------------
// Whole products.

/** out = torus · integers mod X^N + 1 (approximate: FFT rounding error; |integers_j| < 2^51). */
export function negacyclicMulFft(plan: usize, out: usize, torus: usize, integers: usize): void {
  const p = changetype<FftPlan>(plan);
  const polyBytes = <usize>p.polySize << 3;
  const fa = p.scratch, fb = p.scratch + polyBytes;
  fftForwardTorus(plan, fa, torus);
  fftForwardI64(plan, fb, integers);
  fourierMul(fa, fa, fb, p.polySize);
  memory.fill(out, 0, polyBytes);
  fftBackwardAddTorus(plan, out, fa);
}

/**
 * out = a · s mod (X^N + 1, 2^64) EXACTLY, for any u64 polynomial a and a binary polynomial s
 * whose transform `keyFourier` was made by fftForwardI64. Used at key generation, where an f64
 * rounding error would change the noise distribution of fresh encryptions.
 *
 * Method: a = Σ_k limb_k·2^shift_k with unsigned limbs of 22, 21, 21 bits (shifts 0, 22, 43).
 * Each limb product has integer coefficients of magnitude ≤ N·2^22 ≤ 2^36 (N ≤ 2^14). The FFT
 * convolution error is at most about c·log2(N)·ε·‖limb‖₂‖s‖₂ ≤ c·14·2^-53·2^22·N ≤ 2^-10 for
 * c ≤ 8 (ε = 2^-53, twiddle errors included in c), far below 1/2, so rounding each result
 * recovers the exact integer; the limb products are then recombined by wrapping shifts and adds.
 */
export function negacyclicMulExactBinary(plan: usize, out: usize, a: usize, keyFourier: usize): void {
  memory.fill(out, 0, <usize>changetype<FftPlan>(plan).polySize << 3);
  addLimbProduct(plan, out, a, keyFourier, 0, 22);
  addLimbProduct(plan, out, a, keyFourier, 22, 21);
  addLimbProduct(plan, out, a, keyFourier, 43, 21);
}

/** out += ((a >> shift) mod 2^width) · s << shift, the limb product computed exactly. */
function addLimbProduct(plan: usize, out: usize, a: usize, keyFourier: usize, shift: u64, width: u64): void {
  const p = changetype<FftPlan>(plan);
  const polyBytes = <usize>p.polySize << 3;
  const fourier = p.scratch;
  const limb = p.scratch + polyBytes;
  const product = p.scratch + 2 * polyBytes;
  const mask = ((<u64>1) << width) - 1;
  for (let off: usize = 0; off < polyBytes; off += 8) store<u64>(limb + off, (load<u64>(a + off) >> shift) & mask);
  fftForwardI64(plan, fourier, limb);
  fourierMul(fourier, fourier, keyFourier, p.polySize);
  fftBackwardRoundI64(plan, product, fourier);
  for (let off: usize = 0; off < polyBytes; off += 8) {
    store<u64>(out + off, load<u64>(out + off) + (load<u64>(product + off) << shift));
  }
}

/** Test hook for the lane-wise conversion: out[i] = round(values[i]) mod 2^64 for i < count (even),
 *  through the same f64x2 code as the backward transform. */
export function f64PairsToTorusWrapping(out: usize, values: usize, count: i32): void {
  for (let off: usize = 0; off < (<usize>count << 3); off += 16) {
    v128.store(out + off, f64x2ToTorusWrapping(v128.load(values + off)));
  }
}
