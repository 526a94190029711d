// TFHE parameter sets: the named sets blindml ships, the 128-bit security
// check every set (named or custom) must pass, a fingerprint that identifies a
// set inside serialized objects, derived object sizes, and the noise model the
// ML compiler uses to budget noise.
//
// Units: noise variances are torus variances (the integer variance divided by
// q², q = 2^64); TUniform bounds are log2 of the integer half-range.

import { InsecureParametersError, InvalidArgumentError } from "./errors.js";

// ---------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------

/**
 * How the encryption noise of a key is drawn.
 * - TUniform(b): integers in [−2^b, 2^b], inner values with probability
 *   2^−(b+1), the two ends with 2^−(b+2) (tfhe-rs `t_uniform.rs`).
 * - Gaussian: standard deviation σ relative to the torus, given as log2 σ.
 */
export type NoiseDistribution =
  | { readonly kind: "tuniform"; readonly bound: number }
  | { readonly kind: "gaussian"; readonly log2StdDev: number };

/** Everything that defines one TFHE parameter set (KS-PBS order, q = 2^64). */
export interface ParameterSet {
  readonly name: string;
  /** n: dimension of the small LWE key (blind-rotation input). */
  readonly lweDimension: number;
  /** k: number of polynomials in the GLWE key. */
  readonly glweDimension: number;
  /** N: degree of the GLWE polynomials. */
  readonly polynomialSize: number;
  /** Noise of encryptions under the small LWE key (the keyswitch key). */
  readonly lweNoise: NoiseDistribution;
  /** Noise of encryptions under the GLWE key (bootstrapping key, fresh inputs). */
  readonly glweNoise: NoiseDistribution;
  readonly pbsBaseLog: number;
  readonly pbsLevel: number;
  readonly ksBaseLog: number;
  readonly ksLevel: number;
  readonly messageModulus: number;
  readonly carryModulus: number;
  /** Largest squared 2-norm of a linear combination allowed before a bootstrap. */
  readonly maxNormSquared: number;
  /** log2 of the failure probability per PBS as published for the set (NaN if none). */
  readonly log2PFail: number;
  readonly ciphertextModulusLog2: 64;
  /**
   * log2 of the keyswitch output modulus, which is also the modulus of the small-key (LWE)
   * ciphertexts and of lweNoise: 64, or 32 for tfhe-rs's KeySwitch32 sets. Absent means 64.
   */
  readonly ksOutputModulusLog2?: 64 | 32;
  /** Where the values come from (file and version). */
  readonly provenance: string;
}

/** The names of the parameter sets blindml ships. */
export type ParameterSetName = "1_1" | "2_2" | "3_3" | "2_2_KS32" | "2_2_L2";

// ---------------------------------------------------------------------------
// Named parameter sets
// ---------------------------------------------------------------------------

const TFHE_RS_SOURCE =
  "tfhe-rs 1.7, shortint/parameters/v1_4/classic/tuniform/p_fail_2_minus_128/ks_pbs.rs";

// The 4_4 set (n = 1117, k = 1, N = 65536, pbs level 3) is deliberately absent:
// its bootstrapping key in the Fourier domain takes n·l·(k+1)²·(N/2 complex
// f64 of 16 B) = 1117·3·4·65536·8 B = 7,027,556,352 B ≈ 7.0 GB, more than the
// 4 GiB (4,294,967,296 B) a wasm32 memory can address, before counting
// anything else.

