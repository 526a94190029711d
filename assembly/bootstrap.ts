// Programmable bootstrapping (Chillotti et al. 2020, Alg. 3; Chillotti, Joye, Paillier 2021):
// from an LWE ciphertext of μ under the small key s' (dimension n), compute an LWE ciphertext of
// f(μ) under the big key with fresh, fixed noise:
//   1. modulus switch: ã_i = round(a_i·2N/q), b̃ = round(b·2N/q), mean-compensated (modulus_switch.ts)
//   2. blind rotation: ACC ← X^{−b̃}·V (trivial GLWE of the lookup table V), then for each i
//      ACC ← ACC + BSK_i ⊡ (X^{ã_i}·ACC − ACC)   (a CMux: picks X^{ã_i}·ACC when s'_i = 1),
//      ending with ACC = GLWE( X^{−(b̃ − Σ ã_i s'_i)} · V )
//   3. sample extraction of coefficient 0 (or of several, for many-LUT)      (glwe.ts)
// BSK_i = GGSW_S(s'_i) under the GLWE key, kept in the Fourier domain (ggsw.ts).
//
// The compressed bootstrapping key stores, per GGSW row, only the body polynomial: masks come
// from the public seed (stream DOMAIN_BSK_MASK, index i, rows in order). Each stored body
// coefficient is rounded to a multiple of 2^d (d = bskBodyDroppedBits, a multiple of 8) and kept
// in 8 − d/8 bytes: rounding a public value is something anyone could do, so it costs no security; it adds
// a uniform error of variance ≈ 2^(2d)/12 to each coefficient (SPEC §5.6: 2^−20 of TUniform(17)'s
// variance for 2_2; the measured PBS variance the FFT-error fit was calibrated on includes it).

import { streamInit, streamFill } from "./csprng";
import { DOMAIN_BSK_MASK } from "./domains";
import { Params } from "./params";
import { glweEncrypt, sampleExtract } from "./glwe";
import { ggswRowPlaintext, glweToFourier, externalProductFourier } from "./ggsw";
import { fftPlan, fftBackwardAddTorusCoarse } from "./fft";
import { modulusSwitchCentered } from "./modulus_switch";
import { polyMonomialMul, polyMonomialMulMinusOne } from "./polynomial";

/** Bytes of one stored (compressed) body coefficient. */
@inline export function bskBodyBytes(p: Params): i32 {
  return 8 - <i32>(p.bskBodyDroppedBits >> 3);
}

/** Rows of one GGSW: (k+1)·l. */
@inline function ggswRows(p: Params): i32 {
  return (p.glweDimension + 1) * <i32>p.pbsLevel;
}

@inline function storeBody(dst: usize, value: u64, droppedBits: u32, bytes: i32): void {
  const rounded = droppedBits == 0 ? value : (value + (<u64>1 << (droppedBits - 1))) >> droppedBits;
  for (let b = 0; b < bytes; b++) store<u8>(dst + <usize>b, <u8>(rounded >> (<u64>b << 3)));
}

@inline function loadBody(src: usize, droppedBits: u32, bytes: i32): u64 {
  let value: u64 = 0;
  for (let b = 0; b < bytes; b++) value |= <u64>load<u8>(src + <usize>b) << (<u64>b << 3);
  return value << droppedBits;
}

/**
 * Generates the compressed bootstrapping key: for each small-key coefficient s'_t, the bodies of
 * GGSW_S(s'_t), written to `bodies` (n·(k+1)·l·N coefficients of bskBodyBytes each).
 * `keyFourier`: transforms of the GLWE key polynomials; `glweKey`: the key itself (u64 0/1).
 */
