// Exports for the TypeScript wrapper (src/engine): parameters, client keys, encryption,
// evaluation-key generation and expansion, evaluation, and a few hooks used by the tests.
// Pointers are byte offsets into the module's memory; sizes are derived from Params.

import { CHACHA20_STREAM_BYTES, streamInit, streamFill, streamNextU32 } from "./csprng";
import { DOMAIN_LWE_MASK, DOMAIN_KSK_MASK, DOMAIN_GLWE_MASK } from "./domains";
import { Params, PARAMS_BYTES, paramsInit, bigLweDimension, kskWordBytes } from "./params";
import { SecretKeys } from "./secret_keys";
import { lweEncrypt, lweEncrypt32Embedded, lwePhase } from "./lwe";
import { keyswitchKeyGenerate, keyswitchKeyExpandForEvaluation, keyswitch, keyswitchWide } from "./keyswitch";
import { bootstrapKeyGenerate, bskBodyBytes } from "./bootstrap";
import { keyswitchKeyBytes, fourierBootstrapKeyBytes } from "./evaluator";
import { decomposeInto, recompose } from "./torus";
import { glweEncrypt, glwePhase } from "./glwe";
import { fftPlan } from "./fft";

export { secretKeysGenerate, secretKeysAllocate, secretKeysFinish, secretKeysDrawSeed, secretKeysFree } from "./secret_keys";
export {
  evaluatorCreate, evaluatorFromExpanded, evaluatorFree, evaluatorKeyswitch, evaluatorBootstrapSmall,
  evaluatorBootstrap, evaluatorBootstrapMany, evaluatorKeyswitchKey, evaluatorFourierBootstrapKey,
} from "./evaluator";
export {
  lweAddAssign, lweSubAssign, lweNegateAssign, lweMulScalarAssign, lweAddPlaintextAssign, lweTrivial,
} from "./lwe";
export { sampleExtract } from "./glwe";
export { lweMatrixProduct, lweVectorAddPlaintexts } from "./lwe_vector";
export { modulusSwitchCentered, modulusSwitchPlain } from "./modulus_switch";
import { modulusSwitchCentered } from "./modulus_switch";

// ---- parameters ---------------------------------------------------------------------------

export function paramsCreate(
  n: i32, k: i32, polySize: i32, pbsBaseLog: u32, pbsLevel: u32, ksBaseLog: u32, ksLevel: u32,
  lweNoiseBound: u32, glweNoiseBound: u32, bskBodyDroppedBits: u32, ksOutputModulusLog2: u32,
): usize {
  assert(ksOutputModulusLog2 == 64 || ksOutputModulusLog2 == 32, "keyswitch output modulus must be 2^64 or 2^32");
  const ptr = heap.alloc(PARAMS_BYTES);
  paramsInit(ptr, n, k, polySize, pbsBaseLog, pbsLevel, ksBaseLog, ksLevel, lweNoiseBound, glweNoiseBound, bskBodyDroppedBits, ksOutputModulusLog2);
  fftPlan(polySize); // precompute the twiddles once, outside any timed operation
  return ptr;
}

export function paramsFree(ptr: usize): void {
  heap.free(ptr);
}

/** Sizes in bytes, by name, so the host never re-derives layouts by hand. */
export function sizeOf(paramsPtr: usize, what: i32): f64 {
  const p = changetype<Params>(paramsPtr);
  const N = <usize>p.polynomialSize;
  const k1 = <usize>(p.glweDimension + 1);
  switch (what) {
    case 0: return <f64>((<usize>bigLweDimension(p) + 1) << 3); // big-key LWE ciphertext
    case 1: return <f64>((<usize>p.lweDimension + 1) << 3); // small-key LWE ciphertext
    case 2: return <f64>(<usize>p.lweDimension * k1 * <usize>p.pbsLevel * N * <usize>bskBodyBytes(p)); // compressed BSK bodies
    case 3: return <f64>(<usize>bigLweDimension(p) * <usize>p.ksLevel * kskWordBytes(p)); // compressed KSK bodies
    case 4: return <f64>keyswitchKeyBytes(p);
    case 5: return <f64>fourierBootstrapKeyBytes(p);
    case 6: return <f64>CHACHA20_STREAM_BYTES;
    default: return -1;
  }
}

// ---- client keys ----------------------------------------------------------------------------

