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
// Why this order: the first level of a decimation-in-frequency (DIF) FFT splits the M points into
// X_even, the M/2-point DFT of A_j = z_j + z_{j+M/2}, and X_odd, that of B_j = (z_j − z_{j+M/2})·ω^j:
// two DFTs with the SAME twiddles. We keep A in lane 0 and B in lane 1 of every f64x2 (a
// "position" below is one f64x2 of the real array and the same f64x2 of the imaginary array), so
// every later level is lane-wise SIMD with broadcast twiddles and no shuffles; each lane's DIF
// leaves its half in bit-reversed order, and natural order is never restored. The backward
// transform undoes the same levels in reverse order (decimation in time), so forward, pointwise
// product and backward agree without any permutation pass.
//
// Passes over memory (levels fused in pairs: radix 4):
//   forward:  twist (i64 → f64, ·w^j) + fold (levels 1-2 of the M-point DIF, lanes formed), one
//             pass → lane levels (radix 4, the last one radix 2 if their count is odd);
//   backward: lane levels undone → unfold + untwist (·conj(w^j)/M, f64 → integer mod 2^64).
// Each pass streams its tables laid out in the order its loop reads them. fft_reference.ts holds
// the plain scalar radix-2 version the tests compare this one against.

import { negacyclicMulSchoolbook } from "./fft_reference";
import { decompositionOffset } from "./torus";
export { negacyclicMulSchoolbook };

// ---------------------------------------------------------------------------------------------
// Plans: twiddles, twist factors and scratch for one N, built once and cached.

