// The negacyclic FFT (assembly/fft.ts) against its references (assembly/fft_reference.ts) and
// against exact BigInt arithmetic.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { wasm, TWO64, u64, i64, f64, makeRandom } from "./wasm-helpers.js";

/** A polynomial in wasm memory: values (BigInt) stored as u64. */
function polyFrom(values) {
  const ptr = wasm.alloc(values.length * 8);
  u64(ptr, values.length).set(values.map((v) => BigInt.asUintN(64, v)));
  return ptr;
}
const randomTorus = (random, n) => Array.from({ length: n }, () => random());
/** Uniform signed integers in [−bound, bound]. */
const randomSmall = (random, n, bound) => Array.from({ length: n }, () => (random() % (2n * bound + 1n)) - bound);
const randomBinary = (random, n) => Array.from({ length: n }, () => random() & 1n);

/** Centered representative of x mod 2^64. */
const centered = (x) => BigInt.asIntN(64, x);

/** Round-half-to-even of a double, as a BigInt (the semantics of f64ToTorusWrapping). */
function roundTiesEven(x) {
  if (Number.isInteger(x)) return BigInt(x);
  const floor = Math.floor(x);
  const fraction = x - floor; // exact for |x| < 2^52
  if (fraction < 0.5) return BigInt(floor);
  if (fraction > 0.5) return BigInt(floor) + 1n;
  return BigInt(floor) % 2n === 0n ? BigInt(floor) : BigInt(floor) + 1n;
}

test("f64ToTorusWrapping: hand-checked values", () => {
  const cases = [
    [0, 0n],
    [-0, 0n],
    [0.5, 0n], // ties to even
    [-0.5, 0n],
    [1.5, 2n],
    [2.5, 2n],
    [-2.5, TWO64 - 2n],
    [0.49999999999999994, 0n],
    [1, 1n],
    [-1, TWO64 - 1n],
    [4503599627370495.5, 4503599627370496n], // 2^52 − 0.5 → even neighbour 2^52
    [2 ** 63, 1n << 63n],
    [-(2 ** 63), 1n << 63n],
    [3 * 2 ** 62, 3n << 62n],
    [2 ** 64, 0n],
    [2 ** 64 + 3, 0n], // 2^64 + 3 is not a double: the literal is 2^64
    [2 ** 64 + 3 * 4096, 12288n], // ulp(2^64) = 2^12
    [-(2 ** 64 + 3 * 4096), TWO64 - 12288n],
    [2 ** 80 + 2 ** 30, 1n << 30n],
    [-(2 ** 80 + 2 ** 30), TWO64 - (1n << 30n)],
    [2 ** 100 + 2 ** 60, 1n << 60n],
    [2 ** 200, 0n],
    [123456789.25, 123456789n],
    [-123456789.75, TWO64 - 123456790n],
  ];
  for (const [x, expected] of cases) {
    assert.is(BigInt.asUintN(64, wasm.f64ToTorusWrapping(x)), expected, `f64ToTorusWrapping(${x})`);
  }
});

test("f64ToTorusWrapping: scalar, lane-wise (f64x2) and BigInt agree on random magnitudes", () => {
  const random = makeRandom(1);
  const count = 4096;
  const values = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const magnitude = Number(random() % 300n) - 4; // 2^-4 .. 2^295
    const mantissa = Number(random() >> 11n) / 2 ** 53; // [0, 1)
    let x = (1 + mantissa) * 2 ** magnitude;
    if (i % 7 === 0) x = Math.round(x) + 0.5; // exact halves where representable
    values[i] = random() & 1n ? -x : x;
  }
  const inPtr = wasm.alloc(count * 8);
  const outPtr = wasm.alloc(count * 8);
  f64(inPtr, count).set(values);
  wasm.f64PairsToTorusWrapping(outPtr, inPtr, count);
  const lanes = u64(outPtr, count);
  for (let i = 0; i < count; i++) {
    const exact = BigInt.asUintN(64, roundTiesEven(values[i]));
    assert.is(BigInt.asUintN(64, wasm.f64ToTorusWrapping(values[i])), exact, `scalar ${values[i]}`);
    assert.is(lanes[i], exact, `lanes ${values[i]}`);
  }
  wasm.dealloc(inPtr);
  wasm.dealloc(outPtr);
});

