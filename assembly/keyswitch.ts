// LWE keyswitching (Chillotti et al. 2020, Alg. 1 "KeySwitch"): from the big key s (k·N, the
// flattened GLWE key) to the small key s' (n), ahead of the modulus switch and blind rotation.
//
// The keyswitching key holds, for every input coefficient i < k·N and level j = 1..l,
//   KSK[i][j] = LWE_{s'}( s_i · g_j ),   g_j = q / B^j,  B = 2^β_ks,
// row-major: row (i, j) at index i·l + (j − 1), each n+1 u64. With a_i ≈ Σ_j d_{i,j}·g_j,
//   KS(a, b) = (0, …, 0, b) − Σ_{i,j} d_{i,j} · KSK[i][j]
// has phase b − Σ a_i·s_i + (rounding of a to β·l bits)·s − Σ d·e: additive noise, see SPEC §5.

import { streamFill } from "./csprng";
import { sampleTUniform } from "./sampling";
import { innerProductBinary } from "./lwe";
import { decomposeInto } from "./torus";
import { Params, bigLweDimension } from "./params";
import { gadgetValue } from "./ggsw";

@inline function kskRowCount(p: Params): i32 {
  return bigLweDimension(p) * <i32>p.ksLevel;
}

/**
 * Generates the keyswitching key row by row. Writes the full rows to `full` (if non-zero) and
 * the bodies alone to `bodies` (if non-zero): the compressed key is the mask seed + bodies.
 * Masks come from `maskStream` in row order; noise is TUniform(lweNoiseBound) (the output key is
 * the small LWE key). `row` is scratch for n+1 u64.
 */
export function keyswitchKeyGenerate(
  full: usize, bodies: usize, bigKey: usize, smallKey: usize, paramsPtr: usize,
  maskStream: usize, noiseStream: usize, row: usize,
): void {
  const p = changetype<Params>(paramsPtr);
  const n = p.lweDimension;
  const rowBytes = <usize>(n + 1) << 3;
  const rows = kskRowCount(p);
  for (let r = 0; r < rows; r++) {
    const inputIndex = r / <i32>p.ksLevel;
    const level = <u32>(r % <i32>p.ksLevel) + 1;
    const keyBit = load<u64>(bigKey + (<usize>inputIndex << 3));
    const target = full != 0 ? full + <usize>r * rowBytes : row;
    streamFill(maskStream, target, <usize>n << 3);
    const noise = <u64>sampleTUniform(noiseStream, p.lweNoiseBound);
    const body = innerProductBinary(target, smallKey, n) + keyBit * gadgetValue(p.ksBaseLog, level) + noise;
    store<u64>(target + (<usize>n << 3), body);
    if (bodies != 0) store<u64>(bodies + (<usize>r << 3), body);
  }
}

/** Rebuilds the full keyswitching key from its seed's mask stream and the stored bodies. */
export function keyswitchKeyExpand(full: usize, bodies: usize, paramsPtr: usize, maskStream: usize): void {
  const p = changetype<Params>(paramsPtr);
  const n = p.lweDimension;
  const rowBytes = <usize>(n + 1) << 3;
  const rows = kskRowCount(p);
  for (let r = 0; r < rows; r++) {
    const target = full + <usize>r * rowBytes;
    streamFill(maskStream, target, <usize>n << 3);
    store<u64>(target + (<usize>n << 3), load<u64>(bodies + (<usize>r << 3)));
  }
}

/** out −= d · row over n+1 coefficients (two lanes at a time). */
@inline function subtractScaledRow(out: usize, row: usize, count: i32, digit: i64): void {
  const d = i64x2.splat(digit);
  let c = 0;
  for (; c + 1 < count; c += 2) {
    const o = <usize>c << 3;
    v128.store(out + o, i64x2.sub(v128.load(out + o), i64x2.mul(v128.load(row + o), d)));
  }
  for (; c < count; c++) {
    const o = <usize>c << 3;
    store<u64>(out + o, load<u64>(out + o) - load<u64>(row + o) * <u64>digit);
  }
}

/**
 * Keyswitches `input` (k·N + 1 u64, big key) to `out` (n + 1 u64, small key).
 * `digits` is scratch for l i64.
 */
export function keyswitch(out: usize, input: usize, ksk: usize, paramsPtr: usize, digits: usize): void {
  const p = changetype<Params>(paramsPtr);
  const n = p.lweDimension;
  const bigN = bigLweDimension(p);
  const levels = p.ksLevel;
  const rowBytes = <usize>(n + 1) << 3;
  memory.fill(out, 0, <usize>n << 3);
  store<u64>(out + (<usize>n << 3), load<u64>(input + (<usize>bigN << 3)));
  for (let i = 0; i < bigN; i++) {
    decomposeInto(load<u64>(input + (<usize>i << 3)), p.ksBaseLog, levels, digits, 8);
    for (let j: u32 = 0; j < levels; j++) {
      const digit = load<i64>(digits + (<usize>j << 3));
      if (digit == 0) continue; // public data: skipping leaks nothing secret
      subtractScaledRow(out, ksk + (<usize>i * <usize>levels + <usize>j) * rowBytes, n + 1, digit);
    }
  }
}