export function bootstrapKeyGenerate(
  bodies: usize, smallKey: usize, glweKey: usize, keyFourier: usize, paramsPtr: usize,
  seed: usize, noiseStream: usize, maskStream: usize,
): void {
  const p = changetype<Params>(paramsPtr);
  const k = p.glweDimension;
  const N = p.polynomialSize;
  const polyBytes = <usize>N << 3;
  const bodyBytes = bskBodyBytes(p);
  const plan = fftPlan(N);
  const row = heap.alloc(<usize>(k + 1) * polyBytes);
  const plaintext = heap.alloc(polyBytes);
  const scratch = heap.alloc(polyBytes);
  let out = bodies;
  for (let t = 0; t < p.lweDimension; t++) {
    const mu = <i64>load<u64>(smallKey + (<usize>t << 3));
    streamInit(maskStream, seed, DOMAIN_BSK_MASK, <u32>t, 0);
    for (let r = 0; r < ggswRows(p); r++) {
      const level = <u32>(r / (k + 1)) + 1;
      const i = r % (k + 1);
      ggswRowPlaintext(plaintext, mu, glweKey, k, N, i, p.pbsBaseLog, level);
      glweEncrypt(row, keyFourier, k, N, plaintext, maskStream, noiseStream, p.glweNoiseBound, plan, scratch);
      const body = row + <usize>k * polyBytes;
      for (let c = 0; c < N; c++) {
        storeBody(out, load<u64>(body + (<usize>c << 3)), p.bskBodyDroppedBits, bodyBytes);
        out += <usize>bodyBytes;
      }
    }
  }
  // Wipe what held key material: −μ·g·S_i (plaintext), A·S (scratch), the last row's body.
  memory.fill(plaintext, 0, polyBytes);
  memory.fill(scratch, 0, polyBytes);
  memory.fill(row, 0, <usize>(k + 1) * polyBytes);
  heap.free(row);
  heap.free(plaintext);
  heap.free(scratch);
}

/**
 * Expands the compressed bootstrapping key straight into the Fourier domain: n GGSWs ×
 * (k+1)·l rows × (k+1) transforms of N f64, laid out "stream-major". Each transform is two
 * halves of 4N bytes (real parts, imaginary parts), and half h = 2·(r·(k+1) + c) + part of GGSW t
 * is stored at fourier + h·(n·4N) + t·4N: the same half of consecutive GGSWs side by side.
 * Why: a step of the blind rotation reads its GGSW as 2·(k+1)²·l sequential streams, one per half.
 * Stored this way, each stream runs on into the next GGSW's, so the hardware prefetcher, once it
 * has found a stream, keeps fetching ahead from one step into the next; with each GGSW contiguous,
 * every step started 8 new short streams from DRAM (2_2 PBS, npm run bench: 18.9 → 18.4 ms). For externalProductFourier,
 * GGSW t is at fourier + t·4N with polyStride 2·n·4N and imStride n·4N (blindRotate).
 */
export function bootstrapKeyExpandToFourier(fourier: usize, bodies: usize, paramsPtr: usize, seed: usize, maskStream: usize): void {
  const p = changetype<Params>(paramsPtr);
  const k = p.glweDimension;
  const N = p.polynomialSize;
  const polyBytes = <usize>N << 3;
  const rowBytes = <usize>(k + 1) * polyBytes;
  const bodyBytes = bskBodyBytes(p);
  const plan = fftPlan(N);
  const row = heap.alloc(rowBytes);
  const rowFourier = heap.alloc(rowBytes);
  const halfBytes = polyBytes >> 1;
  const n = <usize>p.lweDimension;
  let src = bodies;
  for (let t = 0; t < p.lweDimension; t++) {
    streamInit(maskStream, seed, DOMAIN_BSK_MASK, <u32>t, 0);
    for (let r = 0; r < ggswRows(p); r++) {
      streamFill(maskStream, row, <usize>k * polyBytes);
      const body = row + <usize>k * polyBytes;
      for (let c = 0; c < N; c++) {
        store<u64>(body + (<usize>c << 3), loadBody(src, p.bskBodyDroppedBits, bodyBytes));
        src += <usize>bodyBytes;
      }
      glweToFourier(rowFourier, row, k, N, plan);
      for (let c = 0; c <= k; c++) {
        for (let part = 0; part < 2; part++) {
          const half = (<usize>(r * (k + 1) + c) << 1) + <usize>part;
          memory.copy(fourier + (half * n + <usize>t) * halfBytes, rowFourier + <usize>c * polyBytes + <usize>part * halfBytes, halfBytes);
        }
      }
    }
  }
  heap.free(row);
  heap.free(rowFourier);
}

