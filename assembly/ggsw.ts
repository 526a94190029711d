// GGSW ciphertexts and the external product (Chillotti et al. 2020, §3.3).
// With gadget g_j = q / B^j (B = 2^β, j = 1..l), a GGSW encryption of a small integer μ is the
// (k+1)·l GLWE ciphertexts, row r = (j − 1)·(k+1) + i for i = 0..k:
//   row(i, j) = GLWE_S( −μ·g_j·S_i )   for i < k,
//   row(k, j) = GLWE_S(  μ·g_j )        (a constant polynomial).
// (Equivalent to adding μ·g_j to the i-th mask polynomial of a GLWE encryption of 0, but written
// as plaintexts so the masks can come from a public seed: the compressed key stores bodies only.)
//
// External product ⊡: decompose each component C_i of a GLWE ciphertext C into digit
// polynomials D_{i,j} with C_i ≈ Σ_j D_{i,j}·g_j; then Σ_{i,j} D_{i,j}·row(i, j) is a GLWE
// encryption of μ·phase(C) + (decomposition error)·μ + Σ D·E. Products run in the Fourier
// domain (fft.ts), where the GGSW is stored once: (k+1)·l rows × (k+1) transforms of N f64.
//
// Where a Fourier GGSW's transforms live is given by two strides: transform (row r, column c)
// starts at ggsw + (r·(k+1) + c)·polyStride, its M real parts there and its M imaginary parts at
// + imStride. A lone GGSW stored contiguously has polyStride = 8N and imStride = 4N bytes; the
// bootstrapping key interleaves its n GGSWs with larger strides (bootstrap.ts).

import { fftForwardTorus, fftForwardDigits } from "./fft";

/** g_j = q / B^j = 2^(64 − β·j). */
@inline export function gadgetValue(baseLog: u32, level: u32): u64 {
  return <u64>1 << (64 - baseLog * level);
}

/**
 * The plaintext of GGSW row (i, j) for the message μ: −μ·g_j·S_i for i < k (S_i binary, so
 * each coefficient is 0 or −μ·g_j), μ·g_j as a constant polynomial for i = k.
 */
export function ggswRowPlaintext(
  out: usize, mu: i64, glweKey: usize, glweDimension: i32, polySize: i32, i: i32, baseLog: u32, level: u32,
): void {
  const scaled = <u64>mu * gadgetValue(baseLog, level);
  const polyBytes = <usize>polySize << 3;
  if (i == glweDimension) {
    memory.fill(out, 0, polyBytes);
    store<u64>(out, scaled);
    return;
  }
  const keyPoly = glweKey + <usize>i * polyBytes;
  const negScaled = <u64>0 - scaled;
  for (let c = 0; c < polySize; c++) {
    const o = <usize>c << 3;
    store<u64>(out + o, negScaled & (<u64>0 - load<u64>(keyPoly + o)));
  }
}

/** Transforms one GLWE ciphertext ((k+1) polynomials) to the Fourier domain. */
export function glweToFourier(fourier: usize, glwe: usize, glweDimension: i32, polySize: i32, plan: usize): void {
  const polyBytes = <usize>polySize << 3; // N u64 and N f64 have the same size
  for (let c = 0; c <= glweDimension; c++) {
    fftForwardTorus(plan, fourier + <usize>c * polyBytes, glwe + <usize>c * polyBytes);
  }
}

/**
 * Σ_r inputs[r] ⊙ rows[r][c] for every output component c (complex pointwise, split layout),
 * written (not accumulated) to outFourier[c]. One pass per output, the sum kept in registers:
 * half the memory traffic of (k+1)·l separate multiply-accumulates.
 * inputs: R transforms of N f64; rows: GGSW rows, each (k+1) transforms; R = (k+1)·l; the GGSW's
 * transforms are placed by polyStride and imStride (file comment).
 */
function fourierRowProducts(outFourier: usize, inputs: usize, ggsw: usize, rowCount: i32, glweDimension: i32, polySize: i32, polyStride: usize, imStride: usize): void {
  const polyBytes = <usize>polySize << 3;
  const rowBytes = <usize>(glweDimension + 1) * polyStride;
  const imOffset = polyBytes >> 1;
  for (let c = 0; c <= glweDimension; c++) {
    const out = outFourier + <usize>c * polyBytes;
    const column = ggsw + <usize>c * polyStride;
    for (let off: usize = 0; off < imOffset; off += 16) {
      let accRe = f64x2.splat(0), accIm = f64x2.splat(0);
      for (let r = 0; r < rowCount; r++) {
        const a = inputs + <usize>r * polyBytes + off;
        const b = column + <usize>r * rowBytes + off;
        const ar = v128.load(a), ai = v128.load(a + imOffset);
        const br = v128.load(b), bi = v128.load(b + imStride);
        // (ar + i·ai)(br + i·bi) = (ar·br − ai·bi) + i·(ar·bi + ai·br)
        accRe = f64x2.add(accRe, f64x2.sub(f64x2.mul(ar, br), f64x2.mul(ai, bi)));
        accIm = f64x2.add(accIm, f64x2.add(f64x2.mul(ar, bi), f64x2.mul(ai, br)));
      }
      v128.store(out + off, accRe);
      v128.store(out + off + imOffset, accIm);
    }
  }
}

