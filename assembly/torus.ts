// The discretized torus T_q = Z/qZ with q = 2^64, represented by u64 with wrapping arithmetic.
// A torus value t stands for the real number t / 2^64 in [0, 1). Messages are encoded by a scale
// Δ (a plaintext m becomes m·Δ); everything below is exact integer arithmetic.

/**
 * Rounds t to the closest multiple of 2^(64 − keptBits) and returns that multiple divided by
 * 2^(64 − keptBits), i.e. the top `keptBits` bits of t after rounding (mod 2^keptBits).
 * Used by the gadget decomposition (keptBits = β·l).
 */
@inline export function roundToTopBits(t: u64, keptBits: u32): u64 {
  const dropped = 64 - keptBits;
  if (dropped == 0) return t;
  // Adding half of the dropped range before shifting rounds to nearest (ties up).
  const rounded = (t >> (dropped - 1)) + 1;
  const top = rounded >> 1;
  return keptBits == 64 ? top : top & ((<u64>1 << keptBits) - 1);
}

/**
 * Signed gadget decomposition with base B = 2^baseLog and `levels` levels:
 * t ≈ Σ_{j=1..l} d_j · q / B^j with every digit d_j ∈ [−B/2, B/2).
 * The input is first rounded to its top baseLog·levels bits (the closest representable value),
 * so the error |t − Σ d_j q/B^j| ≤ q / (2·B^l) on the integer scale.
 *
 * Digits are peeled from the least significant level: a raw digit r ≥ B/2 becomes r − B and
 * carries 1 into the next level (the carry is the top bit of r: r >> (β − 1)). The carry out of
 * the top level is dropped: it is a multiple of q. For uniform inputs each digit is uniform on
 * [−B/2, B/2): E[d] = −1/2, E[d²] = B²/12 + 1/6 — the second moment the noise model uses.
 *
 * Writes the digit of level j (j = 1 most significant) to out[(j − 1)·stride] as i64.
 */
@inline export function decomposeInto(t: u64, baseLog: u32, levels: u32, out: usize, strideBytes: usize): void {
  const mask: u64 = (<u64>1 << baseLog) - 1;
  let rest = roundToTopBits(t, baseLog * levels);
  for (let j = <i32>levels - 1; j >= 0; j--) {
    const raw = rest & mask;
    rest >>= baseLog;
    const carry = raw >> (baseLog - 1);
    rest += carry;
    store<i64>(out + <usize>j * strideBytes, <i64>raw - <i64>(carry << baseLog));
  }
}

/**
 * The same digits without carries ("offset form"). Balanced digits in [−B/2, B/2) are unique, so
 * those of r (the rounded top β·l bits of t) are the ordinary base-B digits of r + Σ_j (B/2)·B^(l−j)
 * (every digit shifted up by B/2, none overflowing), each minus B/2. On the 64-bit scale both the
 * rounding half 2^(63 − β·l) and the shifts go into one constant C:
 *     d_j = ((t + C) mod 2^64 >> (64 − β·j)) mod B  −  B/2,
 *     C   = 2^(63 − β·l) + Σ_{j=1..l} 2^(63 − β·(j − 1))      (no rounding term when β·l = 64),
 * the wrap-around of t + C dropping the same multiple of q as the carry rule. One add, one shift
 * and one mask per digit; tested against decomposeInto.
 */
export function decompositionOffset(baseLog: u32, levels: u32): u64 {
  const kept = baseLog * levels;
  let offset: u64 = kept == 64 ? 0 : <u64>1 << (63 - kept);
  for (let j: u32 = 1; j <= levels; j++) offset += <u64>1 << (63 - baseLog * (j - 1));
  return offset;
}

/**
 * Decomposes every coefficient of an N-coefficient torus polynomial (N even). Output is
 * level-major: digits of level j form the polynomial out[(j − 1)·N .. j·N) (i64), ready for the
 * FFT. The offset form (decompositionOffset), two coefficients per v128 (tested against the
 * carry rule of decomposeInto).
 */
export function decomposePolynomial(poly: usize, polySize: i32, baseLog: u32, levels: u32, out: usize): void {
  const levelBytes = <usize>polySize << 3;
  const offset = i64x2.splat(decompositionOffset(baseLog, levels));
  const mask = i64x2.splat((<i64>1 << baseLog) - 1);
  const half = i64x2.splat(<i64>1 << (baseLog - 1));
  for (let j: u32 = 1; j <= levels; j++) {
    const shift = 64 - baseLog * j;
    const level = out + <usize>(j - 1) * levelBytes;
    for (let o: usize = 0; o < levelBytes; o += 16) {
      const shifted = i64x2.shr_u(i64x2.add(v128.load(poly + o), offset), shift);
      v128.store(level + o, i64x2.sub(v128.and(shifted, mask), half));
    }
  }
}

/** The clear scalar version of decomposePolynomial (reference for tests). */
export function decomposePolynomialScalar(poly: usize, polySize: i32, baseLog: u32, levels: u32, out: usize): void {
  const levelStride = <usize>polySize << 3;
  for (let c = 0; c < polySize; c++) {
    decomposeInto(load<u64>(poly + (<usize>c << 3)), baseLog, levels, out + (<usize>c << 3), levelStride);
  }
}

/** Recomposes Σ_j d_j · q/B^j (the inverse of the decomposition, for tests). */
export function recompose(digits: usize, baseLog: u32, levels: u32, strideBytes: usize): u64 {
  let t: u64 = 0;
  for (let j: u32 = 0; j < levels; j++) {
    const weight: u64 = <u64>1 << (64 - baseLog * (j + 1));
    t += <u64>load<i64>(digits + <usize>j * strideBytes) * weight;
  }
  return t;
}