/** The parameter sets blindml ships; values from tfhe-rs (see provenance). */
export const PARAMETER_SETS: Readonly<Record<ParameterSetName, ParameterSet>> = deepFreeze({
  "1_1": {
    name: "1_1",
    lweDimension: 879,
    glweDimension: 4,
    polynomialSize: 512,
    lweNoise: { kind: "tuniform", bound: 46 },
    glweNoise: { kind: "tuniform", bound: 17 },
    pbsBaseLog: 23,
    pbsLevel: 1,
    ksBaseLog: 5,
    ksLevel: 3,
    messageModulus: 2,
    carryModulus: 2,
    maxNormSquared: 3,
    log2PFail: -144.322,
    ciphertextModulusLog2: 64,
    provenance: `${TFHE_RS_SOURCE}: PARAM_MESSAGE_1_CARRY_1_KS_PBS_TUNIFORM_2M128`,
  },
  "2_2": {
    name: "2_2",
    lweDimension: 918,
    glweDimension: 1,
    polynomialSize: 2048,
    lweNoise: { kind: "tuniform", bound: 45 },
    glweNoise: { kind: "tuniform", bound: 17 },
    pbsBaseLog: 23,
    pbsLevel: 1,
    ksBaseLog: 4,
    ksLevel: 4,
    messageModulus: 4,
    carryModulus: 4,
    maxNormSquared: 5,
    log2PFail: -129.581,
    ciphertextModulusLog2: 64,
    provenance: `${TFHE_RS_SOURCE}: PARAM_MESSAGE_2_CARRY_2_KS_PBS_TUNIFORM_2M128 (tfhe-rs default)`,
  },
  "3_3": {
    name: "3_3",
    lweDimension: 1077,
    glweDimension: 1,
    polynomialSize: 8192,
    lweNoise: { kind: "tuniform", bound: 41 },
    glweNoise: { kind: "tuniform", bound: 3 },
    pbsBaseLog: 15,
    pbsLevel: 2,
    ksBaseLog: 4,
    ksLevel: 5,
    messageModulus: 8,
    carryModulus: 8,
    maxNormSquared: 9,
    log2PFail: -128.992,
    ciphertextModulusLog2: 64,
    provenance: `${TFHE_RS_SOURCE}: PARAM_MESSAGE_3_CARRY_3_KS_PBS_TUNIFORM_2M128`,
  },
  // 2_2 with a 2^32 keyswitch output: the KSK and small-key ciphertexts mod 2^32, lwe noise
  // TUniform(13) on that modulus (the same relative noise as TUniform(45) on 2^64). Half the
  // keyswitching key, four SIMD lanes per keyswitch product.
  "2_2_KS32": {
    name: "2_2_KS32",
    lweDimension: 918,
    glweDimension: 1,
    polynomialSize: 2048,
    lweNoise: { kind: "tuniform", bound: 13 },
    glweNoise: { kind: "tuniform", bound: 17 },
    pbsBaseLog: 23,
    pbsLevel: 1,
    ksBaseLog: 4,
    ksLevel: 4,
    messageModulus: 4,
    carryModulus: 4,
    maxNormSquared: 5,
    log2PFail: Number.NaN,
    ciphertextModulusLog2: 64,
    ksOutputModulusLog2: 32,
    provenance: "tfhe-rs 1.7, shortint/parameters/v1_7/ks32/…: 2_2 with lwe TUniform(13), keyswitch output modulus 2^32 (per REFERENCES.md)",
  },
  // 2_2 with a two-level bootstrap decomposition (base 2^15, as 3_3 uses): the same keys' sizes
  // and noise distributions, so the same security (decomposition parameters do not enter the
  // lattice estimate), and a PBS output noise 2^7.2 smaller (σ 2^−22.0 instead of 2^−14.8) for
  // about 1.6× the blind-rotation time. For circuits whose outputs sum many bootstrap outputs (an
  // MLP's logits), where 2_2's output noise would blur the result. p_fail at 2_2's message space
  // follows from pbsOutputVariance; it is far below 2_2's 2^−129.6, so none is claimed here.
  "2_2_L2": {
    name: "2_2_L2",
    lweDimension: 918,
    glweDimension: 1,
    polynomialSize: 2048,
    lweNoise: { kind: "tuniform", bound: 45 },
    glweNoise: { kind: "tuniform", bound: 17 },
    pbsBaseLog: 15,
    pbsLevel: 2,
    ksBaseLog: 4,
    ksLevel: 4,
    messageModulus: 4,
    carryModulus: 4,
    maxNormSquared: 5,
    log2PFail: Number.NaN,
    ciphertextModulusLog2: 64,
    provenance: `blindml: ${TFHE_RS_SOURCE} PARAM_MESSAGE_2_CARRY_2_KS_PBS_TUNIFORM_2M128 with pbs base_log/level 15/2 instead of 23/1`,
  },
});

/** log2 of the small-key modulus (the keyswitch output modulus): 64 unless a KS32 set. */
export function smallKeyModulusLog2(p: ParameterSet): number {
  return p.ksOutputModulusLog2 ?? 64;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    for (const field of Object.values(value)) deepFreeze(field);
    Object.freeze(value);
  }
  return value;
}

// ---------------------------------------------------------------------------
// Security check (128-bit bound)
// ---------------------------------------------------------------------------

/**
 * Linear fit of the minimal TUniform bound for 132-bit security, q = 2^64:
 * b_min = ceil(−0.025167785·dim + log2 q + 4.10067100000001).
 * Source: tfhe-rs `core_crypto/commons/noise_formulas/secure_noise.rs`,
 * `minimal_bound_for_132_bits_security_tuniform_impl` (commit a915e56).
 */
const TUNIFORM_SLOPE_PER_DIMENSION = -0.025167785;
const TUNIFORM_INTERCEPT = 4.10067100000001;

/**
 * The smallest TUniform bound accepted, whatever the dimension. For large
 * dimensions the linear fit above goes to zero and below (k·N = 8192 gives
 * −138). tfhe-rs's bound function then saturates at 0 (the `as u32` cast),
 * but its variance form (`minimal_variance_for_132_bits_security_tuniform_impl`,
 * same file) keeps the additive term 2^(4 − 2·log2 q), i.e. an integer
 * variance of 16 (σ = 4). TUniform(b) has integer variance (2^(2b+1)+1)/6:
 * b = 2 gives 5.5 < 16, b = 3 gives 21.5 ≥ 16, so the floor is b = 3 — the
 * bound tfhe-rs itself uses for the GLWE key of 3_3 and 4_4.
 */
export const TUNIFORM_BOUND_FLOOR = 3;

/**
 * Minimal Gaussian torus variance for 132-bit security (same source file,
 * `minimal_variance_for_132_bits_security_gaussian_impl`):
 * Var_min = 2^(4 − 2·log2 q) + 2^(5.31469187675068 − 0.0497829131652661·dim).
 */
