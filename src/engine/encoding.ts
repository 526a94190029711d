// How integers become torus plaintexts (SPEC §1). A message m of an encoding with modulus p and
// scale Δ is the plaintext m·Δ mod 2^64; decryption computes round(φ/Δ) mod p.
// - The default encoding of a set has p = message·carry and Δ = 2^63 / p: the top bit stays 0
//   (the "padding bit"), which is what lets a bootstrap evaluate ANY function of m.
// - A caller may choose another p and Δ within a set, e.g. a wide signed accumulator whose top
//   bits the bootstrap reads (the ML compiler does this).
import type { ParameterSet } from "./params.js";
import { InvalidArgumentError } from "./errors.js";

const TWO_64 = 1n << 64n;
const TWO_63 = 1n << 63n;

export interface Encoding {
  /** Number of distinct messages p. Messages are [0, p) or, if signed, [−p/2, p/2). */
  readonly modulus: number;
  /** Scale Δ, a power of two: message m is the plaintext m·Δ mod 2^64. */
  readonly delta: bigint;
  /** Whether decrypt returns values in [−p/2, p/2) rather than [0, p). */
  readonly signed: boolean;
}

export interface EncodingOptions {
  modulus: number;
  /** A power of two; defaults to 2^63 / modulus (one padding bit), rounded down to a power of two. */
  delta?: bigint;
  signed?: boolean;
}

export function makeEncoding(options: EncodingOptions): Encoding {
  const { modulus, signed = false } = options;
  if (!Number.isSafeInteger(modulus) || modulus < 2) {
    throw new InvalidArgumentError(`An encoding's modulus must be an integer ≥ 2, got ${modulus}.`);
  }
  const delta = options.delta ?? largestPowerOfTwoAtMost(TWO_63 / BigInt(modulus));
  if (delta < 1n || (delta & (delta - 1n)) !== 0n || delta * BigInt(modulus) > TWO_64) {
    throw new InvalidArgumentError(
      `Encoding modulus ${modulus} with Δ = ${delta} does not fit the torus: Δ must be a power of two with modulus·Δ ≤ 2^64.`,
    );
  }
  return Object.freeze({ modulus, delta, signed });
}

/** p = message·carry, Δ = 2^63/p: the set's default (tfhe-rs shortint) encoding. */
export function defaultEncoding(set: ParameterSet): Encoding {
  return makeEncoding({ modulus: set.messageModulus * set.carryModulus });
}

function largestPowerOfTwoAtMost(x: bigint): bigint {
  let p = 1n;
  while (p * 2n <= x) p *= 2n;
  return p;
}

/** m ↦ m·Δ mod 2^64 (negative m wrap, as two's complement). */
export function encodeMessage(message: number | bigint, encoding: Encoding): bigint {
  const m = typeof message === "bigint" ? message : BigInt(checkInteger(message));
  return BigInt.asUintN(64, m * encoding.delta);
}

/**
 * φ ↦ round(φ/Δ) mod p, signed if the encoding is. The rounding is taken on the whole circle of
 * 2^64/Δ steps and read as a signed step count first, so a 0 whose noise is slightly negative
 * decodes as 0 even when p does not divide 2^64/Δ (e.g. p = 3).
 */
export function decodePhase(phase: bigint, encoding: Encoding): number {
  const p = BigInt(encoding.modulus);
  const steps = TWO_64 / encoding.delta;
  let rounded = ((BigInt.asUintN(64, phase) + encoding.delta / 2n) / encoding.delta) % steps;
  if (rounded >= steps / 2n && steps > p) rounded -= steps; // the negative side of the circle
  let m = ((rounded % p) + p) % p;
  if (encoding.signed && m >= p / 2n) m -= p;
  return Number(m);
}

/** The signed distance from φ to the nearest encoding of `message` (noise measurement). */
export function phaseError(phase: bigint, message: number | bigint, encoding: Encoding): bigint {
  return BigInt.asIntN(64, phase - encodeMessage(message, encoding));
}

function checkInteger(m: number): number {
  if (!Number.isSafeInteger(m)) throw new InvalidArgumentError(`Messages are integers; got ${m}.`);
  return m;
}