/** Scratch and key pointers for bootstrapping with one parameter set. */
@unmanaged
export class BootstrapWorkspace {
  params: usize;
  fourierBsk: usize;
  plan: usize;
  /** ACC: (k+1)·N u64. */
  acc: usize;
  /** X^ã·ACC − ACC: (k+1)·N u64. */
  difference: usize;
  /** External-product output, Fourier: (k+1)·N f64 (overwritten each step). */
  productFourier: usize;
  /** The digit polynomials' transforms: (k+1)·l·N f64. */
  digitFourier: usize;
  /** The switched mask ã: n i32. */
  switchedMask: usize;
  /** The one allocation holding acc, difference, productFourier and digitFourier. */
  arena: usize;
}

/**
 * Where the workspace buffers start, modulo 4 KiB, relative to the bootstrapping key. The loops
 * of a CMux walk several buffers in lockstep (the same offset in each); when two of their
 * addresses agree in the low 12 bits, x86 cores suspect a load of reading the store just made to
 * the other ("4K aliasing") and stall it, and the lines compete for the same L1 set. Buffers
 * allocated one after the other, 32 KiB each, would all agree; so each starts at its own phase:
 * the key's rows at 0, then acc, difference, digitFourier, productFourier a quarter apart.
 */
const PHASE_ACC: usize = 1024;
const PHASE_DIFFERENCE: usize = 2048 + 512;
const PHASE_DIGIT_FOURIER: usize = 3072;
const PHASE_PRODUCT_FOURIER: usize = 2048;

/** The first address ≥ cursor congruent to phase modulo 4096. */
@inline function atPhase(cursor: usize, phase: usize): usize {
  return cursor + ((phase - cursor) & 4095);
}

export function bootstrapWorkspaceCreate(paramsPtr: usize, fourierBsk: usize): usize {
  const p = changetype<Params>(paramsPtr);
  const polyBytes = <usize>p.polynomialSize << 3;
  const glweBytes = <usize>(p.glweDimension + 1) * polyBytes;
  const w = changetype<BootstrapWorkspace>(heap.alloc(offsetof<BootstrapWorkspace>()));
  w.params = paramsPtr;
  w.fourierBsk = fourierBsk;
  w.plan = fftPlan(p.polynomialSize);
  const digitFourierBytes = <usize>(p.glweDimension + 1) * <usize>p.pbsLevel * polyBytes;
  w.arena = heap.alloc(3 * glweBytes + digitFourierBytes + 4 * 4096);
  let cursor = w.arena;
  w.acc = atPhase(cursor, fourierBsk + PHASE_ACC);
  cursor = w.acc + glweBytes;
  w.difference = atPhase(cursor, fourierBsk + PHASE_DIFFERENCE);
  cursor = w.difference + glweBytes;
  w.digitFourier = atPhase(cursor, fourierBsk + PHASE_DIGIT_FOURIER);
  cursor = w.digitFourier + digitFourierBytes;
  w.productFourier = atPhase(cursor, fourierBsk + PHASE_PRODUCT_FOURIER);
  w.switchedMask = heap.alloc(<usize>p.lweDimension << 2);
  return changetype<usize>(w);
}

export function bootstrapWorkspaceFree(ptr: usize): void {
  const w = changetype<BootstrapWorkspace>(ptr);
  heap.free(w.arena);
  heap.free(w.switchedMask);
  heap.free(ptr);
}