export function secretKeysSmallKey(ptr: usize): usize { return changetype<SecretKeys>(ptr).smallKey; }
export function secretKeysGlweKey(ptr: usize): usize { return changetype<SecretKeys>(ptr).glweKey; }

// ---- encryption (big key, glwe noise: tfhe-rs EncryptionKeyChoice::Big) ----------------------

/**
 * Encrypts `count` plaintexts (u64, already scaled) into consecutive big-key ciphertexts.
 * Ciphertext j's mask is stream (maskSeed, DOMAIN_LWE_MASK, firstIndex + j): the same bytes a
 * seeded list with that seed expands to.
 */
export function encryptList(keysPtr: usize, out: usize, plaintexts: usize, count: i32, maskSeed: usize, firstIndex: u32): void {
  const keys = changetype<SecretKeys>(keysPtr);
  const p = changetype<Params>(keys.params);
  const dim = bigLweDimension(p);
  const ctBytes = (<usize>dim + 1) << 3;
  for (let j = 0; j < count; j++) {
    streamInit(keys.maskStream, maskSeed, DOMAIN_LWE_MASK, firstIndex + <u32>j, 0);
    lweEncrypt(out + <usize>j * ctBytes, keys.glweKey, dim, load<u64>(plaintexts + (<usize>j << 3)),
      keys.maskStream, keys.noiseStream, p.glweNoiseBound);
  }
}

/** As encryptList, but keeps only the bodies (count u64): the seeded (compressed) list. */
export function encryptListSeeded(keysPtr: usize, bodies: usize, plaintexts: usize, count: i32, maskSeed: usize, firstIndex: u32): void {
  const keys = changetype<SecretKeys>(keysPtr);
  const p = changetype<Params>(keys.params);
  const dim = bigLweDimension(p);
  const scratch = heap.alloc((<usize>dim + 1) << 3);
  for (let j = 0; j < count; j++) {
    encryptList(keysPtr, scratch, plaintexts + (<usize>j << 3), 1, maskSeed, firstIndex + <u32>j);
    store<u64>(bodies + (<usize>j << 3), load<u64>(scratch + (<usize>dim << 3)));
  }
  memory.fill(scratch, 0, (<usize>dim + 1) << 3);
  heap.free(scratch);
}

/** Expands a seeded list: regenerates each mask from the public seed and appends the body. */
export function expandSeededList(paramsPtr: usize, out: usize, bodies: usize, count: i32, maskSeed: usize, firstIndex: u32): void {
  const p = changetype<Params>(paramsPtr);
  const dim = bigLweDimension(p);
  const ctBytes = (<usize>dim + 1) << 3;
  const stream = heap.alloc(CHACHA20_STREAM_BYTES);
  for (let j = 0; j < count; j++) {
    const ct = out + <usize>j * ctBytes;
    streamInit(stream, maskSeed, DOMAIN_LWE_MASK, firstIndex + <u32>j, 0);
    streamFill(stream, ct, <usize>dim << 3);
    store<u64>(ct + (<usize>dim << 3), load<u64>(bodies + (<usize>j << 3)));
  }
  heap.free(stream);
}

/**
 * Encrypts `count` plaintexts under the SMALL key with the LWE noise and keeps the bodies only:
 * a seeded small-key list. Ciphertext j's mask is stream (maskSeed, DOMAIN_LWE_MASK,
 * firstIndex + j, 1), as encryptSmall draws it. Circuits whose inputs go straight to a bootstrap
 * take these (no keyswitch needed on the server: tfhe-rs EncryptionKeyChoice::Small).
 */
export function encryptListSmallSeeded(keysPtr: usize, bodies: usize, plaintexts: usize, count: i32, maskSeed: usize, firstIndex: u32): void {
  const keys = changetype<SecretKeys>(keysPtr);
  const n = changetype<Params>(keys.params).lweDimension;
  const scratch = heap.alloc((<usize>n + 1) << 3);
  for (let j = 0; j < count; j++) {
    encryptSmall(keysPtr, scratch, load<u64>(plaintexts + (<usize>j << 3)), maskSeed, firstIndex + <u32>j);
    store<u64>(bodies + (<usize>j << 3), load<u64>(scratch + (<usize>n << 3)));
  }
  memory.fill(scratch, 0, (<usize>n + 1) << 3);
  heap.free(scratch);
}