const GAUSSIAN_INTERCEPT = 5.31469187675068;
const GAUSSIAN_SLOPE_PER_DIMENSION = -0.0497829131652661;

/** Security of one secret key: the noise it needs and the noise it has. */
export interface KeySecurity {
  /** LWE dimension of the key: n for the small key, k·N for the GLWE key. */
  readonly dimension: number;
  readonly noiseKind: NoiseDistribution["kind"];
  /** Minimal TUniform bound, or minimal log2 σ (torus) for Gaussian noise. */
  readonly required: number;
  /** The set's TUniform bound, or its log2 σ. */
  readonly actual: number;
  readonly secure: boolean;
}

export interface SecurityReport {
  readonly secure: boolean;
  /** The small LWE key (dimension n), protected by `lweNoise`. */
  readonly lwe: KeySecurity;
  /** The GLWE key seen as an LWE key (dimension k·N), protected by `glweNoise`. */
  readonly glwe: KeySecurity;
}

/** The minimal TUniform bound for 128-bit security of an LWE key of `dimension`. */
export function minimalTUniformBound(dimension: number, modulusLog2 = 64): number {
  const linearFit = Math.ceil(TUNIFORM_SLOPE_PER_DIMENSION * dimension + modulusLog2 + TUNIFORM_INTERCEPT);
  return Math.max(linearFit, TUNIFORM_BOUND_FLOOR);
}

/** The minimal log2 σ (torus) of Gaussian noise for 128-bit security at `dimension`. */
export function minimalGaussianLog2StdDev(dimension: number, modulusLog2 = 64): number {
  const minimalVariance =
    2 ** (4 - 2 * modulusLog2) + 2 ** (GAUSSIAN_INTERCEPT + GAUSSIAN_SLOPE_PER_DIMENSION * dimension);
  return Math.log2(minimalVariance) / 2;
}

function keySecurity(dimension: number, noise: NoiseDistribution, modulusLog2: number): KeySecurity {
  const [required, actual] =
    noise.kind === "tuniform"
      ? [minimalTUniformBound(dimension, modulusLog2), noise.bound]
      : [minimalGaussianLog2StdDev(dimension, modulusLog2), noise.log2StdDev];
  return { dimension, noiseKind: noise.kind, required, actual, secure: actual >= required };
}

/** Checks both secret keys of `p` against the 128-bit bound. */
export function securityCheck(p: ParameterSet): SecurityReport {
  const lwe = keySecurity(p.lweDimension, p.lweNoise, smallKeyModulusLog2(p));
  const glwe = keySecurity(p.glweDimension * p.polynomialSize, p.glweNoise, p.ciphertextModulusLog2);
  return { secure: lwe.secure && glwe.secure, lwe, glwe };
}

function describeShortfall(keyName: string, key: KeySecurity): string {
  const noun = key.noiseKind === "tuniform" ? "a TUniform noise bound" : "a Gaussian log2 σ";
  return `the ${keyName} key (dimension ${key.dimension}) needs ${noun} of at least ${key.required} but has ${key.actual}`;
}

// ---------------------------------------------------------------------------
// Structural validation and custom sets
// ---------------------------------------------------------------------------

const MIN_POLYNOMIAL_SIZE = 256;
const MAX_POLYNOMIAL_SIZE = 16384; // beyond this the keys outgrow wasm32 memory (see 4_4 above)
const MAX_LWE_DIMENSION = 16384;
const MAX_GLWE_DIMENSION = 16;

function isPowerOfTwo(x: number): boolean {
  // Math.log2 is exact on powers of two; bit tricks would break above 2^31.
  return Number.isSafeInteger(x) && x >= 1 && Number.isInteger(Math.log2(x));
}

function isIntegerIn(x: number, min: number, max: number): boolean {
  return Number.isInteger(x) && x >= min && x <= max;
}

function noiseProblems(field: string, noise: NoiseDistribution | undefined): string[] {
  if (noise === undefined || typeof noise !== "object") return [`${field} is missing`];
  if (noise.kind === "tuniform") {
    return isIntegerIn(noise.bound, 1, 61) ? [] : [`${field}.bound must be an integer in [1, 61] (the sampler's range)`];
  }
  if (noise.kind === "gaussian") {
    const ok = Number.isFinite(noise.log2StdDev) && noise.log2StdDev < 0 && noise.log2StdDev >= -64;
    return ok ? [] : [`${field}.log2StdDev must be a number in [-64, 0)`];
  }
  return [`${field}.kind must be "tuniform" or "gaussian"`];
}