/** Precomputed tables for one polynomial size N (M = N/2 complex points, q = M/4). */
@unmanaged
class FftPlan {
  /** N. */
  polySize: i32;
  /** M = N/2, the number of complex points. */
  halfSize: i32;
  /** w^e = exp(iπe/N) for e < M, by pairs (e, e+1): f64x2 [Re w^e, Re w^(e+1)], then the Im f64x2;
   *  pairs in the order e = j + k·M/4, k = 0..3, for each even j < M/4 (twistFoldPass). */
  twist: usize;
  /** conj(w^e)/(M·2^64): the untwist, with the 1/M of the inverse DFT and the 2^-64 that maps
   *  coefficients onto the unit torus (unitTorusX2ToU64) folded in. Same layout. */
  untwist: usize;
  /** Fold twiddles, ω = exp(-2πi/M): for each pair (j, j+1), j < q even, six f64x2
   *  [Re ω^j, Im ω^j, Re ω^2j, Im ω^2j, Re ω^3j, Im ω^3j] (lanes j and j+1). */
  foldTwiddles: usize;
  /** Lane-level twiddles, in the order the loops read them: level after level (largest block
   *  first), for each j < quarter six f64x2 as above with both lanes equal,
   *  ω = exp(-2πi/(4·quarter)). */
  laneTwiddles: usize;
  /** 32N bytes of scratch for the whole products (two transforms, two polynomials). */
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

/** cos and sin of 2π·e/size. */
@inline function rootCos(e: i32, size: i32): f64 {
  return Math.cos((2.0 * Math.PI * <f64>e) / <f64>size);
}
@inline function rootSin(e: i32, size: i32): f64 {
  return Math.sin((2.0 * Math.PI * <f64>e) / <f64>size);
}

/** Stores the f64x2 pair [Re, Im] of exp(sign·2πi·e/size) for e and e + step at t; returns t + 32. */
function storeRootPair(t: usize, e: i32, step: i32, size: i32, sign: f64, scale: f64): usize {
  store<f64>(t, scale * rootCos(e, size));
  store<f64>(t, scale * rootCos(e + step, size), 8);
  store<f64>(t, scale * sign * rootSin(e, size), 16);
  store<f64>(t, scale * sign * rootSin(e + step, size), 24);
  return t + 32;
}

function createPlan(polySize: i32): usize {
  const m = polySize >> 1;
  const p = changetype<FftPlan>(heap.alloc(offsetof<FftPlan>()));
  p.polySize = polySize;
  p.halfSize = m;

  // Twist w^e = exp(2πi·e/(2N)) and untwist conj(w^e)/(M·2^64), by pairs (e, e+1), in the
  // order the first forward pass reads them: e = j + k·M/4 for each pair j, k = 0..3.
  const quarter = m >> 2;
  p.twist = heap.alloc(<usize>m << 4);
  p.untwist = heap.alloc(<usize>m << 4);
  let t = p.twist, u = p.untwist;
  for (let j = 0; j < quarter; j += 2) {
    for (let k = 0; k < 4; k++) {
      t = storeRootPair(t, j + k * quarter, 1, 2 * polySize, 1.0, 1.0);
      u = storeRootPair(u, j + k * quarter, 1, 2 * polySize, -1.0, TWO_POW_MINUS_64 / <f64>m);
    }
  }

  // Fold: ω = exp(-2πi/M), powers 1, 2, 3 of pairs (j, j+1), j < M/4.
  p.foldTwiddles = heap.alloc(<usize>quarter * 48);
  t = p.foldTwiddles;
  for (let j = 0; j < quarter; j += 2) {
    for (let power = 1; power <= 3; power++) t = storeRootPair(t, power * j, power, m, -1.0, 1.0);
  }

  // Lane levels: quarters M/16, M/64, ... down to 2 (a level of quarter 1 has only trivial
  // twiddles and gets its own loop).
  let laneBytes: usize = 16; // never zero-sized
  for (let q = m >> 4; q >= 2; q >>= 2) laneBytes += <usize>q * 96;
  p.laneTwiddles = heap.alloc(laneBytes);
  t = p.laneTwiddles;
  for (let q = m >> 4; q >= 2; q >>= 2) {
    for (let j = 0; j < q; j++) {
      for (let power = 1; power <= 3; power++) {
        v128.store(t, f64x2.splat(rootCos(power * j, 4 * q)));
        v128.store(t, f64x2.splat(-rootSin(power * j, 4 * q)), 16);
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
// conversion; these use the exponent trick: MAGIC = 1.5·2^52 has ulp 1, so for |x| < 2^51 the
// f64 MAGIC + x has bits(MAGIC) + x, and adding MAGIC to a non-integer y rounds it to the nearest
// integer (ties to even) into those low mantissa bits.

/** 1.5·2^52, bits 0x4338000000000000. */
const MAGIC: f64 = 6755399441055744.0;
const TWO_POW_32: f64 = 4294967296.0;
const TWO_POW_MINUS_64: f64 = 5.421010862427522e-20; // exactly 2^-64

/**
 * Lane constants, kept in memory and loaded into locals once per call: V8 rebuilds a v128 literal
 * (three instructions) at each use inside a loop, whereas a loaded local stays in a register.
 */
const LANE_CONSTANTS: usize = memory.data<f64>([MAGIC, MAGIC, TWO_POW_32, TWO_POW_32, TWO_POW_MINUS_64, TWO_POW_MINUS_64], 16);
const LOW_32_BITS: usize = memory.data<u64>([0xffffffff, 0xffffffff], 16);
@inline function laneMagic(): v128 { return v128.load(LANE_CONSTANTS); }
@inline function laneTwoPow32(): v128 { return v128.load(LANE_CONSTANTS, 16); }
@inline function laneTwoPowMinus64(): v128 { return v128.load(LANE_CONSTANTS, 32); }

/** Exact conversion of two small signed integers, |x| < 2^51 (decomposition digits, key bits). */
@inline function smallI64x2ToF64x2(x: v128, magic: v128): v128 {
  return f64x2.sub(i64x2.add(x, magic), magic);
}

/** Correctly rounded conversion of two arbitrary signed i64 (torus elements): x = hi·2^32 + lo with
 *  hi signed and lo unsigned 32-bit integers, both converted exactly, summed with one rounding. */
@inline function i64x2ToF64x2(x: v128, magic: v128, low32Bits: v128, twoPow32: v128): v128 {
  const hi = smallI64x2ToF64x2(i64x2.shr_s(x, 32), magic);
  const lo = smallI64x2ToF64x2(v128.and(x, low32Bits), magic);
  return f64x2.add(f64x2.mul(hi, twoPow32), lo);
}

/**
 * round(2^64·y) mod 2^64 (ties to even) for two f64 lanes y = x/2^64 of any magnitude: y is the
 * torus element as a real number, and the integer result its 64-bit fixed-point representative.
 * (The backward transform folds the 2^-64 into its untwist table; scaling by a power of two is
 * exact, so this is round(x) mod 2^64, the lane-wise twin of f64ToTorusWrapping.) Every step is
 * exact:
 *  - f = y − nearest(y) ∈ [−1/2, 1/2], y mod 1 (a multiple of ulp(y) no larger than 1/2);
 *  - t = f·2^32, split as hi = nearest(t) ∈ [−2^31, 2^31] (adding MAGIC leaves hi in the low
 *    mantissa bits of hiMagic) and d = t − hi ∈ [−1/2, 1/2];
 *  - loMagic = d·2^32 + MAGIC rounds lo = d·2^32 to the nearest integer; as hi·2^32 is even,
 *    hi·2^32 + round(lo) = round(f·2^64) with ties to even;
 *  - bits(hiMagic) << 32 = hi << 32 (the low 32 bits of bits(MAGIC) are zero), and
 *    bits(loMagic) − bits(MAGIC) = round(lo), so their wrapping sum is the result.
 */
@inline function unitTorusX2ToU64(y: v128, magic: v128, twoPow32: v128): v128 {
  const f = f64x2.sub(y, f64x2.nearest(y));
  const t = f64x2.mul(f, twoPow32);
  const hiMagic = f64x2.add(t, magic);
  const d = f64x2.sub(t, f64x2.sub(hiMagic, magic));
  const loMagic = f64x2.add(f64x2.mul(d, twoPow32), magic);
  return i64x2.sub(i64x2.add(i64x2.shl(hiMagic, 32), loMagic), magic);
}

/** 1.5 in both lanes, and bits(1.5)·2^12 mod 2^64 = 2^63 (unitTorusX2ToU64Coarse). */
const COARSE_CONSTANTS: usize = memory.data<u64>([0x3ff8000000000000, 0x3ff8000000000000, 0x8000000000000000, 0x8000000000000000], 16);

/**
 * The cheaper conversion of the bootstrap's backward transforms: round(2^64·y) mod 2^64 for two f64
 * lanes y of any magnitude, EXACT when |y| ≥ 1 and otherwise rounded to a multiple of 2^12:
 *  - f = y − nearest(y) ∈ [−1/2, 1/2], exact, a multiple of ulp(y) — of 2^-52 when |y| ≥ 1;
 *  - g = f + 1.5 ∈ [1, 2] has ulp 2^-52: it holds f rounded to a multiple of 2^-52 (no rounding
 *    when |y| ≥ 1), and bits(g) − bits(1.5) = f·2^52 as an integer (g = 2 included: the exponent
 *    step continues the count);
 *  - shifted left by 12 this is f·2^64, and bits(1.5)·2^12 ≡ 2^63 (mod 2^64), so the result is
 *    (bits(g) << 12) − 2^63 ≡ (bits(g) << 12) + 2^63.
 * Five operations instead of unitTorusX2ToU64's eleven. The external product's coefficients are
 * sums of N products of 2^22-digits with 2^63-torus values, |y| ≥ 1 all but always; when not,
 * the 2^11 rounding is far below the transform's own error (≈ 2^38 and more, fft.test.js).
 */
@inline function unitTorusX2ToU64Coarse(y: v128, onePointFive: v128, topBit: v128): v128 {
  const g = f64x2.add(f64x2.sub(y, f64x2.nearest(y)), onePointFive);
  return i64x2.add(i64x2.shl(g, 12), topBit);
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

/** Test hook for the lane-wise conversion: out[i] = round(values[i]) mod 2^64 for i < count (even),
 *  through the same f64x2 code as the backward transform. */
export function f64PairsToTorusWrapping(out: usize, values: usize, count: i32): void {
  const magic = laneMagic(), twoPow32 = laneTwoPow32(), twoPowMinus64 = laneTwoPowMinus64();
  for (let off: usize = 0; off < (<usize>count << 3); off += 16) {
    v128.store(out + off, unitTorusX2ToU64(f64x2.mul(v128.load(values + off), twoPowMinus64), magic, twoPow32));
  }
}

// ---------------------------------------------------------------------------------------------
// The first forward pass (twist + fold) and the last backward pass (unfold + untwist), each one
// pass over memory. The fold butterfly for pair j (j < q = M/4, even) combines the pairs
// z_{j+kq}, k = 0..3, and writes positions j, j+1, q+j, q+j+1; so one loop iteration reads the
// coefficients a_e, a_{e+M}, e = j + kq (two lanes: e, e+1), twists them and folds them, and the
// backward pass does the reverse. (The twist and untwist tables are laid out j-major to match.)

/** What the forward pass reads: how two u64 coefficients become two f64. */
const SOURCE_SMALL: i32 = 0; // small signed integers, |a| < 2^51: smallI64x2ToF64x2
const SOURCE_TORUS: i32 = 1; // torus elements as signed i64: i64x2ToF64x2
const SOURCE_DIGITS: i32 = 2; // torus elements, replaced by one level of their gadget digits
const SOURCE_TOP_DIGITS: i32 = 3; // the same for level 1, whose shift leaves no bits to mask

/**
 * Gadget digits of level j straight to f64, in the offset form of torus.ts (decompositionOffset):
 * u = ((t + C) >> (64 − β·j)) mod B is the digit plus B/2, an integer in [0, B) ⊂ [0, 2^51), so
 * bits(MAGIC) + u is the f64 MAGIC + u exactly; subtracting MAGIC + B/2 (`bias`) leaves the digit.
 */
@inline function digitsToF64x2(t: v128, offset: v128, shift: u32, mask: v128, magic: v128, bias: v128, topLevel: bool): v128 {
  const shifted = i64x2.shr_u(i64x2.add(t, offset), shift);
  const u = topLevel ? shifted : v128.and(shifted, mask); // level 1: the shift leaves β bits
  return f64x2.sub(i64x2.add(u, magic), bias);
}

/** Scratch for the digit constants of one call: offset C, mask B − 1, bias MAGIC + B/2. */
const DIGIT_CONSTANTS: usize = memory.data(48, 16);

/** Two coefficients as f64, as `source` (a constant) says. */
@inline function coefficientsToF64x2(
  x: v128, source: i32, magic: v128, low32Bits: v128, twoPow32: v128,
  offset: v128, shift: u32, mask: v128, bias: v128,
): v128 {
  if (source == SOURCE_SMALL) return smallI64x2ToF64x2(x, magic);
  if (source == SOURCE_TORUS) return i64x2ToF64x2(x, magic, low32Bits, twoPow32);
  return digitsToF64x2(x, offset, shift, mask, magic, bias, source == SOURCE_TOP_DIGITS);
}

/**
 * Twist + fold. Twist: z_e = (a_e + i·a_{e+M})·w^e. Fold: radix-4 DIF butterfly on
 * a, b, c, d = z_j, z_{j+q}, z_{j+2q}, z_{j+3q}, ω = exp(-2πi/M):
 *   y0 = (a+c) + (b+d),   y1 = ((a+c) − (b+d))·ω^2j,
 *   y2 = ((a−c) − i(b−d))·ω^j,   y3 = ((a−c) + i(b−d))·ω^3j.
 * (y0 | y1) is A = X_even's input after its own first level, (y2 | y3) is B = X_odd's: the results
 * are transposed so that A goes to lane 0 and B to lane 1: position j ← (y0_j, y2_j),
 * j+1 ← (y0_{j+1}, y2_{j+1}), q+j ← (y1_j, y3_j), q+j+1 ← (y1_{j+1}, y3_{j+1}).
 * The digit parameters are only read for SOURCE_DIGITS.
 */
@inline function twistFoldPass(
  plan: FftPlan, fourier: usize, poly: usize, source: i32,
  digitOffset: u64, digitShift: u32, baseLog: u32,
): void {
  const m = <usize>plan.halfSize;
  const q = m >> 2;
  const imOffset = m << 3; // from Re to Im (fourier), from a_e to a_{e+M} (poly)
  const kBytes = q << 3; // from a_e to a_{e+q}
  const highOffset = q << 4; // position q, in bytes
  const magic = laneMagic(), low32Bits = v128.load(LOW_32_BITS), twoPow32 = laneTwoPow32();
  // The digit constants go through memory, like the lane constants: computed splats would be
  // recomputed inside the loop.
  v128.store(DIGIT_CONSTANTS, i64x2.splat(digitOffset));
  v128.store(DIGIT_CONSTANTS, i64x2.splat((<i64>1 << baseLog) - 1), 16);
  v128.store(DIGIT_CONSTANTS, f64x2.splat(MAGIC + <f64>(<i64>1 << (baseLog - 1))), 32);
  const offset = v128.load(DIGIT_CONSTANTS), mask = v128.load(DIGIT_CONSTANTS, 16), bias = v128.load(DIGIT_CONSTANTS, 32);
  let tw = plan.twist, fw = plan.foldTwiddles;
  for (let j: usize = 0; j < q; j += 2) {
    // The twisted pairs a, b, c, d = z_{j+kq}, k = 0..3.
    let s = poly + (j << 3);
    let xr = coefficientsToF64x2(v128.load(s), source, magic, low32Bits, twoPow32, offset, digitShift, mask, bias);
    let xi = coefficientsToF64x2(v128.load(s + imOffset), source, magic, low32Bits, twoPow32, offset, digitShift, mask, bias);
    let wr = v128.load(tw), wi = v128.load(tw, 16);
    const ar = mulRe(xr, xi, wr, wi), ai = mulIm(xr, xi, wr, wi);
    s += kBytes;
    xr = coefficientsToF64x2(v128.load(s), source, magic, low32Bits, twoPow32, offset, digitShift, mask, bias);
    xi = coefficientsToF64x2(v128.load(s + imOffset), source, magic, low32Bits, twoPow32, offset, digitShift, mask, bias);
    wr = v128.load(tw, 32); wi = v128.load(tw, 48);
    const br = mulRe(xr, xi, wr, wi), bi = mulIm(xr, xi, wr, wi);
    s += kBytes;
    xr = coefficientsToF64x2(v128.load(s), source, magic, low32Bits, twoPow32, offset, digitShift, mask, bias);
    xi = coefficientsToF64x2(v128.load(s + imOffset), source, magic, low32Bits, twoPow32, offset, digitShift, mask, bias);
    wr = v128.load(tw, 64); wi = v128.load(tw, 80);
    const cr = mulRe(xr, xi, wr, wi), ci = mulIm(xr, xi, wr, wi);
    s += kBytes;
    xr = coefficientsToF64x2(v128.load(s), source, magic, low32Bits, twoPow32, offset, digitShift, mask, bias);
    xi = coefficientsToF64x2(v128.load(s + imOffset), source, magic, low32Bits, twoPow32, offset, digitShift, mask, bias);
    wr = v128.load(tw, 96); wi = v128.load(tw, 112);
    const dr = mulRe(xr, xi, wr, wi), di = mulIm(xr, xi, wr, wi);
    tw += 128;
    // The fold butterfly.
    const sumAcR = f64x2.add(ar, cr), sumAcI = f64x2.add(ai, ci);
    const sumBdR = f64x2.add(br, dr), sumBdI = f64x2.add(bi, di);
    const difAcR = f64x2.sub(ar, cr), difAcI = f64x2.sub(ai, ci);
    const difBdR = f64x2.sub(br, dr), difBdI = f64x2.sub(bi, di);
    const y0r = f64x2.add(sumAcR, sumBdR), y0i = f64x2.add(sumAcI, sumBdI);
    let ur = f64x2.sub(sumAcR, sumBdR), ui = f64x2.sub(sumAcI, sumBdI);
    wr = v128.load(fw, 32); wi = v128.load(fw, 48);
    const y1r = mulRe(ur, ui, wr, wi), y1i = mulIm(ur, ui, wr, wi);
    ur = f64x2.add(difAcR, difBdI); ui = f64x2.sub(difAcI, difBdR); // (a−c) − i(b−d)
    wr = v128.load(fw); wi = v128.load(fw, 16);
    const y2r = mulRe(ur, ui, wr, wi), y2i = mulIm(ur, ui, wr, wi);
    ur = f64x2.sub(difAcR, difBdI); ui = f64x2.add(difAcI, difBdR); // (a−c) + i(b−d)
    wr = v128.load(fw, 64); wi = v128.load(fw, 80);
    const y3r = mulRe(ur, ui, wr, wi), y3i = mulIm(ur, ui, wr, wi);
    fw += 96;
    const low = fourier + (j << 4), high = low + highOffset;
    v128.store(low, f64x2.shuffle(y0r, y2r, 0, 2));
    v128.store(low, f64x2.shuffle(y0r, y2r, 1, 3), 16);
    v128.store(low + imOffset, f64x2.shuffle(y0i, y2i, 0, 2));
    v128.store(low + imOffset, f64x2.shuffle(y0i, y2i, 1, 3), 16);
    v128.store(high, f64x2.shuffle(y1r, y3r, 0, 2));
    v128.store(high, f64x2.shuffle(y1r, y3r, 1, 3), 16);
    v128.store(high + imOffset, f64x2.shuffle(y1i, y3i, 0, 2));
    v128.store(high + imOffset, f64x2.shuffle(y1i, y3i, 1, 3), 16);
  }
}

/** Untwist of one pair z (at t: coefficients e, e+1): x = z·conj(w^e)/M, real part → coefficient
 *  e, imaginary part → e + M, each rounded mod 2^64 (computed on x/2^64, see unitTorusX2ToU64, or
 *  unitTorusX2ToU64Coarse when `coarse`) and added to poly (`accumulate`) or stored. `tw`: the
 *  untwist factors; c0, c1: the conversion's lane constants (magic and 2^32, or 1.5 and 2^63). */
@inline function untwistStore(
  t: usize, imOffset: usize, zr: v128, zi: v128, tw: usize, accumulate: bool, coarse: bool, c0: v128, c1: v128,
): void {
  const ur = v128.load(tw), ui = v128.load(tw, 16);
  const xr = mulRe(zr, zi, ur, ui), xi = mulIm(zr, zi, ur, ui);
  const re = coarse ? unitTorusX2ToU64Coarse(xr, c0, c1) : unitTorusX2ToU64(xr, c0, c1);
  const im = coarse ? unitTorusX2ToU64Coarse(xi, c0, c1) : unitTorusX2ToU64(xi, c0, c1);
  if (accumulate) {
    v128.store(t, i64x2.add(v128.load(t), re));
    v128.store(t + imOffset, i64x2.add(v128.load(t + imOffset), im));
  } else {
    v128.store(t, re);
    v128.store(t + imOffset, im);
  }
}

/**
 * Unfold + untwist, the inverse of twistFoldPass (times M, with rounding): transpose the lanes
 * back into y0..y3, then with P = y0, Q = y1·conj ω^2j, R = y2·conj ω^j, S = y3·conj ω^3j:
 *   a = (P+Q) + (R+S),  b = (P−Q) + i(R−S),  c = (P+Q) − (R+S),  d = (P−Q) − i(R−S),
 * i.e. 4·z_{j+kq} for k = 0..3, each untwisted (the table holds conj(w^e)/(M·2^64)) into
 * coefficients e and e + M.
 */
@inline function unfoldUntwistPass(plan: FftPlan, poly: usize, fourier: usize, accumulate: bool, coarse: bool): void {
  const m = <usize>plan.halfSize;
  const q = m >> 2;
  const imOffset = m << 3;
  const kBytes = q << 3;
  const highOffset = q << 4;
  const c0 = coarse ? v128.load(COARSE_CONSTANTS) : laneMagic();
  const c1 = coarse ? v128.load(COARSE_CONSTANTS, 16) : laneTwoPow32();
  let tw = plan.untwist, fw = plan.foldTwiddles;
  for (let j: usize = 0; j < q; j += 2) {
    const low = fourier + (j << 4), high = low + highOffset;
    let v0 = v128.load(low), v1 = v128.load(low, 16);
    const y0r = f64x2.shuffle(v0, v1, 0, 2), y2r = f64x2.shuffle(v0, v1, 1, 3);
    v0 = v128.load(low + imOffset); v1 = v128.load(low + imOffset, 16);
    const y0i = f64x2.shuffle(v0, v1, 0, 2), y2i = f64x2.shuffle(v0, v1, 1, 3);
    v0 = v128.load(high); v1 = v128.load(high, 16);
    const y1r = f64x2.shuffle(v0, v1, 0, 2), y3r = f64x2.shuffle(v0, v1, 1, 3);
    v0 = v128.load(high + imOffset); v1 = v128.load(high + imOffset, 16);
    const y1i = f64x2.shuffle(v0, v1, 0, 2), y3i = f64x2.shuffle(v0, v1, 1, 3);
    let wr = v128.load(fw, 32), wi = v128.load(fw, 48);
    const qr = mulConjRe(y1r, y1i, wr, wi), qi = mulConjIm(y1r, y1i, wr, wi);
    wr = v128.load(fw); wi = v128.load(fw, 16);
    const rr = mulConjRe(y2r, y2i, wr, wi), ri = mulConjIm(y2r, y2i, wr, wi);
    wr = v128.load(fw, 64); wi = v128.load(fw, 80);
    const sr = mulConjRe(y3r, y3i, wr, wi), si = mulConjIm(y3r, y3i, wr, wi);
    fw += 96;
    const sumPqR = f64x2.add(y0r, qr), sumPqI = f64x2.add(y0i, qi);
    const difPqR = f64x2.sub(y0r, qr), difPqI = f64x2.sub(y0i, qi);
    const sumRsR = f64x2.add(rr, sr), sumRsI = f64x2.add(ri, si);
    const difRsR = f64x2.sub(rr, sr), difRsI = f64x2.sub(ri, si);
    const t = poly + (j << 3);
    // a; b, where i(R−S) = −Im(R−S) + i·Re(R−S); c; d.
    untwistStore(t, imOffset, f64x2.add(sumPqR, sumRsR), f64x2.add(sumPqI, sumRsI), tw, accumulate, coarse, c0, c1);
    untwistStore(t + kBytes, imOffset, f64x2.sub(difPqR, difRsI), f64x2.add(difPqI, difRsR), tw + 32, accumulate, coarse, c0, c1);
    untwistStore(t + 2 * kBytes, imOffset, f64x2.sub(sumPqR, sumRsR), f64x2.sub(sumPqI, sumRsI), tw + 64, accumulate, coarse, c0, c1);
    untwistStore(t + 3 * kBytes, imOffset, f64x2.add(difPqR, difRsI), f64x2.sub(difPqI, difRsR), tw + 96, accumulate, coarse, c0, c1);
    tw += 128;
  }
}

// ---------------------------------------------------------------------------------------------
// Lane levels: in each lane an M/2-point DIF whose first level the fold did; `positions` = M/2.

/**
 * Lane-wise radix-4 DIF butterfly at position p (positions p + k·quarter, k = 0..3, the offsets
 * in bytes being k·qBytes), twiddles ω^j, ω^2j, ω^3j at tw: the fold's butterfly, lane by lane.
 */
@inline function forwardLaneButterfly(p: usize, imOffset: usize, qBytes: usize, tw: usize): void {
  const pi = p + imOffset;
  const ar = v128.load(p), ai = v128.load(pi);
  const br = v128.load(p + qBytes), bi = v128.load(pi + qBytes);
  const cr = v128.load(p + 2 * qBytes), ci = v128.load(pi + 2 * qBytes);
  const dr = v128.load(p + 3 * qBytes), di = v128.load(pi + 3 * qBytes);
  const sumAcR = f64x2.add(ar, cr), sumAcI = f64x2.add(ai, ci);
  const sumBdR = f64x2.add(br, dr), sumBdI = f64x2.add(bi, di);
  const difAcR = f64x2.sub(ar, cr), difAcI = f64x2.sub(ai, ci);
  const difBdR = f64x2.sub(br, dr), difBdI = f64x2.sub(bi, di);
  v128.store(p, f64x2.add(sumAcR, sumBdR)); // y0 = (a+c) + (b+d)
  v128.store(pi, f64x2.add(sumAcI, sumBdI));
  let ur = f64x2.sub(sumAcR, sumBdR), ui = f64x2.sub(sumAcI, sumBdI); // y1 = ((a+c) − (b+d))·ω^2j
  let wr = v128.load(tw, 32), wi = v128.load(tw, 48);
  v128.store(p + qBytes, mulRe(ur, ui, wr, wi));
  v128.store(pi + qBytes, mulIm(ur, ui, wr, wi));
  ur = f64x2.add(difAcR, difBdI); ui = f64x2.sub(difAcI, difBdR); // y2 = ((a−c) − i(b−d))·ω^j
  wr = v128.load(tw); wi = v128.load(tw, 16);
  v128.store(p + 2 * qBytes, mulRe(ur, ui, wr, wi));
  v128.store(pi + 2 * qBytes, mulIm(ur, ui, wr, wi));
  ur = f64x2.sub(difAcR, difBdI); ui = f64x2.add(difAcI, difBdR); // y3 = ((a−c) + i(b−d))·ω^3j
  wr = v128.load(tw, 64); wi = v128.load(tw, 80);
  v128.store(p + 3 * qBytes, mulRe(ur, ui, wr, wi));
  v128.store(pi + 3 * qBytes, mulIm(ur, ui, wr, wi));
}

/** One lane-wise radix-4 DIF level on blocks of 4·quarter positions, ω = exp(-2πi/(4·quarter)),
 *  two positions per step (quarter ≥ 2). Returns the twiddle pointer past this level. */
function forwardLaneRadix4(re: usize, imOffset: usize, positions: usize, quarter: usize, twiddles: usize): usize {
  const qBytes = quarter << 4;
  const end = re + (positions << 4);
  for (let block = re; block < end; block += qBytes << 2) {
    let tw = twiddles;
    for (let p = block; p < block + qBytes; p += 32) {
      forwardLaneButterfly(p, imOffset, qBytes, tw);
      forwardLaneButterfly(p + 16, imOffset, qBytes, tw + 96);
      tw += 192;
    }
  }
  return twiddles + quarter * 96;
}

/** The last lane level when two levels remain: radix 4 with quarter 1 (all twiddles 1). */
function forwardLaneRadix4Last(re: usize, imOffset: usize, positions: usize): void {
  const end = re + (positions << 4);
  for (let p = re; p < end; p += 64) {
    const pi = p + imOffset;
    const ar = v128.load(p), ai = v128.load(pi);
    const br = v128.load(p, 16), bi = v128.load(pi, 16);
    const cr = v128.load(p, 32), ci = v128.load(pi, 32);
    const dr = v128.load(p, 48), di = v128.load(pi, 48);
    const sumAcR = f64x2.add(ar, cr), sumAcI = f64x2.add(ai, ci);
    const sumBdR = f64x2.add(br, dr), sumBdI = f64x2.add(bi, di);
    const difAcR = f64x2.sub(ar, cr), difAcI = f64x2.sub(ai, ci);
    const difBdR = f64x2.sub(br, dr), difBdI = f64x2.sub(bi, di);
    v128.store(p, f64x2.add(sumAcR, sumBdR));
    v128.store(pi, f64x2.add(sumAcI, sumBdI));
    v128.store(p, f64x2.sub(sumAcR, sumBdR), 16);
    v128.store(pi, f64x2.sub(sumAcI, sumBdI), 16);
    v128.store(p, f64x2.add(difAcR, difBdI), 32);
    v128.store(pi, f64x2.sub(difAcI, difBdR), 32);
    v128.store(p, f64x2.sub(difAcR, difBdI), 48);
    v128.store(pi, f64x2.add(difAcI, difBdR), 48);
  }
}

/** The last lane level when one level remains: radix 2 with half size 1 (twiddle 1); it is its
 *  own inverse up to the factor 2. */
function laneRadix2Last(re: usize, imOffset: usize, positions: usize): void {
  const end = re + (positions << 4);
  for (let p = re; p < end; p += 32) {
    const pi = p + imOffset;
    const ar = v128.load(p), ai = v128.load(pi);
    const br = v128.load(p, 16), bi = v128.load(pi, 16);
    v128.store(p, f64x2.add(ar, br));
    v128.store(pi, f64x2.add(ai, bi));
    v128.store(p, f64x2.sub(ar, br), 16);
    v128.store(pi, f64x2.sub(ai, bi), 16);
  }
}

/** All lane levels: quarters M/16, M/64, ... ≥ 2, then quarter 1 (radix 4) or a radix-2 level. */
function forwardLanes(plan: FftPlan, fourier: usize): void {
  const m = <usize>plan.halfSize;
  const imOffset = m << 3;
  const positions = m >> 1;
  let tw = plan.laneTwiddles;
  let quarter = m >> 4;
  for (; quarter >= 2; quarter >>= 2) tw = forwardLaneRadix4(fourier, imOffset, positions, quarter, tw);
  if (quarter == 1) forwardLaneRadix4Last(fourier, imOffset, positions);
  else laneRadix2Last(fourier, imOffset, positions); // quarter == 0: one level remains
}

/**
 * Inverse of forwardLaneButterfly (times 4), the unfold's butterfly lane by lane:
 * P = y0, Q = y1·conj ω^2j, R = y2·conj ω^j, S = y3·conj ω^3j;
 * a = (P+Q) + (R+S), b = (P−Q) + i(R−S), c = (P+Q) − (R+S), d = (P−Q) − i(R−S).
 */
@inline function backwardLaneButterfly(p: usize, imOffset: usize, qBytes: usize, tw: usize): void {
  const pi = p + imOffset;
  const yr = v128.load(p), yi = v128.load(pi);
  let xr = v128.load(p + qBytes), xi = v128.load(pi + qBytes);
  let wr = v128.load(tw, 32), wi = v128.load(tw, 48);
  const qr = mulConjRe(xr, xi, wr, wi), qi = mulConjIm(xr, xi, wr, wi);
  xr = v128.load(p + 2 * qBytes); xi = v128.load(pi + 2 * qBytes);
  wr = v128.load(tw); wi = v128.load(tw, 16);
  const rr = mulConjRe(xr, xi, wr, wi), ri = mulConjIm(xr, xi, wr, wi);
  xr = v128.load(p + 3 * qBytes); xi = v128.load(pi + 3 * qBytes);
  wr = v128.load(tw, 64); wi = v128.load(tw, 80);
  const sr = mulConjRe(xr, xi, wr, wi), si = mulConjIm(xr, xi, wr, wi);
  const sumPqR = f64x2.add(yr, qr), sumPqI = f64x2.add(yi, qi);
  const difPqR = f64x2.sub(yr, qr), difPqI = f64x2.sub(yi, qi);
  const sumRsR = f64x2.add(rr, sr), sumRsI = f64x2.add(ri, si);
  const difRsR = f64x2.sub(rr, sr), difRsI = f64x2.sub(ri, si);
  v128.store(p, f64x2.add(sumPqR, sumRsR));
  v128.store(pi, f64x2.add(sumPqI, sumRsI));
  v128.store(p + qBytes, f64x2.sub(difPqR, difRsI));
  v128.store(pi + qBytes, f64x2.add(difPqI, difRsR));
  v128.store(p + 2 * qBytes, f64x2.sub(sumPqR, sumRsR));
  v128.store(pi + 2 * qBytes, f64x2.sub(sumPqI, sumRsI));
  v128.store(p + 3 * qBytes, f64x2.add(difPqR, difRsI));
  v128.store(pi + 3 * qBytes, f64x2.sub(difPqI, difRsR));
}

/** Inverse of forwardLaneRadix4 (times 4). */
function backwardLaneRadix4(re: usize, imOffset: usize, positions: usize, quarter: usize, twiddles: usize): void {
  const qBytes = quarter << 4;
  const end = re + (positions << 4);
  for (let block = re; block < end; block += qBytes << 2) {
    let tw = twiddles;
    for (let p = block; p < block + qBytes; p += 32) {
      backwardLaneButterfly(p, imOffset, qBytes, tw);
      backwardLaneButterfly(p + 16, imOffset, qBytes, tw + 96);
      tw += 192;
    }
  }
}

/** Inverse of forwardLaneRadix4Last (times 4). */
function backwardLaneRadix4First(re: usize, imOffset: usize, positions: usize): void {
  const end = re + (positions << 4);
  for (let p = re; p < end; p += 64) {
    const pi = p + imOffset;
    const yr = v128.load(p), yi = v128.load(pi);
    const qr = v128.load(p, 16), qi = v128.load(pi, 16);
    const rr = v128.load(p, 32), ri = v128.load(pi, 32);
    const sr = v128.load(p, 48), si = v128.load(pi, 48);
    const sumPqR = f64x2.add(yr, qr), sumPqI = f64x2.add(yi, qi);
    const difPqR = f64x2.sub(yr, qr), difPqI = f64x2.sub(yi, qi);
    const sumRsR = f64x2.add(rr, sr), sumRsI = f64x2.add(ri, si);
    const difRsR = f64x2.sub(rr, sr), difRsI = f64x2.sub(ri, si);
    v128.store(p, f64x2.add(sumPqR, sumRsR));
    v128.store(pi, f64x2.add(sumPqI, sumRsI));
    v128.store(p, f64x2.sub(difPqR, difRsI), 16);
    v128.store(pi, f64x2.add(difPqI, difRsR), 16);
    v128.store(p, f64x2.sub(sumPqR, sumRsR), 32);
    v128.store(pi, f64x2.sub(sumPqI, sumRsI), 32);
    v128.store(p, f64x2.add(difPqR, difRsI), 48);
    v128.store(pi, f64x2.sub(difPqI, difRsR), 48);
  }
}

/** All lane levels undone, from the last (quarter 1, or the radix-2 level) to the first. */
function backwardLanes(plan: FftPlan, fourier: usize): void {
  const m = <usize>plan.halfSize;
  const imOffset = m << 3;
  const positions = m >> 1;
  let quarter = m >> 4;
  let tw = plan.laneTwiddles;
  for (; quarter >= 2; quarter >>= 2) tw += quarter * 96; // to the end of the table
  if (quarter == 1) backwardLaneRadix4First(fourier, imOffset, positions);
  else laneRadix2Last(fourier, imOffset, positions);
  for (quarter = quarter == 1 ? 4 : 2; quarter <= m >> 4; quarter <<= 2) {
    tw -= quarter * 96;
    backwardLaneRadix4(fourier, imOffset, positions, quarter, tw);
  }
}

// ---------------------------------------------------------------------------------------------
// The transforms.

/** Forward transform of a torus polynomial: N u64 read as signed i64 in [−2^63, 2^63). */
export function fftForwardTorus(plan: usize, fourier: usize, poly: usize): void {
  const p = changetype<FftPlan>(plan);
  twistFoldPass(p, fourier, poly, SOURCE_TORUS, 0, 0, 1);
  forwardLanes(p, fourier);
}

/** Forward transform of a polynomial of small signed integers, |a_j| < 2^51 (decomposition digits,
 *  binary keys), whose conversion to f64 is a two-instruction exact trick. */
export function fftForwardI64(plan: usize, fourier: usize, poly: usize): void {
  const p = changetype<FftPlan>(plan);
  twistFoldPass(p, fourier, poly, SOURCE_SMALL, 0, 0, 1);
  forwardLanes(p, fourier);
}

/**
 * Forward transform of the level-`level` gadget digits of a torus polynomial (base 2^baseLog,
 * `levels` levels; level 1 the most significant): the same transform as decomposePolynomial
 * (torus.ts) followed by fftForwardI64 on that level, without writing the digits to memory.
 */
export function fftForwardDigits(plan: usize, fourier: usize, poly: usize, baseLog: u32, levels: u32, level: u32): void {
  const p = changetype<FftPlan>(plan);
  const offset = decompositionOffset(baseLog, levels);
  const shift = 64 - baseLog * level;
  // V8 turns a shift by a variable count into three instructions at every use (mask the count,
  // move it to a vector register, shift); a constant count is an immediate. So the decomposition
  // of the hot PBS sets (β = 23, l = 1) gets its own copy of the pass, which also skips the mask.
  if (baseLog == 23 && level == 1) twistFoldPass(p, fourier, poly, SOURCE_TOP_DIGITS, offset, 41, 23);
  else twistFoldPass(p, fourier, poly, SOURCE_DIGITS, offset, shift, baseLog);
  forwardLanes(p, fourier);
}

/** poly[j] += round(inverse transform)_j mod 2^64 (wrapping). `fourier` is destroyed (scratch). */
export function fftBackwardAddTorus(plan: usize, poly: usize, fourier: usize): void {
  const p = changetype<FftPlan>(plan);
  backwardLanes(p, fourier);
  unfoldUntwistPass(p, poly, fourier, true, false);
}

/**
 * fftBackwardAddTorus with the cheaper conversion unitTorusX2ToU64Coarse: the same result for
 * every coefficient of magnitude ≥ 2^64 before reduction (all but always, for the external
 * product's outputs), the nearest multiple of 2^12 otherwise. For the blind rotation.
 */
export function fftBackwardAddTorusCoarse(plan: usize, poly: usize, fourier: usize): void {
  const p = changetype<FftPlan>(plan);
  backwardLanes(p, fourier);
  unfoldUntwistPass(p, poly, fourier, true, true);
}

/** out[j] = round(inverse transform)_j as i64 (exact integer use: |result| < 2^52; larger values
 *  come out mod 2^64). `fourier` is destroyed (scratch). */
export function fftBackwardRoundI64(plan: usize, out: usize, fourier: usize): void {
  const p = changetype<FftPlan>(plan);
  backwardLanes(p, fourier);
  unfoldUntwistPass(p, out, fourier, false, false);
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
 * Each limb product has integer coefficients of magnitude < N·2^22 ≤ 2^36 (N ≤ 2^14). The error
 * of an f64 FFT convolution is of order ε·log2(N)·‖limb‖₂‖s‖₂ ≤ 2^-53·14·2^22·N ≤ 2^-13 (ε = 2^-53;
 * measured: at most 2^-15 away from the integer for N = 2^14 with all limbs and key bits at their
 * maximum), far below 1/2, so rounding recovers each exact integer; the limb products are then
 * recombined by wrapping shifts and adds.
 */
export function negacyclicMulExactBinary(plan: usize, out: usize, a: usize, keyFourier: usize): void {
  const polyBytes = <usize>changetype<FftPlan>(plan).polySize << 3;
  memory.fill(out, 0, polyBytes);
  addLimbProduct(plan, out, a, keyFourier, 0, 22);
  addLimbProduct(plan, out, a, keyFourier, 22, 21);
  addLimbProduct(plan, out, a, keyFourier, 43, 21);
  // The scratch now holds limb·S products, i.e. key-dependent values: wipe it (3 of its 4 N-word
  // regions are used here) so no secret outlives the call in the shared plan.
  memory.fill(changetype<FftPlan>(plan).scratch, 0, 3 * polyBytes);
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