/** Expands a seeded small-key list (the masks encryptSmall drew, then the bodies). */
export function expandSeededListSmall(paramsPtr: usize, out: usize, bodies: usize, count: i32, maskSeed: usize, firstIndex: u32): void {
  const p = changetype<Params>(paramsPtr);
  const n = p.lweDimension;
  const ctBytes = (<usize>n + 1) << 3;
  const stream = heap.alloc(CHACHA20_STREAM_BYTES);
  for (let j = 0; j < count; j++) {
    const ct = out + <usize>j * ctBytes;
    streamInit(stream, maskSeed, DOMAIN_LWE_MASK, firstIndex + <u32>j, 1);
    if (p.ksOutputModulusLog2 == 32) {
      // 2^32 masks, 4 keystream bytes each, embedded by ×2^32 (as lweEncrypt32Embedded)
      for (let i = 0; i < n; i++) store<u64>(ct + (<usize>i << 3), <u64>streamNextU32(stream) << 32);
    } else {
      streamFill(stream, ct, <usize>n << 3);
    }
    store<u64>(ct + (<usize>n << 3), load<u64>(bodies + (<usize>j << 3)));
  }
  heap.free(stream);
}

/**
 * Encrypts under the small key with the LWE noise (tests of keyswitch/bootstrap inputs); for a
 * 2^32 keyswitch modulus, as the keyswitch outputs it: mod 2^32, embedded by ×2^32.
 */
export function encryptSmall(keysPtr: usize, out: usize, plaintext: u64, maskSeed: usize, index: u32): void {
  const keys = changetype<SecretKeys>(keysPtr);
  const p = changetype<Params>(keys.params);
  streamInit(keys.maskStream, maskSeed, DOMAIN_LWE_MASK, index, 1);
  if (p.ksOutputModulusLog2 == 32) {
    lweEncrypt32Embedded(out, keys.smallKey, p.lweDimension, plaintext, keys.maskStream, keys.noiseStream, p.lweNoiseBound);
  } else {
    lweEncrypt(out, keys.smallKey, p.lweDimension, plaintext, keys.maskStream, keys.noiseStream, p.lweNoiseBound);
  }
}

/** φ = b − ⟨a, s⟩ under the big key. */
export function phaseBig(keysPtr: usize, ct: usize): u64 {
  const keys = changetype<SecretKeys>(keysPtr);
  return lwePhase(ct, keys.glweKey, bigLweDimension(changetype<Params>(keys.params)));
}

/** φ under the small key. */
export function phaseSmall(keysPtr: usize, ct: usize): u64 {
  const keys = changetype<SecretKeys>(keysPtr);
  return lwePhase(ct, keys.smallKey, changetype<Params>(keys.params).lweDimension);
}

// ---- evaluation keys ------------------------------------------------------------------------

/**
 * Generates the compressed evaluation keys: the keyswitching-key bodies (mask stream
 * (seed, DOMAIN_KSK_MASK)) and the bootstrapping-key bodies (streams (seed, DOMAIN_BSK_MASK, t)).
 */
export function generateEvaluationKeys(keysPtr: usize, seed: usize, bskBodies: usize, kskBodies: usize): void {
  const keys = changetype<SecretKeys>(keysPtr);
  const p = changetype<Params>(keys.params);
  const row = heap.alloc((<usize>p.lweDimension + 1) << 3);
  streamInit(keys.maskStream, seed, DOMAIN_KSK_MASK, 0, 0);
  // (keyswitchKeyGenerate writes 32-bit rows and bodies for a 2^32 output modulus)
  keyswitchKeyGenerate(0, kskBodies, keys.glweKey, keys.smallKey, keys.params, keys.maskStream, keys.noiseStream, row);
  heap.free(row);
  bootstrapKeyGenerate(bskBodies, keys.smallKey, keys.glweKey, keys.keyFourier, keys.params, seed, keys.noiseStream, keys.maskStream);
}

// ---- test hooks -----------------------------------------------------------------------------

/**
 * Keyswitches `count` big-key ciphertexts (`inputs`, contiguous) both ways on one fresh
 * keyswitching key of the client's 64-bit set (mask seed `seed`): into outNarrow the evaluator's
 * 32-bit keyswitch on the narrowed key, into outWide the 64-bit reference on the full key
 * (count × (n+1) u64 each). For testing them against each other.
 */
