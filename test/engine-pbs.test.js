// Programmable bootstrapping: random lookup tables over every message of every set, keyswitch
// alone, PBS alone, chains, many-LUT, custom and signed encodings, and the output noise against
// the noise model the compiler budgets with.
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  PARAMETER_SETS, makeEncoding, pbsOutputVariance, keyswitchVariance, keyswitchKeyNarrowingVariance,
  InvalidArgumentError, ParameterMismatchError,
} from "blindml/engine";
import {
  LONG, TEST_SEED, engine, SET_NAMES, clientKey, evaluator, releaseEvaluator, messageCount, prng, mod, noiseOf, abs, throwsTyped,
} from "./helpers.js";

const rand = prng(TEST_SEED ^ 0x9b5);

/**
 * Bootstraps a fresh encryption of every message through every table; returns the failures
 * (so one run reports all of them) and the output noise samples.
 */
function bootstrapAll(name, tables, messages = null) {
  const ck = clientKey(name);
  const ev = evaluator(name);
  const p = messageCount(name);
  const failures = [];
  const noise = [];
  tables.forEach((table, t) => {
    const lut = ev.lookupTable((x) => table[x]);
    const inputs = messages === null ? Array.from({ length: p }, (_, m) => m) : messages[t];
    for (const m of inputs) {
      const ct = ck.encrypt(m);
      const out = ev.bootstrap(ct, lut);
      const got = ck.decrypt(out);
      if (got !== table[m]) failures.push({ table: t, m, expected: table[m], got });
      else noise.push(noiseOf(ck, out, table[m]));
      ct.free();
      out.free();
    }
    lut.free();
  });
  return { failures, noise };
}

/** Asserts the noise samples stay within the model: σ̂ ≤ 1.5·σ and every |e| ≤ 8·σ. */
function assertNoiseWithin(samples, variance, label) {
  const sigma = Math.sqrt(variance) * 2 ** 64;
  const measured = Math.sqrt(samples.reduce((s, e) => s + Number(e) ** 2, 0) / samples.length);
  const worst = samples.reduce((w, e) => (abs(e) > w ? abs(e) : w), 0n);
  assert.ok(
    measured <= 1.5 * sigma,
    `${label}: measured noise σ = 2^${Math.log2(measured).toFixed(2)} exceeds 1.5 × model σ = 2^${Math.log2(sigma).toFixed(2)}`,
  );
  assert.ok(
    Number(worst) <= 8 * sigma,
    `${label}: worst |noise| = 2^${Math.log2(Number(worst)).toFixed(2)} exceeds 8 × model σ = 2^${Math.log2(sigma).toFixed(2)}`,
  );
}

test("2_2: every message through 13 random tables (208 bootstraps), noise within the model", () => {
  const tableCount = LONG ? 64 : 13;
  const tables = Array.from({ length: tableCount }, () => rand.table(16, 16));
  const { failures, noise } = bootstrapAll("2_2", tables);
  assert.equal(failures, [], `seed ${TEST_SEED}: wrong bootstrap outputs`);
  assert.is(noise.length, 16 * tableCount);
  assertNoiseWithin(noise, pbsOutputVariance(PARAMETER_SETS["2_2"]), "2_2 PBS output");
});

test("2_2: functions with negative or ≥ p values wrap modulo p", () => {
  const ck = clientKey("2_2");
  const ev = evaluator("2_2");
  const lut = ev.lookupTable((x) => 3 - x - 32);
  const got = Array.from({ length: 16 }, (_, m) => ck.decrypt(ev.bootstrap(ck.encrypt(m), lut)));
  assert.equal(got, Array.from({ length: 16 }, (_, m) => mod(3 - m, 16)));
});

/** The sets other than 2_2 and 3_3 (tested in depth here): 1_1, 2_2_KS32 and any later set. */
const OTHER_SETS = SET_NAMES.filter((name) => name !== "2_2" && name !== "3_3");
/** Every set but 3_3, whose bootstraps cost ~0.4 s each. */
const FAST_SETS = SET_NAMES.filter((name) => name !== "3_3");

for (const name of OTHER_SETS) {
  test(`${name}: every message through 3 random tables`, () => {
    const p = messageCount(name);
    const tables = Array.from({ length: LONG ? 32 : 3 }, () => rand.table(p, p));
    const { failures } = bootstrapAll(name, tables);
    assert.equal(failures, [], `seed ${TEST_SEED}: wrong bootstrap outputs`);
  });
}