/** Every structural problem of `p`, as sentences; empty if it is well formed. */
function structuralProblems(p: ParameterSet): string[] {
  const problems: string[] = [];
  const check = (ok: boolean, problem: string) => {
    if (!ok) problems.push(problem);
  };
  check(typeof p.name === "string" && p.name.length > 0, "name must be a non-empty string");
  check(p.ciphertextModulusLog2 === 64, "ciphertextModulusLog2 must be 64 (the only modulus supported)");
  check(p.ksOutputModulusLog2 === undefined || p.ksOutputModulusLog2 === 64 || p.ksOutputModulusLog2 === 32,
    "ksOutputModulusLog2 must be 64 or 32");
  check(isIntegerIn(p.lweDimension, 1, MAX_LWE_DIMENSION), `lweDimension must be an integer in [1, ${MAX_LWE_DIMENSION}]`);
  check(isIntegerIn(p.glweDimension, 1, MAX_GLWE_DIMENSION), `glweDimension must be an integer in [1, ${MAX_GLWE_DIMENSION}]`);
  check(
    isPowerOfTwo(p.polynomialSize) && p.polynomialSize >= MIN_POLYNOMIAL_SIZE && p.polynomialSize <= MAX_POLYNOMIAL_SIZE,
    `polynomialSize must be a power of two in [${MIN_POLYNOMIAL_SIZE}, ${MAX_POLYNOMIAL_SIZE}]`,
  );
  problems.push(...noiseProblems("lweNoise", p.lweNoise), ...noiseProblems("glweNoise", p.glweNoise));
  for (const [stage, baseLog, level] of [
    ["pbs", p.pbsBaseLog, p.pbsLevel],
    ["ks", p.ksBaseLog, p.ksLevel],
  ] as const) {
    check(isIntegerIn(baseLog, 1, 63), `${stage}BaseLog must be an integer in [1, 63]`);
    check(isIntegerIn(level, 1, 64), `${stage}Level must be an integer in [1, 64]`);
    // The decomposition keeps the top baseLog·level bits of a 64-bit value.
    check(baseLog * level <= 64, `${stage}BaseLog·${stage}Level must be at most 64 (the modulus has 64 bits)`);
  }
  // Bootstrap digits enter the f64 FFT as exact integers: |d| ≤ 2^(β−1) needs β ≤ 52.
  check(p.pbsBaseLog <= 52, "pbsBaseLog must be at most 52 (digits must be exact in an f64)");
  // The KS32 gadget q_out/B^j needs β·l ≤ 32, and its noise must fit the 32-bit sampler range.
  if (smallKeyModulusLog2(p) === 32) {
    check(p.ksBaseLog * p.ksLevel <= 32, "with a 2^32 keyswitch output, ksBaseLog·ksLevel must be at most 32");
    check(p.lweNoise.kind !== "tuniform" || p.lweNoise.bound <= 30, "with a 2^32 keyswitch output, lweNoise.bound must be at most 30");
  }
  // The modulus switch sums n rounding errors of up to 2^(63 − log2 2N) in an i64: n < 2N.
  check(p.lweDimension < 2 * p.polynomialSize, "lweDimension must be below 2·polynomialSize (modulus-switch error sum)");
  check(isPowerOfTwo(p.messageModulus) && p.messageModulus >= 2, "messageModulus must be a power of two ≥ 2");
  check(isPowerOfTwo(p.carryModulus), "carryModulus must be a power of two ≥ 1");
  // Each of the message·carry values needs at least one slot of the N-slot
  // lookup table (the padding bit takes the other half of the 2N rotations).
  check(
    p.messageModulus * p.carryModulus <= p.polynomialSize,
    "messageModulus·carryModulus must be at most polynomialSize",
  );
  check(Number.isInteger(p.maxNormSquared) && p.maxNormSquared >= 1, "maxNormSquared must be an integer ≥ 1");
  check(Number.isNaN(p.log2PFail) || p.log2PFail <= 0, "log2PFail must be ≤ 0 (or NaN when not published)");
  check(typeof p.provenance === "string", "provenance must be a string");
  return problems;
}

/**
 * Throws InvalidArgumentError if `p` is malformed, InsecureParametersError if
 * it is below the 128-bit bound; returns the security report otherwise.
 */
export function validateParameterSet(p: ParameterSet): SecurityReport {
  const problems = structuralProblems(p);
  if (problems.length > 0) {
    throw new InvalidArgumentError(`Parameter set "${String(p.name)}" is malformed: ${problems.join("; ")}.`);
  }
  const report = securityCheck(p);
  if (!report.secure) {
    const shortfalls: string[] = [];
    if (!report.lwe.secure) shortfalls.push(describeShortfall("LWE", report.lwe));
    if (!report.glwe.secure) shortfalls.push(describeShortfall("GLWE", report.glwe));
    throw new InsecureParametersError(
      `Parameter set "${p.name}" is below the 128-bit security bound: ${shortfalls.join("; ")}. ` +
        `Raise the noise to the required bound or use a named set from PARAMETER_SETS.`,
    );
  }
  return report;
}

/** The fields a caller gives for a custom set; publication metadata is optional. */
export type ParameterSetFields = Omit<ParameterSet, "ciphertextModulusLog2" | "log2PFail" | "provenance"> & {
  readonly log2PFail?: number;
  readonly provenance?: string;
  readonly ciphertextModulusLog2?: 64;
};

