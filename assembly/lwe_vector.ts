// Vectors of LWE ciphertexts stored back to back ((d+1) u64 each, body last), and the leveled
// linear map an ML layer applies to them with cleartext integer weights:
//   out_r = Σ_c W[r][c] · in_c      (mod 2^64, component-wise on masks and bodies)
// so φ(out_r) = Σ_c W[r][c]·φ(in_c) and, for independent noises, Var(out_r) = Σ_c W[r][c]²·σ_c².

/** Rows processed together: each input word loaded once serves this many output rows. */
const ROW_BLOCK = 4;

/**
 * out (rows ciphertexts) = W · in (cols ciphertexts), W row-major i32 (rows × cols), every
 * ciphertext `words` u64 long. Zero weights are skipped, so sparse (pruned) rows cost less.
 */
export function lweMatrixProduct(out: usize, weights: usize, rows: i32, cols: i32, input: usize, words: i32): void {
  const ctBytes = <usize>words << 3;
  memory.fill(out, 0, <usize>rows * ctBytes);
  let r = 0;
  for (; r + ROW_BLOCK <= rows; r += ROW_BLOCK) {
    accumulateRowBlock(out + <usize>r * ctBytes, weights + ((<usize>r * <usize>cols) << 2), cols, input, words);
  }
  for (; r < rows; r++) {
    accumulateRow(out + <usize>r * ctBytes, weights + ((<usize>r * <usize>cols) << 2), cols, input, words);
  }
}

/** Four output rows at once: out_{0..3} += w_{0..3,c} · in_c for every column c. */
function accumulateRowBlock(out: usize, weights: usize, cols: i32, input: usize, words: i32): void {
  const ctBytes = <usize>words << 3;
  const rowStride = <usize>cols << 2;
  const out1 = out + ctBytes, out2 = out1 + ctBytes, out3 = out2 + ctBytes;
  const even = words & ~1;
  for (let c = 0; c < cols; c++) {
    const wOffset = <usize>c << 2;
    const w0 = load<i32>(weights + wOffset);
    const w1 = load<i32>(weights + rowStride + wOffset);
    const w2 = load<i32>(weights + 2 * rowStride + wOffset);
    const w3 = load<i32>(weights + 3 * rowStride + wOffset);
    if ((w0 | w1 | w2 | w3) == 0) continue;
    const x = input + <usize>c * ctBytes;
    const v0 = i64x2.splat(<i64>w0), v1 = i64x2.splat(<i64>w1), v2 = i64x2.splat(<i64>w2), v3 = i64x2.splat(<i64>w3);
    for (let i = 0; i < even; i += 2) {
      const o = <usize>i << 3;
      const a = v128.load(x + o);
      v128.store(out + o, i64x2.add(v128.load(out + o), i64x2.mul(a, v0)));
      v128.store(out1 + o, i64x2.add(v128.load(out1 + o), i64x2.mul(a, v1)));
      v128.store(out2 + o, i64x2.add(v128.load(out2 + o), i64x2.mul(a, v2)));
      v128.store(out3 + o, i64x2.add(v128.load(out3 + o), i64x2.mul(a, v3)));
    }
    if (even < words) {
      const o = <usize>even << 3;
      const a = load<u64>(x + o);
      store<u64>(out + o, load<u64>(out + o) + a * <u64>(<i64>w0));
      store<u64>(out1 + o, load<u64>(out1 + o) + a * <u64>(<i64>w1));
      store<u64>(out2 + o, load<u64>(out2 + o) + a * <u64>(<i64>w2));
      store<u64>(out3 + o, load<u64>(out3 + o) + a * <u64>(<i64>w3));
    }
  }
}

/** One output row: out += w_c · in_c (the clear version of the block above, for leftover rows). */
function accumulateRow(out: usize, weights: usize, cols: i32, input: usize, words: i32): void {
  const ctBytes = <usize>words << 3;
  for (let c = 0; c < cols; c++) {
    const w = <u64>(<i64>load<i32>(weights + (<usize>c << 2)));
    if (w == 0) continue;
    const x = input + <usize>c * ctBytes;
    for (let i = 0; i < words; i++) {
      const o = <usize>i << 3;
      store<u64>(out + o, load<u64>(out + o) + load<u64>(x + o) * w);
    }
  }
}

/** Adds plaintext j (already scaled) to the body of ciphertext j, for j < count. */
export function lweVectorAddPlaintexts(vector: usize, count: i32, words: i32, plaintexts: usize): void {
  const ctBytes = <usize>words << 3;
  const body = <usize>(words - 1) << 3;
  for (let j = 0; j < count; j++) {
    const at = vector + <usize>j * ctBytes + body;
    store<u64>(at, load<u64>(at) + load<u64>(plaintexts + (<usize>j << 3)));
  }
}