/**
 * Blind rotation of the lookup table `lut` (N u64) by the phase of `input` (small key, n+1 u64):
 * leaves GLWE(X^{−φ̃}·V) in w.acc, φ̃ = b̃ − Σ ã_i s′_i ≈ φ·2N/q the switched phase (modulus_switch.ts).
 */
export function blindRotate(workspacePtr: usize, input: usize, lut: usize): void {
  const w = changetype<BootstrapWorkspace>(workspacePtr);
  const p = changetype<Params>(w.params);
  const k = p.glweDimension;
  const N = p.polynomialSize;
  const polyBytes = <usize>N << 3;
  const halfBytes = polyBytes >> 1; // GGSW t of the stream-major key starts at fourierBsk + t·halfBytes
  const imStride = <usize>p.lweDimension * halfBytes;
  const polyStride = imStride << 1;
  const logTwoN = <u32>p.logPolynomialSize + 1;
  const twoN = N << 1;
  // For k = 1, l = 1 the Fourier products may overwrite their inputs (externalProductFourier):
  // writing them over the digit transforms keeps 32 KiB fewer in the cache.
  const productFourier = k == 1 && p.pbsLevel == 1 ? w.digitFourier : w.productFourier;

  // ACC = (0, …, 0, X^{−b̃}·V); X^{−b̃} = X^{2N − b̃}.
  const bTilde = modulusSwitchCentered(input, p.lweDimension, logTwoN, w.switchedMask);
  memory.fill(w.acc, 0, <usize>k * polyBytes);
  polyMonomialMul(w.acc + <usize>k * polyBytes, lut, N, (twoN - bTilde) & (twoN - 1));

  for (let t = 0; t < p.lweDimension; t++) {
    const aTilde = load<i32>(w.switchedMask + (<usize>t << 2));
    if (aTilde == 0) continue; // X^0 − 1 = 0: this CMux leaves ACC unchanged (public data)
    for (let c = 0; c <= k; c++) {
      polyMonomialMulMinusOne(w.difference + <usize>c * polyBytes, w.acc + <usize>c * polyBytes, N, aTilde);
    }
    externalProductFourier(
      productFourier, w.difference, w.fourierBsk + <usize>t * halfBytes, k, N,
      p.pbsBaseLog, p.pbsLevel, w.plan, w.digitFourier, polyStride, imStride,
    );
    for (let c = 0; c <= k; c++) {
      fftBackwardAddTorusCoarse(w.plan, w.acc + <usize>c * polyBytes, productFourier + <usize>c * polyBytes);
    }
  }
}

/** PBS without keyswitch: out (k·N + 1 u64, big key) = LWE(coefficient 0 of X^{−φ̃}·V). */
export function programmableBootstrap(workspacePtr: usize, out: usize, input: usize, lut: usize): void {
  const w = changetype<BootstrapWorkspace>(workspacePtr);
  const p = changetype<Params>(w.params);
  blindRotate(workspacePtr, input, lut);
  sampleExtract(out, w.acc, p.glweDimension, p.polynomialSize, 0);
}

/**
 * Many-LUT PBS: one blind rotation, then `count` sample extractions at coefficients
 * f·stride (f < count), each into out + f·(k·N + 1)·8. The table packs the functions so that
 * coefficient f·stride of X^{−m̃}·V is f_f(m) (src/engine builds it; SPEC §6).
 */
export function programmableBootstrapMany(workspacePtr: usize, out: usize, input: usize, lut: usize, count: i32, stride: i32): void {
  const w = changetype<BootstrapWorkspace>(workspacePtr);
  const p = changetype<Params>(w.params);
  const lweBytes = (<usize>(p.glweDimension * p.polynomialSize) + 1) << 3;
  blindRotate(workspacePtr, input, lut);
  for (let f = 0; f < count; f++) {
    sampleExtract(out + <usize>f * lweBytes, w.acc, p.glweDimension, p.polynomialSize, f * stride);
  }
}
