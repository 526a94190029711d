// Shared setup of the engine tests (engine-*.test.js): one engine per process, and per parameter
// set one client key, its evaluation keys and one evaluator, each made on first use and cached,
// so every set's keys are generated once per process (uvu runs all files in one process).
// Also: a seeded PRNG for random tables/messages and an assertion for typed errors.
import * as assert from "uvu/assert";
import { loadEngine, PARAMETER_SETS } from "blindml/engine";

/** Longer variants (more tables, more iterations, every bit flip) run with BLINDML_LONG_TESTS=1. */
export const LONG = process.env.BLINDML_LONG_TESTS === "1";

/** Seed of the test PRNG; override with BLINDML_TEST_SEED to explore other tables. */
export const TEST_SEED = Number(process.env.BLINDML_TEST_SEED ?? 0x5eed2024) >>> 0;

/** Every named set (1_1, 2_2, 3_3, 2_2_KS32, and any set added later). */
export const SET_NAMES = Object.keys(PARAMETER_SETS);

/** The engine every test file shares. */
export const engine = await loadEngine();

const clientKeyCache = new Map();
const evaluationKeyCache = new Map();
const evaluatorCache = new Map();

/** p = messageModulus·carryModulus: the number of messages of the set's default encoding. */
export function messageCount(name) {
  const set = PARAMETER_SETS[name];
  return set.messageModulus * set.carryModulus;
}

/** The cached client key of set `name`. */
export function clientKey(name) {
  let key = clientKeyCache.get(name);
  if (key === undefined) {
    key = engine.generateClientKey(PARAMETER_SETS[name]);
    clientKeyCache.set(name, key);
  }
  return key;
}

/** The cached (compressed) evaluation keys of clientKey(name). */
export function evaluationKeys(name) {
  let keys = evaluationKeyCache.get(name);
  if (keys === undefined) {
    keys = clientKey(name).generateEvaluationKeys();
    evaluationKeyCache.set(name, keys);
  }
  return keys;
}

/** The cached evaluator over evaluationKeys(name). */
export function evaluator(name) {
  let ev = evaluatorCache.get(name);
  if (ev === undefined) {
    ev = engine.createEvaluator(evaluationKeys(name));
    evaluatorCache.set(name, ev);
  }
  return ev;
}

/** Frees set `name`'s evaluator and drops its evaluation keys (3_3 holds ~2.4 GB). */
export function releaseEvaluator(name) {
  evaluatorCache.get(name)?.free();
  evaluatorCache.delete(name);
  evaluationKeyCache.delete(name);
}

/** mulberry32: a small deterministic PRNG (not for keys; for test tables and inputs). */
export function prng(seed = TEST_SEED) {
  let state = seed >>> 0;
  const u32 = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  /** An integer in [0, n) (n ≤ 2^16 here, so the modulo bias is below 2^-16). */
  const int = (n) => u32() % n;
  return {
    u32,
    int,
    /** `length` values in [0, range). */
    table: (length, range) => Array.from({ length }, () => int(range)),
    bytes: (length) => Uint8Array.from({ length }, () => u32() & 0xff),
  };
}

/** Non-negative remainder. */
export const mod = (a, m) => ((a % m) + m) % m;

/**
 * Runs `fn`, asserts it throws an instance of `ErrorClass` whose message matches every pattern
 * of `message`, and returns the error.
 */
export function throwsTyped(fn, ErrorClass, { message = [], label = "" } = {}) {
  let caught;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  const where = label ? `${label}: ` : "";
  if (caught === undefined) assert.unreachable(`${where}expected ${ErrorClass.name}, nothing was thrown`);
  if (!(caught instanceof ErrorClass)) {
    assert.unreachable(`${where}expected ${ErrorClass.name}, got ${caught?.name}: ${caught?.message}`);
  }
  for (const pattern of [].concat(message)) {
    assert.match(caught.message, pattern, `${where}message "${caught.message}" should match ${pattern}`);
  }
  return caught;
}

/** The signed 64-bit noise of `ct` around the encoding of `message`, as a bigint. */
export function noiseOf(ck, ct, message) {
  const encoded = BigInt.asUintN(64, BigInt(message) * ct.encoding.delta);
  return BigInt.asIntN(64, ck.phase(ct) - encoded);
}

export const abs = (x) => (x < 0n ? -x : x);