test("torus i64 → f64 conversion is correctly rounded (transform of a constant polynomial)", () => {
  // For a = v (constant polynomial), z_0 = v and every other z_j = 0, so every X_k equals f64(v)
  // exactly: the twiddles of z_0 are all 1 and the other terms are exact zeros.
  const n = 16;
  const plan = wasm.fftPlan(n);
  const fourier = wasm.alloc(8 * n);
  for (const v of [-(1n << 63n), (1n << 63n) - 1n, (1n << 53n) + 1n, -((1n << 53n) + 3n), (1n << 62n) + 1025n, -5n, 0n]) {
    const values = new Array(n).fill(0n);
    values[0] = v;
    const poly = polyFrom(values);
    wasm.fftForwardTorus(plan, fourier, poly);
    const re = f64(fourier, n / 2), im = f64(fourier + 4 * n, n / 2);
    for (let k = 0; k < n / 2; k++) {
      assert.is(re[k], Number(v), `Re X_${k} for ${v}`); // Number(BigInt) rounds to nearest, ties to even
      assert.is(im[k] + 0, 0);
    }
    wasm.dealloc(poly);
  }
  wasm.dealloc(fourier);
});

test("fast forward transform equals the scalar radix-2 reference (1e-9 relative)", () => {
  const random = makeRandom(2);
  for (const n of [16, 32, 64, 128, 512, 1024, 2048, 8192]) {
    const plan = wasm.fftPlan(n);
    for (const [name, values, forward] of [
      ["torus", randomTorus(random, n), wasm.fftForwardTorus],
      ["digits", randomSmall(random, n, 1n << 22n), wasm.fftForwardI64],
    ]) {
      const poly = polyFrom(values);
      const fast = wasm.alloc(8 * n);
      const reference = wasm.alloc(8 * n);
      forward(plan, fast, poly);
      wasm.fftReferenceForward(n, reference, poly);
      const a = f64(fast, n), b = f64(reference, n);
      let scale = 0, maxDiff = 0;
      for (let i = 0; i < n; i++) {
        scale = Math.max(scale, Math.abs(b[i]));
        maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
      }
      assert.ok(maxDiff <= 1e-9 * scale, `N=${n} ${name}: ${maxDiff} vs scale ${scale}`);
      for (const p of [poly, fast, reference]) wasm.dealloc(p);
    }
  }
});

test("backward(forward(a)) = a exactly for small integers; fast backward equals the reference", () => {
  const random = makeRandom(3);
  for (const n of [16, 32, 64, 512, 1024, 2048, 8192]) {
    const plan = wasm.fftPlan(n);
    const values = randomSmall(random, n, 1n << 40n);
    const poly = polyFrom(values);
    const fourier = wasm.alloc(8 * n);
    const copy = wasm.alloc(8 * n);
    const out = wasm.alloc(8 * n);
    const referenceOut = wasm.alloc(8 * n);
    wasm.fftForwardI64(plan, fourier, poly);
    f64(copy, n).set(f64(fourier, n));
    wasm.fftReferenceBackward(n, referenceOut, copy);
    wasm.fftBackwardRoundI64(plan, out, fourier);
    const got = i64(out, n), ref = f64(referenceOut, n);
    for (let i = 0; i < n; i++) {
      assert.is(got[i], values[i], `N=${n} round trip, coefficient ${i}`);
      assert.ok(Math.abs(ref[i] - Number(values[i])) < 0.25, `N=${n} reference backward, coefficient ${i}`);
    }
    // Accumulating variant: poly + backward(forward(poly)) = 2·poly (mod 2^64).
    wasm.fftForwardI64(plan, fourier, poly);
    wasm.fftBackwardAddTorus(plan, poly, fourier);
    const doubled = i64(poly, n);
    for (let i = 0; i < n; i++) assert.is(doubled[i], 2n * values[i], `N=${n} backward add, coefficient ${i}`);
    for (const p of [poly, fourier, copy, out, referenceOut]) wasm.dealloc(p);
  }
});