/** Validates a custom parameter set (structure, then security) and returns it frozen. */
export function customParameterSet(fields: ParameterSetFields): ParameterSet {
  // Copy only the known fields so that extra properties never travel along;
  // the noise objects are copied too so the caller's objects stay unfrozen.
  const set: ParameterSet = {
    name: fields.name,
    lweDimension: fields.lweDimension,
    glweDimension: fields.glweDimension,
    polynomialSize: fields.polynomialSize,
    lweNoise: { ...fields.lweNoise },
    glweNoise: { ...fields.glweNoise },
    pbsBaseLog: fields.pbsBaseLog,
    pbsLevel: fields.pbsLevel,
    ksBaseLog: fields.ksBaseLog,
    ksLevel: fields.ksLevel,
    messageModulus: fields.messageModulus,
    carryModulus: fields.carryModulus,
    maxNormSquared: fields.maxNormSquared,
    log2PFail: fields.log2PFail ?? Number.NaN,
    ciphertextModulusLog2: fields.ciphertextModulusLog2 ?? 64,
    ...(fields.ksOutputModulusLog2 === 32 ? { ksOutputModulusLog2: 32 as const } : {}),
    provenance: fields.provenance ?? "custom",
  };
  validateParameterSet(set);
  return deepFreeze(set);
}

// ---------------------------------------------------------------------------
// Fingerprint
// ---------------------------------------------------------------------------

/** Prefixed to the canonical bytes so the hash is specific to this use and layout. */
const FINGERPRINT_DOMAIN = "blindml/parameter-set/v1";
const NOISE_TAG = { tuniform: 1, gaussian: 2 } as const;

/**
 * The canonical byte encoding of every field that decides whether two objects
 * can be used together (name, provenance and the published p_fail do not):
 *   ASCII FINGERPRINT_DOMAIN,
 *   u32 LE: n, k, N, pbsBaseLog, pbsLevel, ksBaseLog, ksLevel,
 *           messageModulus, carryModulus, maxNormSquared, ciphertextModulusLog2,
 *   lweNoise then glweNoise, each as u8 tag (1 TUniform, 2 Gaussian) and
 *           f64 LE value (the bound, or log2 σ).
 */
export function canonicalParameterBytes(p: ParameterSet): Uint8Array {
  const domain = new TextEncoder().encode(FINGERPRINT_DOMAIN);
  const integers = [
    p.lweDimension, p.glweDimension, p.polynomialSize,
    p.pbsBaseLog, p.pbsLevel, p.ksBaseLog, p.ksLevel,
    p.messageModulus, p.carryModulus, p.maxNormSquared, p.ciphertextModulusLog2,
  ];
  const bytes = new Uint8Array(domain.length + integers.length * 4 + 2 * 9);
  const view = new DataView(bytes.buffer);
  bytes.set(domain, 0);
  let offset = domain.length;
  for (const value of integers) {
    view.setUint32(offset, value, true);
    offset += 4;
  }
  for (const noise of [p.lweNoise, p.glweNoise]) {
    view.setUint8(offset, NOISE_TAG[noise.kind]);
    view.setFloat64(offset + 1, noise.kind === "tuniform" ? noise.bound : noise.log2StdDev, true);
    offset += 9;
  }
  // Sets with a 2^32 keyswitch output append it (u32); 2^64 sets omit it, so their fingerprints
  // are those of format version 1 without the field.
  if (smallKeyModulusLog2(p) === 64) return bytes;
  const extended = new Uint8Array(bytes.length + 4);
  extended.set(bytes);
  new DataView(extended.buffer).setUint32(bytes.length, smallKeyModulusLog2(p), true);
  return extended;
}

// FNV-1a, 64-bit (Fowler–Noll–Vo; constants from the FNV reference,
// draft-eastlake-fnv): for each byte, hash ^= byte, then hash *= prime mod 2^64.
const FNV64_OFFSET_BASIS = 0xcbf29ce484222325n;
const FNV64_PRIME = 0x100000001b3n;
const U64_MASK = 0xffffffffffffffffn;

/** FNV-1a 64 of `bytes`. An identifier, not a cryptographic hash. */
export function fnv1a64(bytes: Uint8Array): bigint {
  let hash = FNV64_OFFSET_BASIS;
  for (const byte of bytes) {
    hash = ((hash ^ BigInt(byte)) * FNV64_PRIME) & U64_MASK;
  }
  return hash;
}

/** Bytes in a parameter fingerprint. */
export const FINGERPRINT_BYTES = 8;

/**
 * The 8-byte identifier of a parameter set written into every serialized
 * object: FNV-1a 64 of canonicalParameterBytes(p), stored as u64 little-endian.
 * It catches accidental mix-ups; it does not protect against forgery.
 */