test(`keyswitch alone gives a small-key ciphertext of the same message, noise within the model (${FAST_SETS.join(", ")})`, () => {
  for (const name of FAST_SETS) {
    const ck = clientKey(name);
    const ev = evaluator(name);
    const set = PARAMETER_SETS[name];
    const p = messageCount(name);
    const noise = [];
    const wrong = [];
    for (let i = 0; i < 96; i++) {
      const m = i % p;
      const small = ev.keyswitch(ck.encrypt(m));
      assert.is(small.keyKind, "small");
      assert.is(small.dimension, set.lweDimension);
      const got = ck.decrypt(small);
      if (got !== m) wrong.push({ m, got });
      noise.push(noiseOf(ck, small, m));
      small.free();
    }
    assert.equal(wrong, [], name);
    assertNoiseWithin(noise, keyswitchVariance(set), `${name} keyswitch output`);
  }
});

test("the evaluator's narrowed 32-bit keyswitch agrees with the 64-bit reference on the full key (2_2, 1_1)", () => {
  const samples = 64;
  for (const name of ["2_2", "1_1"]) {
    const ck = clientKey(name);
    const set = PARAMETER_SETS[name];
    const wasm = engine.core.wasm;
    const inWords = set.glweDimension * set.polynomialSize + 1, outWords = set.lweDimension + 1;
    const seed = wasm.alloc(32), inputs = wasm.alloc(samples * inWords * 8);
    const narrow = wasm.alloc(samples * outWords * 8), wide = wasm.alloc(samples * outWords * 8);
    try {
      engine.core.bytes(seed, 32).set(crypto.getRandomValues(new Uint8Array(32)));
      for (let i = 0; i < samples; i++) {
        const ct = ck.encrypt(i % messageCount(name));
        engine.core.bytes(inputs + i * inWords * 8, inWords * 8).set(engine.core.bytes(ct.pointer, inWords * 8));
        ct.free();
      }
      wasm.testKeyswitchNarrowAndWide(ck.pointer, seed, inputs, samples, narrow, wide);
      const differences = [];
      for (let i = 0; i < samples; i++) {
        const a = narrow + i * outWords * 8, b = wide + i * outWords * 8;
        differences.push(Number(BigInt.asIntN(64, wasm.phaseSmall(ck.pointer, a) - wasm.phaseSmall(ck.pointer, b))) / 2 ** 64);
      }
      // the two differ only by the narrowing noise: mean ≈ 0, variance ≈ Var_ν (2^−41.3 for 2_2,
      // 2^−39.8 for 1_1; the keyswitch's own noise, 2^−22 and more, is common to both and cancels)
      const model = keyswitchKeyNarrowingVariance(set);
      const mean = differences.reduce((s, d) => s + d, 0) / samples;
      const variance = differences.reduce((s, d) => s + d * d, 0) / samples;
      assert.ok(Math.abs(mean) < 4 * Math.sqrt(model / samples), `${name}: mean difference ${mean}`);
      assert.ok(variance > 0.5 * model && variance < 1.8 * model, `${name}: variance 2^${Math.log2(variance).toFixed(2)} vs Var_ν 2^${Math.log2(model).toFixed(2)}`);
    } finally {
      for (const ptr of [seed, inputs, narrow, wide]) wasm.dealloc(ptr);
    }
  }
});

test(`bootstrapSmall (PBS without keyswitch) on encryptSmall inputs (${FAST_SETS.join(", ")})`, () => {
  for (const name of FAST_SETS) {
    const ck = clientKey(name);
    const ev = evaluator(name);
    const p = messageCount(name);
    const table = rand.table(p, p);
    const lut = ev.lookupTable((x) => table[x]);
    const got = [];
    for (let m = 0; m < p; m++) {
      const out = ev.bootstrapSmall(ck.encryptSmall(m), lut);
      assert.is(out.keyKind, "big");
      got.push(ck.decrypt(out));
    }
    assert.equal(got, table, `${name}: table ${table}`);
  }
});

test("bootstrap and bootstrapSmall reject the wrong key kind; tables of another set are refused", () => {
  const ck = clientKey("2_2");
  const ev = evaluator("2_2");
  const lut = ev.lookupTable((x) => x);
  throwsTyped(() => ev.bootstrap(ck.encryptSmall(1), lut), InvalidArgumentError, { message: /big-key/ });
  throwsTyped(() => ev.bootstrapSmall(ck.encrypt(1), lut), InvalidArgumentError, { message: /small-key/ });
  throwsTyped(() => ev.keyswitch(ck.encryptSmall(1)), InvalidArgumentError, { message: /big-key/ });
  const lut11 = evaluator("1_1").lookupTable((x) => x);
  throwsTyped(() => ev.bootstrap(ck.encrypt(1), lut11), ParameterMismatchError, { message: [/1_1/, /2_2/] });
  throwsTyped(() => ev.bootstrap(clientKey("1_1").encrypt(1), lut), ParameterMismatchError, { message: [/1_1/, /2_2/] });
  throwsTyped(() => ev.lookupTable((x) => x / 2), InvalidArgumentError, { message: /integers/ });
});

