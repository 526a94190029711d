// The gadget decomposition (assembly/torus.ts) and its fused uses: the SIMD offset-form
// decomposePolynomial against the scalar carry rule (decomposeInto, through
// decomposePolynomialScalar) and against a BigInt model; fftForwardDigits (decomposition inside
// the FFT's first pass) against decomposition followed by fftForwardI64, bit for bit.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { wasm, TWO64, u64, i64, f64, makeRandom } from "./wasm-helpers.js";

/** (baseLog, levels) pairs: the PBS ones (23·1, 15·2), keyswitch-like ones, and β·l = 64. */
const DECOMPOSITIONS = [[23, 1], [15, 2], [4, 4], [3, 5], [1, 10], [22, 2], [8, 8], [16, 4], [32, 2], [51, 1]];

/**
 * Torus values that stress the rounding and the carries: random ones, and values at or next to
 * the rounding boundary t = (m + 1/2)·2^(64 − β·l) for a few m (0, 1, B/2 − 1, B/2, top).
 */
function testValues(random, baseLog, levels, count) {
  const kept = BigInt(baseLog * levels);
  const dropped = 64n - kept;
  const values = [0n, 1n, TWO64 - 1n, 1n << 63n, (1n << 63n) - 1n];
  if (dropped > 0n) {
    const half = 1n << (dropped - 1n);
    for (const m of [0n, 1n, (1n << BigInt(baseLog - 1)) - 1n, 1n << BigInt(baseLog - 1), (1n << kept) - 1n]) {
      const boundary = BigInt.asUintN(64, (m << dropped) + half);
      values.push(boundary, BigInt.asUintN(64, boundary - 1n), BigInt.asUintN(64, boundary + 1n));
    }
  }
  while (values.length < count) values.push(random());
  return values.slice(0, count);
}

/** The specification in BigInt: round to the top β·l bits, then balanced digits by carries. */
function decomposeModel(t, baseLog, levels) {
  const B = 1n << BigInt(baseLog);
  const kept = BigInt(baseLog * levels);
  const dropped = 64n - kept;
  let rest = dropped === 0n ? t : ((t + (1n << (dropped - 1n))) >> dropped) % (1n << kept);
  const digits = new Array(levels);
  for (let j = levels - 1; j >= 0; j--) {
    let d = rest % B;
    rest /= B;
    if (d >= B / 2n) { d -= B; rest += 1n; }
    digits[j] = d;
  }
  return digits;
}

test("decomposePolynomial (SIMD, offset form) = decomposePolynomialScalar (carry rule) = BigInt model", () => {
  const random = makeRandom(0xdec0);
  const n = 64;
  for (const [baseLog, levels] of DECOMPOSITIONS) {
    const values = testValues(random, baseLog, levels, n);
    const poly = wasm.alloc(8 * n), fast = wasm.alloc(8 * n * levels), slow = wasm.alloc(8 * n * levels);
    u64(poly, n).set(values);
    wasm.decomposePolynomial(poly, n, baseLog, levels, fast);
    wasm.decomposePolynomialScalar(poly, n, baseLog, levels, slow);
    const f = i64(fast, n * levels), s = i64(slow, n * levels);
    for (let c = 0; c < n; c++) {
      const expected = decomposeModel(values[c], baseLog, levels);
      for (let j = 0; j < levels; j++) {
        const where = `β=${baseLog} l=${levels} t=${values[c]} level ${j + 1}`;
        assert.is(s[j * n + c], expected[j], `scalar ${where}`);
        assert.is(f[j * n + c], expected[j], `SIMD ${where}`);
      }
    }
    for (const p of [poly, fast, slow]) wasm.dealloc(p);
  }
});

test("fftForwardDigits = decomposition then fftForwardI64, bit for bit", () => {
  const random = makeRandom(0xf0f0);
  for (const n of [16, 64, 2048]) {
    const plan = wasm.fftPlan(n);
    for (const [baseLog, levels] of DECOMPOSITIONS) {
      const poly = wasm.alloc(8 * n), digits = wasm.alloc(8 * n * levels);
      const fused = wasm.alloc(8 * n), unfused = wasm.alloc(8 * n);
      u64(poly, n).set(testValues(random, baseLog, levels, n));
      wasm.decomposePolynomialScalar(poly, n, baseLog, levels, digits);
      for (let j = 1; j <= levels; j++) {
        wasm.fftForwardDigits(plan, fused, poly, baseLog, levels, j);
        wasm.fftForwardI64(plan, unfused, digits + 8 * n * (j - 1));
        const a = f64(fused, n), b = f64(unfused, n);
        for (let i = 0; i < n; i++) {
          if (!Object.is(a[i], b[i])) assert.unreachable(`N=${n} β=${baseLog} l=${levels} level ${j}: float ${i}: ${a[i]} vs ${b[i]}`);
        }
      }
      for (const p of [poly, digits, fused, unfused]) wasm.dealloc(p);
    }
  }
});

test.run();
