// LWE keyswitching (Chillotti et al. 2020, Alg. 1 "KeySwitch"): from the big key s (k·N, the
// flattened GLWE key) to the small key s' (n), ahead of the modulus switch and blind rotation.
//
// The keyswitching key holds, for every input coefficient i < k·N and level j = 1..l,
//   KSK[i][j] = LWE_{s'}( s_i · q_out / B^j ),   B = 2^β_ks,
// row-major: row (i, j) at index i·l + (j − 1), each n+1 words. With a_i ≈ Σ_j d_{i,j}·q/B^j,
//   KS(a, b) = (0, …, 0, b·q_out/q) − Σ_{i,j} d_{i,j} · KSK[i][j]     (mod q_out)
// has phase (b − Σ a_i·s_i)·q_out/q + (rounding of a to β·l bits)·s − Σ d·e: additive noise,
// see SPEC §5.2.
//
// The key's modulus q_out is 2^64 (words u64), or 2^32 for the "KS32" sets (words u32 —
// tfhe-rs's KeySwitch32 sets). The evaluator always keyswitches in 32-bit words, four lanes per
// v128 and half the key's memory traffic (the keyswitch streams the whole key: 60 MB for 2_2):
// a 64-bit key is NARROWED when expanded, each word w replaced by w' = round(w / 2^32) mod 2^32.
// Rounding public values costs no security. Computed mod 2^32 on the narrowed key, the keyswitch
// gives the top 32 bits of the one on the key rounded to multiples of 2^32, exactly; each rounded
// word is off by ε, |ε| ≤ 2^31 (variance 2^−64/12 on the unit torus), which adds to the output
// phase Σ_rows d·(ε_body − Σ_i ε_i·s'_i): variance l·k·N·(B²/12 + 1/6)·(1 + n/2)·2^−64/12
// (SPEC §5.2: 2^−41.3 for 2_2, against the keyswitch's own 2^−22.0). The body b of the input is
// rounded the same way (2^−64/12). A 2^32 output x is handed on as the 64-bit torus element
// x·2^32 (the modulus switch to 2N then reads its top bits exactly as it would a 64-bit value).

import { streamFill } from "./csprng";
import { sampleTUniform } from "./sampling";
import { innerProductBinary } from "./lwe";
import { decomposeInto } from "./torus";
import { Params, bigLweDimension, kskWordBytes } from "./params";

@inline function kskRowCount(p: Params): i32 {
  return bigLweDimension(p) * <i32>p.ksLevel;
}

/** ⟨a, s⟩ mod 2^32 for a u32 mask and a binary key stored as u64 0/1. */
function innerProductBinary32(a: usize, key: usize, dimension: i32): u32 {
  let sum: u32 = 0;
  for (let i = 0; i < dimension; i++) {
    sum += load<u32>(a + (<usize>i << 2)) & (<u32>0 - <u32>load<u64>(key + (<usize>i << 3)));
  }
  return sum;
}

/**
 * Generates the keyswitching key row by row. Writes the full rows to `full` (if non-zero) and
 * the bodies alone to `bodies` (if non-zero): the compressed key is the mask seed + bodies.
 * Masks come from `maskStream` in row order; noise is TUniform(lweNoiseBound) on the q_out scale
 * (the output key is the small LWE key). `row` is scratch for n+1 u64.
 */
export function keyswitchKeyGenerate(
  full: usize, bodies: usize, bigKey: usize, smallKey: usize, paramsPtr: usize,
  maskStream: usize, noiseStream: usize, row: usize,
): void {
  const p = changetype<Params>(paramsPtr);
  const n = p.lweDimension;
  const word = kskWordBytes(p);
  const rowBytes = <usize>(n + 1) * word;
  const rows = kskRowCount(p);
  const outputBits = <u64>p.ksOutputModulusLog2;
  for (let r = 0; r < rows; r++) {
    const inputIndex = r / <i32>p.ksLevel;
    const level = <u64>(r % <i32>p.ksLevel) + 1;
    const keyBit = load<u64>(bigKey + (<usize>inputIndex << 3));
    const gadget: u64 = <u64>1 << (outputBits - <u64>p.ksBaseLog * level); // q_out / B^j
    const target = full != 0 ? full + <usize>r * rowBytes : row;
    streamFill(maskStream, target, <usize>n * word);
    const noise = <u64>sampleTUniform(noiseStream, p.lweNoiseBound);
    if (word == 8) {
      const body = innerProductBinary(target, smallKey, n) + keyBit * gadget + noise;
      store<u64>(target + (<usize>n << 3), body);
      if (bodies != 0) store<u64>(bodies + (<usize>r << 3), body);
    } else {
      const body = innerProductBinary32(target, smallKey, n) + <u32>(keyBit * gadget) + <u32>noise;
      store<u32>(target + (<usize>n << 2), body);
      if (bodies != 0) store<u32>(bodies + (<usize>r << 2), body);
    }
  }
}

/** Rebuilds the full keyswitching key from its seed's mask stream and the stored bodies. */
export function keyswitchKeyExpand(full: usize, bodies: usize, paramsPtr: usize, maskStream: usize): void {
  const p = changetype<Params>(paramsPtr);
  const n = p.lweDimension;
  const word = kskWordBytes(p);
  const rowBytes = <usize>(n + 1) * word;
  const rows = kskRowCount(p);
  for (let r = 0; r < rows; r++) {
    const target = full + <usize>r * rowBytes;
    streamFill(maskStream, target, <usize>n * word);
    memory.copy(target + <usize>n * word, bodies + <usize>r * word, word);
  }
}