test("2_2: a PBS output bootstraps again (chain of 3, every message)", () => {
  const ck = clientKey("2_2");
  const ev = evaluator("2_2");
  const tables = [rand.table(16, 16), rand.table(16, 16), rand.table(16, 16)];
  const luts = tables.map((t) => ev.lookupTable((x) => t[x]));
  const wrong = [];
  for (let m = 0; m < 16; m++) {
    let ct = ck.encrypt(m);
    let expected = m;
    for (let stage = 0; stage < 3; stage++) {
      const next = ev.bootstrap(ct, luts[stage]);
      ct.free();
      ct = next;
      expected = tables[stage][expected];
      const got = ck.decrypt(ct);
      if (got !== expected) wrong.push({ m, stage, expected, got });
    }
    ct.free();
  }
  assert.equal(wrong, []);
});

test("2_2: many-LUT with 2, 4 and 8 functions over every valid input", () => {
  const ck = clientKey("2_2");
  const ev = evaluator("2_2");
  const wrong = [];
  for (const count of [2, 4, 8]) {
    const bound = 16 / count;
    const tables = Array.from({ length: count }, () => rand.table(bound, 16));
    const lut = ev.manyLookupTable(tables.map((t) => (x) => t[x]));
    assert.is(lut.functionCount, count);
    for (let m = 0; m < bound; m++) {
      const outs = ev.bootstrapMany(ck.encrypt(m), lut);
      assert.is(outs.length, count);
      const got = outs.map((ct) => ck.decrypt(ct));
      const expected = tables.map((t) => t[m]);
      if (got.join() !== expected.join()) wrong.push({ count, m, expected, got });
    }
  }
  assert.equal(wrong, []);
});

test("many-LUT rejects too many functions and signed inputs", () => {
  const ev = evaluator("2_2");
  throwsTyped(() => ev.manyLookupTable(Array.from({ length: 9 }, () => (x) => x)), InvalidArgumentError, { message: /1…8/ });
  throwsTyped(() => ev.manyLookupTable([]), InvalidArgumentError);
  const signed = makeEncoding({ modulus: 16, delta: 2n ** 58n, signed: true });
  throwsTyped(() => ev.manyLookupTable([(x) => x, (x) => x], { input: signed }), InvalidArgumentError, { message: /unsigned/ });
});

test("2_2: custom encodings: input p = 8 with Δ = 2^60, output p = 4", () => {
  const ck = clientKey("2_2");
  const ev = evaluator("2_2");
  const input = makeEncoding({ modulus: 8, delta: 2n ** 60n });
  const output = makeEncoding({ modulus: 4 });
  assert.is(output.delta, 2n ** 61n);
  for (const table of [rand.table(8, 4), rand.table(8, 4)]) {
    const lut = ev.lookupTable((x) => table[x], { input, output });
    const got = [];
    for (let m = 0; m < 8; m++) {
      const ct = ck.encrypt(m, { encoding: input });
      assert.is(ck.decrypt(ct), m);
      const out = ev.bootstrap(ct, lut);
      assert.is(out.encoding, output);
      got.push(ck.decrypt(out));
    }
    assert.equal(got, table, `table ${table}`);
  }
});

test("2_2: signed encoding (p = 16, Δ = 2^58): relu over [−8, 8)", () => {
  const ck = clientKey("2_2");
  const ev = evaluator("2_2");
  const signed = makeEncoding({ modulus: 16, delta: 2n ** 58n, signed: true });
  const relu = ev.lookupTable((x) => Math.max(x, 0), { input: signed });
  const square = ev.lookupTable((x) => Math.min(x * x, 7), { input: signed });
  const wrong = [];
  for (let x = -8; x < 8; x++) {
    const ct = ck.encrypt(x, { encoding: signed });
    const direct = ck.decrypt(ct);
    const r = ck.decrypt(ev.bootstrap(ct, relu));
    const s = ck.decrypt(ev.bootstrap(ct, square));
    if (direct !== x || r !== Math.max(x, 0) || s !== Math.min(x * x, 7)) wrong.push({ x, direct, relu: r, square: s });
  }
  assert.equal(wrong, []);
});

test("3_3: all 64 messages, spread over 3 random tables (LONG: every message × 3 tables)", () => {
  try {
    const tables = [rand.table(64, 64), rand.table(64, 64), rand.table(64, 64)];
    const order = Array.from({ length: 64 }, (_, m) => m);
    // Default: message m goes through table m mod 3. LONG: every message through every table.
    const messages = LONG ? [order, order, order] : [0, 1, 2].map((t) => order.filter((m) => m % 3 === t));
    const { failures, noise } = bootstrapAll("3_3", tables, messages);
    assert.equal(failures, [], `seed ${TEST_SEED}: wrong bootstrap outputs`);
    assert.is(noise.length, LONG ? 192 : 64);
    assertNoiseWithin(noise, pbsOutputVariance(PARAMETER_SETS["3_3"]), "3_3 PBS output");
  } finally {
    releaseEvaluator("3_3");
  }
});

test.run();