export function testKeyswitchNarrowAndWide(keysPtr: usize, seed: usize, inputs: usize, count: i32, outNarrow: usize, outWide: usize): void {
  const keys = changetype<SecretKeys>(keysPtr);
  const p = changetype<Params>(keys.params);
  assert(kskWordBytes(p) == 8, "testKeyswitchNarrowAndWide: a set with a 64-bit keyswitching key");
  const n = <usize>p.lweDimension;
  const rows = <usize>bigLweDimension(p) * <usize>p.ksLevel;
  const full = heap.alloc(rows * ((n + 1) << 3));
  const bodies = heap.alloc(rows << 3);
  const row = heap.alloc((n + 1) << 3);
  streamInit(keys.maskStream, seed, DOMAIN_KSK_MASK, 0, 0);
  keyswitchKeyGenerate(full, bodies, keys.glweKey, keys.smallKey, keys.params, keys.maskStream, keys.noiseStream, row);
  const narrow = heap.alloc(keyswitchKeyBytes(p));
  streamInit(keys.maskStream, seed, DOMAIN_KSK_MASK, 0, 0);
  keyswitchKeyExpandForEvaluation(narrow, bodies, keys.params, keys.maskStream, row);
  const digits = heap.alloc(<usize>p.ksLevel << 4); // keyswitch: 2·l
  const accumulator32 = heap.alloc((n + 1) << 2);
  const inBytes = (<usize>bigLweDimension(p) + 1) << 3, outBytes = (n + 1) << 3;
  for (let c = 0; c < count; c++) {
    const input = inputs + <usize>c * inBytes;
    keyswitch(outNarrow + <usize>c * outBytes, input, narrow, keys.params, digits, accumulator32);
    keyswitchWide(outWide + <usize>c * outBytes, input, full, keys.params, digits);
  }
  heap.free(full);
  heap.free(bodies);
  heap.free(row);
  heap.free(narrow);
  heap.free(digits);
  heap.free(accumulator32);
}

/** Decomposes t and recomposes it: returns the recomposed value; digits to `digits` (l i64). */
export function testDecompose(t: u64, baseLog: u32, levels: u32, digits: usize): u64 {
  decomposeInto(t, baseLog, levels, digits, 8);
  return recompose(digits, baseLog, levels, 8);
}

/** GLWE round trip: encrypts plaintext poly under the client's GLWE key, writes the phase. */
export function testGlweEncryptPhase(keysPtr: usize, phaseOut: usize, plaintext: usize, maskSeed: usize): void {
  const keys = changetype<SecretKeys>(keysPtr);
  const p = changetype<Params>(keys.params);
  const N = p.polynomialSize;
  const ct = heap.alloc(<usize>(p.glweDimension + 1) * (<usize>N << 3));
  const scratch = heap.alloc(<usize>N << 3);
  streamInit(keys.maskStream, maskSeed, DOMAIN_GLWE_MASK, 0, 0);
  const plan = fftPlan(N);
  glweEncrypt(ct, keys.keyFourier, p.glweDimension, N, plaintext, keys.maskStream, keys.noiseStream, p.glweNoiseBound, plan, scratch);
  glwePhase(phaseOut, ct, keys.keyFourier, p.glweDimension, N, plan, scratch);
  heap.free(ct);
  heap.free(scratch);
}

/** Fast (SIMD) and scalar polynomial decompositions, for testing them against each other. */
export { decomposePolynomial, decomposePolynomialScalar } from "./torus";

/**
 * The phase of a small-key ciphertext after the mean-compensated modulus switch, in Z_2N:
 * b̃ − Σ ã_i s'_i mod 2N (client-side diagnostics: measures the switch noise).
 */
export function switchedPhase(keysPtr: usize, ct: usize): i32 {
  const keys = changetype<SecretKeys>(keysPtr);
  const p = changetype<Params>(keys.params);
  const n = p.lweDimension;
  const logTwoN = <u32>p.logPolynomialSize + 1;
  const mask = heap.alloc(<usize>n << 2);
  let phase = modulusSwitchCentered(ct, n, logTwoN, mask);
  for (let i = 0; i < n; i++) {
    if (load<u64>(keys.smallKey + (<usize>i << 3)) != 0) phase -= load<i32>(mask + (<usize>i << 2));
  }
  heap.free(mask);
  return phase & ((2 << p.logPolynomialSize) - 1);
}