/** round(w / 2^32) mod 2^32: the top half of a torus word, rounded. */
@inline function narrowWord(w: u64): u32 {
  return <u32>((w + (<u64>1 << 31)) >> 32);
}

/**
 * Rebuilds the keyswitching key as the evaluator uses it: rows of n+1 u32. A 64-bit key is
 * expanded row by row into `row64` (scratch, n+1 u64) and narrowed; a 32-bit key is expanded
 * as it is. `out`: k·N·l rows of n+1 u32.
 */
export function keyswitchKeyExpandForEvaluation(out: usize, bodies: usize, paramsPtr: usize, maskStream: usize, row64: usize): void {
  const p = changetype<Params>(paramsPtr);
  if (kskWordBytes(p) == 4) {
    keyswitchKeyExpand(out, bodies, paramsPtr, maskStream);
    return;
  }
  const n = p.lweDimension;
  const rows = kskRowCount(p);
  for (let r = 0; r < rows; r++) {
    streamFill(maskStream, row64, <usize>n << 3);
    store<u64>(row64 + (<usize>n << 3), load<u64>(bodies + (<usize>r << 3)));
    const target = out + <usize>r * (<usize>(n + 1) << 2);
    for (let c = 0; c <= n; c++) store<u32>(target + (<usize>c << 2), narrowWord(load<u64>(row64 + (<usize>c << 3))));
  }
}

/** out −= d · row over `count` u64 (two lanes at a time). */
@inline function subtractScaledRow64(out: usize, row: usize, count: i32, digit: i64): void {
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

/** acc −= da·rowA + db·rowB over `count` u32 (four lanes at a time). */
@inline function subtractScaledRowPair32(acc: usize, rowA: usize, da: i32, rowB: usize, db: i32, count: i32): void {
  const va = i32x4.splat(da), vb = i32x4.splat(db);
  let c = 0;
  for (; c + 3 < count; c += 4) {
    const o = <usize>c << 2;
    const scaled = i32x4.add(i32x4.mul(v128.load(rowA + o), va), i32x4.mul(v128.load(rowB + o), vb));
    v128.store(acc + o, i32x4.sub(v128.load(acc + o), scaled));
  }
  for (; c < count; c++) {
    const o = <usize>c << 2;
    store<u32>(acc + o, load<u32>(acc + o) - (load<u32>(rowA + o) * <u32>da + load<u32>(rowB + o) * <u32>db));
  }
}

/**
 * Keyswitches `input` (k·N + 1 u64, big key) to `out` (n + 1 u64, small key): each word is the
 * 32-bit result ×2^32. `ksk`: the evaluator's key, rows of n+1 u32 (keyswitchKeyExpandForEvaluation);
 * `digits`: scratch for 2·l i64; `accumulator32`: scratch for n+1 u32.
 *
 * The sum over rows is taken two input coefficients at a time, i and i + ⌊kN/2⌋: the key is then
 * read as two sequential streams instead of one, and the keyswitch, which streams the whole key
 * from memory (30 MB for 2_2, more than the cache keeps between bootstraps), is bound by how fast
 * one core pulls it in — faster with two streams in flight (2_2: 1.38 → 0.90 ms). Additions
 * mod 2^32 commute: the result is the same word for word as row-by-row.
 */
export function keyswitch(out: usize, input: usize, ksk: usize, paramsPtr: usize, digits: usize, accumulator32: usize): void {
  const p = changetype<Params>(paramsPtr);
  const n = p.lweDimension;
  const bigN = bigLweDimension(p);
  const levels = p.ksLevel;
  const rowBytes = <usize>(n + 1) << 2;
  const rowsPerInput = <usize>levels * rowBytes;
  const acc = accumulator32;
  const digitsB = digits + (<usize>levels << 3);
  memory.fill(acc, 0, <usize>n << 2);
  store<u32>(acc + (<usize>n << 2), narrowWord(load<u64>(input + (<usize>bigN << 3))));
  const half = bigN >> 1; // k·N is even: N is a power of two ≥ 16
  for (let i = 0; i < half; i++) {
    const iB = i + half;
    decomposeInto(load<u64>(input + (<usize>i << 3)), p.ksBaseLog, levels, digits, 8);
    decomposeInto(load<u64>(input + (<usize>iB << 3)), p.ksBaseLog, levels, digitsB, 8);
    for (let j: u32 = 0; j < levels; j++) {
      const o = <usize>j << 3;
      subtractScaledRowPair32(
        acc, ksk + <usize>i * rowsPerInput + <usize>j * rowBytes, <i32>load<i64>(digits + o),
        ksk + <usize>iB * rowsPerInput + <usize>j * rowBytes, <i32>load<i64>(digitsB + o), n + 1,
      );
    }
  }
  for (let c = 0; c <= n; c++) store<u64>(out + (<usize>c << 3), <u64>load<u32>(acc + (<usize>c << 2)) << 32);
}

/**
 * The reference keyswitch on the full 64-bit key (rows of n+1 u64, keyswitchKeyExpand) with a
 * 64-bit output: the textbook algorithm the narrowed one is tested against.
 */
export function keyswitchWide(out: usize, input: usize, ksk: usize, paramsPtr: usize, digits: usize): void {
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
      if (digit != 0) subtractScaledRow64(out, ksk + (<usize>i * <usize>levels + <usize>j) * rowBytes, n + 1, digit);
    }
  }
}