/**
 * fourierRowProducts for k = 1, l = 1 (two inputs D_0, D_1, two outputs): one pass that reads each
 * input once and writes both outputs, out_c = D_0 ⊙ row(0)[c] + D_1 ⊙ row(1)[c]. The same
 * operations in the same order as the general loop, less its initial 0 + (which only turns −0
 * into +0), so the same values. Each position's inputs are read before its outputs are written,
 * so outFourier may be `inputs` (in place).
 */
function fourierRowProducts2x2(outFourier: usize, inputs: usize, ggsw: usize, polySize: i32, polyStride: usize, imStride: usize): void {
  const polyBytes = <usize>polySize << 3;
  const imOffset = polyBytes >> 1;
  const d0 = inputs, d1 = inputs + polyBytes;
  const r00 = ggsw, r01 = ggsw + polyStride, r10 = ggsw + 2 * polyStride, r11 = ggsw + 3 * polyStride;
  const out0 = outFourier, out1 = outFourier + polyBytes;
  for (let off: usize = 0; off < imOffset; off += 16) {
    const ar = v128.load(d0 + off), ai = v128.load(d0 + off + imOffset);
    const br = v128.load(d1 + off), bi = v128.load(d1 + off + imOffset);
    let wr = v128.load(r00 + off), wi = v128.load(r00 + off + imStride);
    let accRe = f64x2.sub(f64x2.mul(ar, wr), f64x2.mul(ai, wi));
    let accIm = f64x2.add(f64x2.mul(ar, wi), f64x2.mul(ai, wr));
    wr = v128.load(r10 + off); wi = v128.load(r10 + off + imStride);
    accRe = f64x2.add(accRe, f64x2.sub(f64x2.mul(br, wr), f64x2.mul(bi, wi)));
    accIm = f64x2.add(accIm, f64x2.add(f64x2.mul(br, wi), f64x2.mul(bi, wr)));
    v128.store(out0 + off, accRe);
    v128.store(out0 + off + imOffset, accIm);
    wr = v128.load(r01 + off); wi = v128.load(r01 + off + imStride);
    accRe = f64x2.sub(f64x2.mul(ar, wr), f64x2.mul(ai, wi));
    accIm = f64x2.add(f64x2.mul(ar, wi), f64x2.mul(ai, wr));
    wr = v128.load(r11 + off); wi = v128.load(r11 + off + imStride);
    accRe = f64x2.add(accRe, f64x2.sub(f64x2.mul(br, wr), f64x2.mul(bi, wi)));
    accIm = f64x2.add(accIm, f64x2.add(f64x2.mul(br, wi), f64x2.mul(bi, wr)));
    v128.store(out1 + off, accRe);
    v128.store(out1 + off + imOffset, accIm);
  }
}

/**
 * Fourier-domain part of the external product: outFourier (k+1 transforms) =
 * Σ_{i,j} FFT(D_{i,j}) ⊙ row(i, j). `digitFourier`: (k+1)·l·N f64, holding the digit transforms
 * in row order r = (j − 1)·(k+1) + i (fftForwardDigits decomposes on the fly: the digits D_{i,j}
 * are never stored). For k = 1, l = 1 only, outFourier may be digitFourier (in place). The GGSW's
 * transforms are placed by polyStride and imStride (file comment).
 */
export function externalProductFourier(
  outFourier: usize, glwe: usize, fourierGgsw: usize, glweDimension: i32, polySize: i32,
  baseLog: u32, levels: u32, plan: usize, digitFourier: usize, polyStride: usize, imStride: usize,
): void {
  const polyBytes = <usize>polySize << 3;
  const components = glweDimension + 1;
  for (let i = 0; i < components; i++) {
    for (let j: u32 = 0; j < levels; j++) {
      const row = <usize>j * <usize>components + <usize>i;
      fftForwardDigits(plan, digitFourier + row * polyBytes, glwe + <usize>i * polyBytes, baseLog, levels, j + 1);
    }
  }
  if (glweDimension == 1 && levels == 1) fourierRowProducts2x2(outFourier, digitFourier, fourierGgsw, polySize, polyStride, imStride);
  else fourierRowProducts(outFourier, digitFourier, fourierGgsw, components * <i32>levels, glweDimension, polySize, polyStride, imStride);
}