export function parameterFingerprint(p: ParameterSet): Uint8Array {
  const fingerprint = new Uint8Array(FINGERPRINT_BYTES);
  new DataView(fingerprint.buffer).setBigUint64(0, fnv1a64(canonicalParameterBytes(p)), true);
  return fingerprint;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/** The named set whose fingerprint is `fingerprint`, or undefined. */
export function parameterSetByFingerprint(fingerprint: Uint8Array): ParameterSet | undefined {
  return Object.values(PARAMETER_SETS).find((set) => sameBytes(parameterFingerprint(set), fingerprint));
}

// ---------------------------------------------------------------------------
// Derived sizes
// ---------------------------------------------------------------------------

const U64_BYTES = 8;

/** Sizes in bytes of the objects a parameter set produces (bodies only, no seeds or headers). */
export interface DerivedSizes {
  /** LWE ciphertext under the big key (flattened GLWE key): (k·N + 1)·8. */
  readonly bigKeyCiphertextBytes: number;
  /** LWE ciphertext under the small key: (n + 1)·8. */
  readonly smallKeyCiphertextBytes: number;
  /** Bootstrapping key, n GGSW ciphertexts: n·l·(k+1)²·N·8. */
  readonly bootstrapKeyBytes: number;
  /** Seeded bootstrapping key (masks regenerated from a seed): n·l·(k+1)·N·8. */
  readonly seededBootstrapKeyBytes: number;
  /** Bootstrapping key in the Fourier domain: N/2 complex f64 (16 B) per polynomial = n·l·(k+1)²·N·8. */
  readonly fourierBootstrapKeyBytes: number;
  /** Keyswitching key as generated: k·N·ks_l LWE ciphertexts of n+1 words: kN·ks_l·(n+1)·8 (the
   *  evaluator keeps it in 4-byte words: half that for a 64-bit set, assembly/keyswitch.ts). */
  readonly keyswitchKeyBytes: number;
  /** Seeded keyswitching key (bodies only): kN·ks_l·8. */
  readonly seededKeyswitchKeyBytes: number;
}

/** Object sizes of `p` (formulas from the layouts, see REFERENCES.md "Sizes"). */
export function derivedSizes(p: ParameterSet): DerivedSizes {
  const kskWordBytes = smallKeyModulusLog2(p) / 8; // u64, or u32 for a 2^32 keyswitch output
  const { lweDimension: n, glweDimension: k, polynomialSize: N, pbsLevel, ksLevel } = p;
  const bigKeyDimension = k * N;
  const ggswPolynomials = pbsLevel * (k + 1) * (k + 1);
  return {
    bigKeyCiphertextBytes: (bigKeyDimension + 1) * U64_BYTES,
    smallKeyCiphertextBytes: (n + 1) * U64_BYTES,
    bootstrapKeyBytes: n * ggswPolynomials * N * U64_BYTES,
    seededBootstrapKeyBytes: n * pbsLevel * (k + 1) * N * U64_BYTES,
    fourierBootstrapKeyBytes: n * ggswPolynomials * (N / 2) * 16,
    keyswitchKeyBytes: bigKeyDimension * ksLevel * (n + 1) * kskWordBytes,
    seededKeyswitchKeyBytes: bigKeyDimension * ksLevel * kskWordBytes,
  };
}

// ---------------------------------------------------------------------------
// Noise model (torus variances; formulas from REFERENCES.md, after tfhe-rs
// `core_crypto/commons/noise_formulas/`; q = 2^64, B = 2^baseLog)
// ---------------------------------------------------------------------------

/** q⁻² for q = 2^64. */
const INVERSE_MODULUS_SQUARED = 2 ** -128;

/** Integer variance of TUniform(b): (2^(2b+1) + 1)/6 (tfhe-rs `t_uniform.rs`). */
export function tUniformIntegerVariance(bound: number): number {
  return (2 ** (2 * bound + 1) + 1) / 6;
}

/**
 * Torus variance of fresh encryption noise.
 * TUniform(b): (2^(2b+1) + 1)/6 / q². Gaussian: σ² = 2^(2·log2σ).
 */
export function freshLweVariance(dist: NoiseDistribution, modulusLog2 = 64): number {
  return dist.kind === "tuniform"
    ? tUniformIntegerVariance(dist.bound) * 2 ** (-2 * modulusLog2)
    : 2 ** (2 * dist.log2StdDev);
}

/** Variance of one balanced decomposition digit in base B: B²/12 + 1/6. */
function digitVariance(base: number): number {
  return (base * base) / 12 + 1 / 6;
}

/** log2 of the modulus the evaluator keyswitches in: always 2^32 (assembly/keyswitch.ts). */
export const KEYSWITCH_EVALUATION_MODULUS_LOG2 = 32;

/**
 * Additive variance of the keyswitch from the big key (n_in = k·N) to the small key, as the
 * evaluator computes it, with σ²_ksk = freshLweVariance(lweNoise), B = 2^ksBaseLog, l = ksLevel:
 *   l·n_in·σ²_ksk·(B²/12 + 1/6) + n_in·(q⁻²/48 + B^(−2l)/24) − q⁻²/12 + 2^−64/12
 *   + keyswitchKeyNarrowingVariance(p)
 * (the output lands mod 2^32: b rounded to 2^32, 2^−64/12; a 64-bit key is narrowed to 32 bits).
 */
export function keyswitchVariance(p: ParameterSet): number {
  const inputDimension = p.glweDimension * p.polynomialSize;
  const base = 2 ** p.ksBaseLog;
  const level = p.ksLevel;
  const keyNoise = freshLweVariance(p.lweNoise, smallKeyModulusLog2(p));
  return (
    level * inputDimension * keyNoise * digitVariance(base) +
    inputDimension * (INVERSE_MODULUS_SQUARED / 48 + base ** (-2 * level) / 24) -
    INVERSE_MODULUS_SQUARED / 12 +
    2 ** (-2 * KEYSWITCH_EVALUATION_MODULUS_LOG2) / 12 +
    keyswitchKeyNarrowingVariance(p)
  );
}

/**
 * What narrowing a 64-bit keyswitching key to 32-bit words adds (0 for a KS32 set's native key):
 * each word is off by a rounding error of torus variance 2^−64/12, which reaches the phase as
 * d·(ε_body − Σ_i ε_i·s′_i) per row: l·n_in·(B²/12 + 1/6)·(1 + n/2)·2^−64/12 (binary s′: E[s′²] = ½).
 */
export function keyswitchKeyNarrowingVariance(p: ParameterSet): number {
  if (smallKeyModulusLog2(p) === KEYSWITCH_EVALUATION_MODULUS_LOG2) return 0;
  const rows = p.ksLevel * p.glweDimension * p.polynomialSize;
  return rows * digitVariance(2 ** p.ksBaseLog) * (1 + p.lweDimension / 2) * (2 ** -64 / 12);
}

/**
 * Variance of the mean-compensated modulus switch to 2N (assembly/modulus_switch.ts):
 * (n/48 + 1/12)·(2N)^−2. The mask's rounding errors e_i ~ U[−½, ½) (units of 1/2N) meet the key
 * only through Σ e_i (s_i − ½) once the public part ½·Σ e_i is subtracted from the body, and
 * (s_i − ½)² = ¼ for a binary key: n·(1/12)·(1/4); the body's own rounding adds 1/12.
 * (The plain switch, tfhe-rs's formula n·(q^−2/48 + (2N)^−2/24) − q^−2/12 + (2N)^−2/12, is
 * plainModulusSwitchVariance.)
 */
export function modulusSwitchVariance(p: ParameterSet): number {
  const inverseTwoNSquared = (2 * p.polynomialSize) ** -2;
  return (p.lweDimension / 48 + 1 / 12) * inverseTwoNSquared;
}

/** The plain (uncompensated) switch, as tfhe-rs's noise formulas give it (for comparison). */
export function plainModulusSwitchVariance(p: ParameterSet): number {
  const inverseTwoNSquared = (2 * p.polynomialSize) ** -2;
  return (
    p.lweDimension * (INVERSE_MODULUS_SQUARED / 48 + inverseTwoNSquared / 24) -
    INVERSE_MODULUS_SQUARED / 12 +
    inverseTwoNSquared / 12
  );
}

/** Mantissa bits of an f64; the FFT error grows once log2 q exceeds it. */
const F64_MANTISSA_BITS = 53;

/**
 * FFT-error coefficient of this engine's negacyclic FFT (assembly/fft.ts) in tfhe-rs's fitted
 * form below. tfhe-rs's own fit is 0.00705. Ours is calibrated on the measured PBS output variance
 * (test/noise.test.js method) over several keys — 6 / 10 / 8 / 3 keys, 13,440 / 148,800 / 79,360 /
 * 45,720 samples for 1_1 / 2_2 / 2_2_L2 / 3_3 (2026-11-24) — minus the model's key-noise and
 * decomposition terms: the FFT part needs ×1.07 / ×1.12 / ×1.41 / ×1.10 of the earlier one-key fit
 * (0.00705·1.24). ×1.12 puts 1_1, 2_2 and 3_3 at measured/model 0.989 / 1.001 / 0.991 (docs/SPEC.md
 * §5.5); 2_2_L2 gets its own measured factor (pbsVarianceExcess).
 */
export const FFT_ERROR_COEFFICIENT = 0.00705 * 1.24 * 1.12;

/**
 * Output variance of a PBS (blind rotation over n GGSW products, f64 FFT),
 * with σ²_bsk = freshLweVariance(glweNoise), B = 2^pbsBaseLog, l = pbsLevel, c = FFT_ERROR_COEFFICIENT:
 *   n·[ c·2^(2·max(0, log2q − 53) + 2·log2B − 2·log2q)·l^1.01827·k^1.22003·N^2.22003·(k+1)^1.01827
 *       + l·N·σ²_bsk·(B²/12 + 1/6)·(k+1) − q⁻²/24 + ½·k·N·(q⁻²/48 + B^(−2l)/24) + B^(−2l)/24 ].
 * The first term is the FFT rounding error (an empirical fit; tfhe-rs's form, our coefficient).
 */
export function pbsOutputVariance(p: ParameterSet): number {
  const { lweDimension: n, glweDimension: k, polynomialSize: N, pbsLevel: level } = p;
  const modulusLog2 = p.ciphertextModulusLog2;
  const base = 2 ** p.pbsBaseLog;
  const fftError =
    FFT_ERROR_COEFFICIENT *
    2 ** (2 * Math.max(0, modulusLog2 - F64_MANTISSA_BITS) + 2 * p.pbsBaseLog - 2 * modulusLog2) *
    level ** 1.01827 *
    k ** 1.22003 *
    N ** 2.22003 *
    (k + 1) ** 1.01827;
  const keyNoise = level * N * freshLweVariance(p.glweNoise) * digitVariance(base) * (k + 1);
  const decompositionError = base ** (-2 * level) / 24;
  const perStep =
    fftError +
    keyNoise -
    INVERSE_MODULUS_SQUARED / 24 +
    0.5 * k * N * (INVERSE_MODULUS_SQUARED / 48 + decompositionError) +
    decompositionError;
  return n * perStep * pbsVarianceExcess(p);
}

/**
 * 2_2_L2's measured PBS variance stays 5 % above the formula with the common constant (1.051 ±
 * 0.023; its FFT part alone would need ×1.41 where 3_3, also two-level, needs ×1.10: tfhe-rs's
 * functional form does not capture it), so its model is scaled by that measured excess — better
 * high than low. Matched on the parameters (fingerprint), not the name; every other set, and any
 * custom one, uses the formula as it is.
 */
const PBS_VARIANCE_EXCESS = new Map<string, number>([["2_2_L2", 1.05]]);
let excessByFingerprint: Map<bigint, number> | undefined;

function pbsVarianceExcess(p: ParameterSet): number {
  excessByFingerprint ??= new Map([...PBS_VARIANCE_EXCESS].map(([name, factor]) => [fingerprintValue(PARAMETER_SETS[name as ParameterSetName]), factor]));
  return excessByFingerprint.get(fingerprintValue(p)) ?? 1;
}

function fingerprintValue(p: ParameterSet): bigint {
  return new DataView(parameterFingerprint(p).buffer).getBigUint64(0, true);
}

// ---------------------------------------------------------------------------
// Failure probability (Gaussian tail)
// ---------------------------------------------------------------------------

const LOG2_SQRT_PI = Math.log2(Math.PI) / 2;
/** Below this x the power series is used, above it the continued fraction. */
const ERFC_SERIES_LIMIT = 2;
const ERFC_MAX_TERMS = 2000;

/**
 * erf(x) for 0 ≤ x < 2 by the all-positive series (Abramowitz & Stegun 7.1.6)
 *   erf(x) = (2/√π)·e^(−x²)·Σ_{j≥0} 2^j·x^(2j+1) / (1·3·…·(2j+1)),
 * whose terms never cancel; relative error near machine precision.
 */
function erfBySeries(x: number): number {
  let term = x;
  let sum = x;
  for (let j = 1; j < ERFC_MAX_TERMS && term > sum * 1e-17; j++) {
    term *= (2 * x * x) / (2 * j + 1);
    sum += term;
  }
  return (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x) * sum;
}

/**
 * log2 of the continued-fraction part of erfc for x ≥ 2 (A&S 7.1.14):
 *   erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))),
 * evaluated by the modified Lentz method to relative 1e-16. The e^(−x²)
 * factor stays in log space so tails far below 2^−1074 are still exact.
 */
function log2ContinuedFraction(x: number): number {
  const tiny = 1e-300;
  let value = x;
  let c = x;
  let d = 0;
  for (let j = 1; j < ERFC_MAX_TERMS; j++) {
    const numerator = j / 2;
    d = x + numerator * d;
    d = 1 / (d === 0 ? tiny : d);
    c = x + numerator / c;
    if (c === 0) c = tiny;
    const delta = c * d;
    value *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return -Math.log2(value);
}

/** log2 erfc(x) for any real x, accurate to ~1e-15 relative (far better than the 1e-7 needed). */
export function log2Erfc(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x < 0) return Math.log2(2 - 2 ** log2Erfc(-x)); // erfc(−x) = 2 − erfc(x)
  if (x < ERFC_SERIES_LIMIT) return Math.log2(1 - erfBySeries(x));
  return -x * x * Math.LOG2E - LOG2_SQRT_PI + log2ContinuedFraction(x);
}

/** The complementary error function erfc(x) = 1 − erf(x). */
export function erfc(x: number): number {
  return 2 ** log2Erfc(x);
}

/**
 * log2 of the failure probability of one bootstrap in this engine's model: its input is a linear
 * combination of PBS outputs with squared 2-norm ν (default the set's maxNormSquared), then a
 * keyswitch and the mean-compensated modulus switch; it fails when that noise leaves the half
 * box Δ/2 = 2^63/(2p) of the default encoding (p = message·carry):
 *   Var = ν·Var_PBS + Var_KS + Var_MS,   p_fail = erfc( (1/(4p)) / sqrt(2·Var) ).
 */
export function log2PFailPerBootstrap(p: ParameterSet, normSquared = p.maxNormSquared): number {
  const variance = normSquared * pbsOutputVariance(p) + keyswitchVariance(p) + modulusSwitchVariance(p);
  const halfBox = 1 / (4 * p.messageModulus * p.carryModulus);
  return log2PFailFromVariance(variance, halfBox);
}

/**
 * log2 of the probability that centred Gaussian noise of torus variance
 * `variance` falls outside ±deltaHalfWidth (two-sided tail):
 *   P = erfc(deltaHalfWidth / √(2·variance)).
 */
export function log2PFailFromVariance(variance: number, deltaHalfWidth: number): number {
  if (!(variance > 0) || !(deltaHalfWidth > 0)) {
    throw new InvalidArgumentError("variance and deltaHalfWidth must both be positive numbers.");
  }
  return log2Erfc(deltaHalfWidth / Math.sqrt(2 * variance));
}

/** The same probability as a plain number (underflows to 0 below 2^−1074). */
export function pFailFromVariance(variance: number, deltaHalfWidth: number): number {
  return 2 ** log2PFailFromVariance(variance, deltaHalfWidth);
}
