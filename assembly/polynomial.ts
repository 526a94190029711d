// Polynomials of Z_q[X]/(X^N + 1), q = 2^64: N u64 coefficients, wrapping arithmetic.
// X^N = −1, so multiplying by the monomial X^e (0 ≤ e < 2N) is a rotation with sign flips.

/** dst += src, coefficient-wise (mod q). */
export function polyAddAssign(dst: usize, src: usize, polySize: i32): void {
  for (let i = 0; i < polySize; i += 2) {
    const o = <usize>i << 3;
    v128.store(dst + o, i64x2.add(v128.load(dst + o), v128.load(src + o)));
  }
}

/** dst −= src, coefficient-wise (mod q). */
export function polySubAssign(dst: usize, src: usize, polySize: i32): void {
  for (let i = 0; i < polySize; i += 2) {
    const o = <usize>i << 3;
    v128.store(dst + o, i64x2.sub(v128.load(dst + o), v128.load(src + o)));
  }
}

/**
 * Multiplication by the monomial X^e, 0 ≤ e < 2N. With e' = e mod N and σ = (−1)^[e ≥ N],
 * coefficient i of X^e·in is σ·in[i − e'] for i ≥ e', and −σ·in[i − e' + N] for i < e' (the
 * part that wrapped past X^N = −1). Signs are applied as masks: (v ⊕ m) − m is v for m = 0
 * and −v for m = all ones.
 */
@inline function rotateRange(out: usize, input: usize, count: i32, signMask: u64, subtractInput: usize): void {
  // out[j] = ±input[j] (− subtractInput[j] when subtractInput ≠ 0), for j < count; two lanes at
  // a time (unaligned loads: the ranges start wherever the rotation puts them).
  const sign = i64x2.splat(signMask);
  let j = 0;
  if (subtractInput != 0) {
    for (; j + 1 < count; j += 2) {
      const o = <usize>j << 3;
      const v = i64x2.sub(v128.xor(v128.load(input + o), sign), sign);
      v128.store(out + o, i64x2.sub(v, v128.load(subtractInput + o)));
    }
  } else {
    for (; j + 1 < count; j += 2) {
      const o = <usize>j << 3;
      v128.store(out + o, i64x2.sub(v128.xor(v128.load(input + o), sign), sign));
    }
  }
  for (; j < count; j++) {
    const o = <usize>j << 3;
    let v = (load<u64>(input + o) ^ signMask) - signMask;
    if (subtractInput != 0) v -= load<u64>(subtractInput + o);
    store<u64>(out + o, v);
  }
}

function monomialMul(out: usize, input: usize, polySize: i32, e: i32, subtractInput: bool): void {
  const highHalf = e >= polySize;
  const shift = highHalf ? e - polySize : e;
  const keptSign: u64 = highHalf ? ~<u64>0 : 0;
  const wrappedSign: u64 = ~keptSign;
  const tail = <usize>(polySize - shift) << 3; // in[N − e' ..) lands at out[0 .. e')
  const head = <usize>shift << 3;
  rotateRange(out, input + tail, shift, wrappedSign, subtractInput ? input : 0);
  rotateRange(out + head, input, polySize - shift, keptSign, subtractInput ? input + head : 0);
}

/** out = X^e · in for 0 ≤ e < 2N (out and in must not overlap). */
export function polyMonomialMul(out: usize, input: usize, polySize: i32, e: i32): void {
  monomialMul(out, input, polySize, e, false);
}

/** out = X^e · in − in for 0 ≤ e < 2N (out and in must not overlap): the CMux difference. */
export function polyMonomialMulMinusOne(out: usize, input: usize, polySize: i32, e: i32): void {
  monomialMul(out, input, polySize, e, true);
}