/**
 * Torus × digits error bound. a uniform on the torus (|a_j| ≤ 2^63), digits b uniform in
 * [−2^22, 2^22]: each product coefficient is a sum of N terms, of standard deviation
 * 2^63·2^22·√N / 3. The f64 FFT computes it with a relative error of order ε = 2^-53 (input
 * rounding plus one rounding per level, adding up like a random walk: a factor ≈ √(log2 N)/3·c),
 * so the error's standard deviation is σ ≈ 2^(log2(2^63·2^22·√N) − 53) — measured: 2^(that + 0.6).
 * The largest of N Gaussian errors is ≈ √(2 ln N)·σ ≤ 5σ, so we assert
 *     max |error| < 2^(log2(2^63·2^22·√N) − 53 + 4) = 2^(36 + log2(N)/2),
 * i.e. 2^38, 2^40.5, 2^41.5, 2^42.5 for N = 16, 512, 2048, 8192 (measured maxima: 2^34.7, 2^39.1,
 * 2^40.3, 2^41.4 — the error is intrinsic to 53-bit products of 85-bit magnitudes).
 */
function maxProductError(n, seed) {
  const random = makeRandom(seed);
  const plan = wasm.fftPlan(n);
  const a = polyFrom(randomTorus(random, n));
  const b = polyFrom(randomSmall(random, n, 1n << 22n));
  const fast = wasm.alloc(8 * n);
  const exact = wasm.alloc(8 * n);
  wasm.negacyclicMulFft(plan, fast, a, b);
  wasm.negacyclicMulSchoolbook(exact, a, b, n);
  const got = u64(fast, n), want = u64(exact, n);
  let maxError = 0n;
  for (let i = 0; i < n; i++) {
    let e = centered(got[i] - want[i]);
    if (e < 0n) e = -e;
    if (e > maxError) maxError = e;
  }
  for (const p of [a, b, fast, exact]) wasm.dealloc(p);
  return maxError;
}

test("negacyclicMulFft(torus, digits ≤ 2^22) = schoolbook up to the FFT error bound", () => {
  for (const n of [16, 512, 2048, 8192]) {
    const logBound = 36 + Math.log2(n) / 2;
    const error = maxProductError(n, 100 + n);
    const log2 = error === 0n ? -Infinity : Math.log2(Number(error));
    if (process.env.FFT_VERBOSE) console.log(`N=${n}: max |error| = 2^${log2.toFixed(2)}`);
    assert.ok(Number(error) < 2 ** logBound, `N=${n}: max error 2^${log2.toFixed(2)} ≥ 2^${logBound}`);
  }
});

