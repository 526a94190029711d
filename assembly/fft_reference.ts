// The plain versions of fft.ts, kept beside the fast one as its specification: a scalar,
// textbook radix-2 transform computed step by step from the definition, and the O(N²) schoolbook
// negacyclic product. Not used on any hot path; the tests check fft.ts against them.
//
// Same math as fft.ts (Klemsa, eprint 2021/480; tfhe-rs fft64): M = N/2, w = exp(iπ/N),
// ω = exp(-2πi/M), z_j = (a_j + i·a_{j+M})·w^j, X_k = Σ_j z_j ω^{jk} = a(w·ω^k).

/**
 * Float index (within the M real parts, or within the M imaginary parts) where the transform
 * stores X_k: fourierSlot(2k' + ℓ) = 2·bitrev_{M/2}(k') + ℓ. See the layout notes in fft.ts.
 */
export function fourierSlot(k: i32, polySize: i32): i32 {
  const halfBits = 29 - clz(polySize); // log2(M/2) = log2(N) − 2
  const kHalf = k >> 1;
  const reversed = halfBits == 0 ? 0 : <i32>(reverseBits32(<u32>kHalf) >> (32 - halfBits));
  return (reversed << 1) | (k & 1);
}

function reverseBits32(x: u32): u32 {
  let r: u32 = 0;
  for (let b = 0; b < 32; b++) r |= ((x >> b) & 1) << (31 - b);
  return r;
}

/**
 * In-place M-point DFT of (re, im), natural order in and out: X_k = Σ_j x_j·exp(sign·2πi·jk/M).
 * Iterative radix-2 decimation in time: bit-reversal permutation, then log2 M levels of
 * butterflies (u, v) → (u + ω^j v, u − ω^j v) on blocks of size `len`, ω = exp(sign·2πi/len).
 */
function dftRadix2(re: usize, im: usize, m: i32, sign: f64): void {
  const bits = 31 - clz(m);
  for (let j = 0; j < m; j++) {
    const r = <i32>(reverseBits32(<u32>j) >> (32 - bits));
    if (r > j) {
      const tr = load<f64>(re + (<usize>j << 3)), ti = load<f64>(im + (<usize>j << 3));
      store<f64>(re + (<usize>j << 3), load<f64>(re + (<usize>r << 3)));
      store<f64>(im + (<usize>j << 3), load<f64>(im + (<usize>r << 3)));
      store<f64>(re + (<usize>r << 3), tr);
      store<f64>(im + (<usize>r << 3), ti);
    }
  }
  for (let len = 2; len <= m; len <<= 1) {
    const half = len >> 1;
    for (let j = 0; j < half; j++) {
      const angle = (sign * 2.0 * Math.PI * <f64>j) / <f64>len;
      const wr = Math.cos(angle), wi = Math.sin(angle);
      for (let start = 0; start < m; start += len) {
        const pu = <usize>(start + j) << 3, pv = <usize>(start + j + half) << 3;
        const vr = load<f64>(re + pv), vi = load<f64>(im + pv);
        const tr = vr * wr - vi * wi, ti = vr * wi + vi * wr;
        const ur = load<f64>(re + pu), ui = load<f64>(im + pu);
        store<f64>(re + pu, ur + tr);
        store<f64>(im + pu, ui + ti);
        store<f64>(re + pv, ur - tr);
        store<f64>(im + pv, ui - ti);
      }
    }
  }
}

/**
 * Reference forward transform. poly: N coefficients, read as signed i64 (torus or integers).
 * fourier: 8N bytes, same layout and slot order as fftForwardTorus.
 */
export function fftReferenceForward(polySize: i32, fourier: usize, poly: usize): void {
  const m = polySize >> 1;
  const re = heap.alloc(<usize>m << 3), im = heap.alloc(<usize>m << 3);
  for (let j = 0; j < m; j++) {
    const aLow = <f64>load<i64>(poly + (<usize>j << 3));
    const aHigh = <f64>load<i64>(poly + (<usize>(j + m) << 3));
    const angle = (Math.PI * <f64>j) / <f64>polySize; // w^j
    const c = Math.cos(angle), s = Math.sin(angle);
    store<f64>(re + (<usize>j << 3), aLow * c - aHigh * s);
    store<f64>(im + (<usize>j << 3), aLow * s + aHigh * c);
  }
  dftRadix2(re, im, m, -1.0);
  for (let k = 0; k < m; k++) {
    const slot = <usize>fourierSlot(k, polySize) << 3;
    store<f64>(fourier + slot, load<f64>(re + (<usize>k << 3)));
    store<f64>(fourier + (<usize>m << 3) + slot, load<f64>(im + (<usize>k << 3)));
  }
  heap.free(re);
  heap.free(im);
}

/**
 * Reference backward transform, unrounded: out[j] (N f64) = coefficient j of the polynomial whose
 * transform is `fourier`: inverse DFT, times conj(w^j)/M, real part → j, imaginary part → j + M.
 */
export function fftReferenceBackward(polySize: i32, out: usize, fourier: usize): void {
  const m = polySize >> 1;
  const re = heap.alloc(<usize>m << 3), im = heap.alloc(<usize>m << 3);
  for (let k = 0; k < m; k++) {
    const slot = <usize>fourierSlot(k, polySize) << 3;
    store<f64>(re + (<usize>k << 3), load<f64>(fourier + slot));
    store<f64>(im + (<usize>k << 3), load<f64>(fourier + (<usize>m << 3) + slot));
  }
  dftRadix2(re, im, m, 1.0);
  for (let j = 0; j < m; j++) {
    const angle = (Math.PI * <f64>j) / <f64>polySize;
    const c = Math.cos(angle) / <f64>m, s = -Math.sin(angle) / <f64>m; // conj(w^j)/M
    const zr = load<f64>(re + (<usize>j << 3)), zi = load<f64>(im + (<usize>j << 3));
    store<f64>(out + (<usize>j << 3), zr * c - zi * s);
    store<f64>(out + (<usize>(j + m) << 3), zr * s + zi * c);
  }
  heap.free(re);
  heap.free(im);
}

/**
 * out = a · b mod (X^N + 1, 2^64), the O(N²) schoolbook product with wrapping u64 arithmetic:
 * X^i · X^j = X^(i+j) if i + j < N, and −X^(i+j−N) otherwise. out must not alias a or b.
 */
export function negacyclicMulSchoolbook(out: usize, a: usize, b: usize, polySize: i32): void {
  const n = <usize>polySize;
  memory.fill(out, 0, n << 3);
  for (let i: usize = 0; i < n; i++) {
    const ai = load<u64>(a + (i << 3));
    for (let j: usize = 0; j < n - i; j++) { // i + j < N: + X^(i+j)
      const k = (i + j) << 3;
      store<u64>(out + k, load<u64>(out + k) + ai * load<u64>(b + (j << 3)));
    }
    for (let j = n - i; j < n; j++) { // i + j ≥ N: − X^(i+j−N)
      const k = (i + j - n) << 3;
      store<u64>(out + k, load<u64>(out + k) - ai * load<u64>(b + (j << 3)));
    }
  }
}