test("fftBackwardAddTorusCoarse = fftBackwardAddTorus when |x| ≥ 2^64, within 2^11 below", () => {
  const random = makeRandom(5);
  for (const n of [16, 512, 2048]) {
    const plan = wasm.fftPlan(n);
    // External-product-like values (torus × digits, |x| ≫ 2^64), then small ones (|x| < 2^41).
    for (const small of [false, true]) {
      const a = polyFrom(small ? randomSmall(random, n, 1n << 40n) : randomTorus(random, n));
      const b = polyFrom(small ? [1n, ...Array(n - 1).fill(0n)] : randomSmall(random, n, 1n << 22n));
      const fa = wasm.alloc(8 * n), fb = wasm.alloc(8 * n), copy = wasm.alloc(8 * n);
      if (small) wasm.fftForwardI64(plan, fa, a); else wasm.fftForwardTorus(plan, fa, a);
      wasm.fftForwardI64(plan, fb, b);
      wasm.fourierMul(fa, fa, fb, n);
      f64(copy, n).set(f64(fa, n));
      const start = randomTorus(random, n);
      const exact = polyFrom(start), coarse = polyFrom(start);
      wasm.fftBackwardAddTorus(plan, exact, fa);
      wasm.fftBackwardAddTorusCoarse(plan, coarse, copy);
      const e = u64(exact, n), c = u64(coarse, n);
      let differing = 0;
      for (let i = 0; i < n; i++) {
        const d = centered(c[i] - e[i]);
        if (d !== 0n) differing++;
        assert.ok(d <= 2048n && d >= -2048n, `N=${n} small=${small} coefficient ${i}: ${d}`);
        if (small) assert.is(BigInt.asUintN(64, c[i] - BigInt.asUintN(64, start[i])) % 4096n, 0n, `N=${n}: multiple of 2^12`);
      }
      if (!small) assert.ok(differing <= n / 100, `N=${n}: ${differing} coefficients differ`);
      for (const p of [a, b, fa, fb, copy, exact, coarse]) wasm.dealloc(p);
    }
  }
});

test("negacyclicMulExactBinary = negacyclicMulSchoolbook bit for bit", () => {
  const random = makeRandom(4);
  for (const n of [16, 512, 1024, 2048, 8192]) {
    const plan = wasm.fftPlan(n);
    const a = polyFrom(randomTorus(random, n));
    const s = polyFrom(randomBinary(random, n));
    const keyFourier = wasm.alloc(8 * n);
    wasm.fftForwardI64(plan, keyFourier, s);
    const fast = wasm.alloc(8 * n);
    const exact = wasm.alloc(8 * n);
    wasm.negacyclicMulExactBinary(plan, fast, a, keyFourier);
    wasm.negacyclicMulSchoolbook(exact, a, s, n);
    const got = u64(fast, n), want = u64(exact, n);
    for (let i = 0; i < n; i++) assert.is(got[i], want[i], `N=${n}, coefficient ${i}`);
    // Extreme input: all coefficients 2^64 − 1 and an all-ones key (largest limb products).
    u64(a, n).fill(TWO64 - 1n);
    u64(s, n).fill(1n);
    wasm.fftForwardI64(plan, keyFourier, s);
    wasm.negacyclicMulExactBinary(plan, fast, a, keyFourier);
    wasm.negacyclicMulSchoolbook(exact, a, s, n);
    const got2 = u64(fast, n), want2 = u64(exact, n);
    for (let i = 0; i < n; i++) assert.is(got2[i], want2[i], `N=${n} all ones, coefficient ${i}`);
    for (const p of [a, s, keyFourier, fast, exact]) wasm.dealloc(p);
  }
});

test("fourierMulAdd accumulates the pointwise product; fftPlan is cached", () => {
  const n = 64;
  const a = wasm.alloc(8 * n), b = wasm.alloc(8 * n), acc = wasm.alloc(8 * n);
  const fa = f64(a, n), fb = f64(b, n), facc = f64(acc, n);
  for (let i = 0; i < n; i++) {
    fa[i] = i + 1;
    fb[i] = 2 * i - 3;
    facc[i] = 0.5 * i;
  }
  wasm.fourierMulAdd(acc, a, b, n);
  const m = n / 2;
  const r = f64(acc, n), x = f64(a, n), y = f64(b, n);
  for (let k = 0; k < m; k++) {
    const re = 0.5 * k + x[k] * y[k] - x[k + m] * y[k + m];
    const im = 0.5 * (k + m) + x[k] * y[k + m] + x[k + m] * y[k];
    assert.is(r[k], re);
    assert.is(r[k + m], im);
  }
  assert.is(wasm.fftPlan(2048), wasm.fftPlan(2048));
  for (const p of [a, b, acc]) wasm.dealloc(p);
});

test.run();
