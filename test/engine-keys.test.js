// Client keys: encryption and decryption of every message of every set (big and small key),
// fresh randomness, independent keys, noise within the distribution's bounds, and keys that
// survive serialization.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { PARAMETER_SETS, HEADER_BYTES, TRAILER_BYTES, InvalidArgumentError, smallKeyModulusLog2 } from "blindml/engine";
import { SET_NAMES, engine, clientKey, messageCount, noiseOf, abs, throwsTyped } from "./helpers.js";

const ENCRYPTIONS_PER_MESSAGE = 3;
const EXPECTED_MESSAGES = { "1_1": 4, "2_2": 16, "3_3": 64, "2_2_KS32": 16, "2_2_L2": 16 };

/** The coefficient words (mask then body) of a serialized ciphertext. */
function coefficients(ct) {
  const bytes = ct.serialize();
  const start = HEADER_BYTES + 1 + 17 + 4; // key flag, encoding, dimension
  return new BigUint64Array(bytes.slice(start, bytes.length - TRAILER_BYTES).buffer);
}

/** The key bits of a serialized client key: [small key bits, big key bits] (one 0/1 per bit). */
function keyBits(ck) {
  const set = ck.params.set;
  const n = set.lweDimension;
  const bigN = set.glweDimension * set.polynomialSize;
  const payload = ck.serialize().subarray(HEADER_BYTES + 8);
  const bits = (bytes, count) => Array.from({ length: count }, (_, i) => (bytes[i >> 3] >> (i & 7)) & 1);
  const smallBytes = Math.ceil(n / 8);
  return [bits(payload.subarray(0, smallBytes), n), bits(payload.subarray(smallBytes), bigN)];
}

for (const name of SET_NAMES) {
  const set = PARAMETER_SETS[name];

  test(`${name}: decrypt(encrypt(m)) = m for every message, ${ENCRYPTIONS_PER_MESSAGE} encryptions each`, () => {
    const ck = clientKey(name);
    const p = messageCount(name);
    assert.is(p, EXPECTED_MESSAGES[name], `${name}: message count (a new named set needs an entry here)`);
    const wrong = [];
    for (let m = 0; m < p; m++) {
      for (let i = 0; i < ENCRYPTIONS_PER_MESSAGE; i++) {
        const ct = ck.encrypt(i === 0 ? BigInt(m) : m);
        assert.is(ct.keyKind, "big");
        assert.is(ct.dimension, set.glweDimension * set.polynomialSize);
        const got = ck.decrypt(ct);
        if (got !== m) wrong.push({ m, got });
        ct.free();
      }
    }
    assert.equal(wrong, []);
  });

  test(`${name}: encryptSmall: every message decrypts, ${ENCRYPTIONS_PER_MESSAGE} encryptions each`, () => {
    const ck = clientKey(name);
    const p = messageCount(name);
    const wrong = [];
    for (let m = 0; m < p; m++) {
      for (let i = 0; i < ENCRYPTIONS_PER_MESSAGE; i++) {
        const ct = ck.encryptSmall(m);
        assert.is(ct.keyKind, "small");
        assert.is(ct.dimension, set.lweDimension);
        const got = ck.decrypt(ct);
        if (got !== m) wrong.push({ m, got });
        ct.free();
      }
    }
    assert.equal(wrong, []);
  });

  test(`${name}: fresh noise is TUniform: within ±2^b and not degenerate (big and small key)`, () => {
    const ck = clientKey(name);
    const SAMPLES = 200;
    // Phases are read on 2^64; small-key noise of a KS32 set lives on 2^32 (scaled by 2^32 here).
    const smallScale = 64 - smallKeyModulusLog2(set);
    for (const [kind, bound] of [["big", set.glweNoise.bound], ["small", set.lweNoise.bound + smallScale]]) {
      const limit = 1n << BigInt(bound);
      let worst = 0n;
      let negative = 0;
      for (let i = 0; i < SAMPLES; i++) {
        const m = i % messageCount(name);
        const ct = kind === "big" ? ck.encrypt(m) : ck.encryptSmall(m);
        const e = noiseOf(ck, ct, m);
        assert.ok(abs(e) <= limit, `${kind}-key noise ${e} outside ±2^${bound}`);
        if (abs(e) > worst) worst = abs(e);
        if (e < 0n) negative++;
        ct.free();
      }
      // P(all 200 samples below 2^(b−1)) ≈ 2^−200; P(≤ 40 of one sign) < 2^−40.
      assert.ok(worst >= limit / 2n, `${kind}-key noise never reached 2^${bound - 1} (max ${worst}): not TUniform(${bound})`);
      assert.ok(negative > 40 && negative < SAMPLES - 40, `${kind}-key noise is one-sided: ${negative}/${SAMPLES} negative`);
    }
  });

  test(`${name}: two encryptions of the same message differ (fresh mask and noise)`, () => {
    const ck = clientKey(name);
    for (const encrypt of [(m) => ck.encrypt(m), (m) => ck.encryptSmall(m)]) {
      const a = coefficients(encrypt(1));
      const b = coefficients(encrypt(1));
      assert.is(a.length, b.length);
      let equalWords = 0;
      for (let i = 0; i < a.length; i++) if (a[i] === b[i]) equalWords++;
      assert.ok(equalWords <= 1, `${equalWords} of ${a.length} coefficients repeat between two encryptions`);
      assert.is.not(a[a.length - 1], b[b.length - 1], "bodies repeat");
    }
  });

  test(`${name}: two generated keys are independent uniform binary keys`, () => {
    const other = engine.generateClientKey(set);
    try {
      const [smallA, bigA] = keyBits(clientKey(name));
      const [smallB, bigB] = keyBits(other);
      for (const [a, b, label] of [[smallA, smallB, "small"], [bigA, bigB, "big"]]) {
        const count = a.length;
        const weight = a.reduce((s, bit) => s + bit, 0);
        const distance = a.reduce((s, bit, i) => s + (bit ^ b[i]), 0);
        // Binomial(count, 1/2): ±10% of count is more than 5.7σ for count ≥ 879.
        assert.ok(Math.abs(weight - count / 2) < count / 10, `${label} key weight ${weight}/${count}`);
        assert.ok(Math.abs(distance - count / 2) < count / 10, `${label} keys differ in ${distance}/${count} bits`);
      }
    } finally {
      other.free();
    }
  });

  test(`${name}: a ciphertext decrypted with another client key gives garbage`, () => {
    const ck = clientKey(name);
    const other = engine.generateClientKey(set);
    try {
      const p = messageCount(name);
      const TOTAL = 64;
      let mismatches = 0;
      for (let i = 0; i < TOTAL; i++) {
        const m = i % p;
        const ct = ck.encrypt(m);
        assert.is(ck.decrypt(ct), m);
        if (other.decrypt(ct) !== m) mismatches++;
        ct.free();
      }
      // A wrong key yields a uniform phase: matches ~ Binomial(64, 1/p), p ≥ 4.
      assert.ok(mismatches >= 32, `only ${mismatches}/${TOTAL} decryptions under the wrong key were wrong`);
    } finally {
      other.free();
    }
  });

  test(`${name}: a client key serialized and read back decrypts old ciphertexts and encrypts for the old key`, () => {
    const ck = clientKey(name);
    const p = messageCount(name);
    const big = Array.from({ length: p }, (_, m) => ck.encrypt(m));
    const small = Array.from({ length: p }, (_, m) => ck.encryptSmall(m));
    const bytes = ck.serialize();
    const n = set.lweDimension;
    const bigN = set.glweDimension * set.polynomialSize;
    assert.is(bytes.length, HEADER_BYTES + 8 + Math.ceil(n / 8) + Math.ceil(bigN / 8) + TRAILER_BYTES);
    const copy = engine.deserializeClientKey(bytes);
    try {
      assert.equal(copy.serialize(), bytes);
      const expected = Array.from({ length: p }, (_, m) => m);
      assert.equal(copy.decryptMany(big), expected);
      assert.equal(copy.decryptMany(small), expected);
      assert.equal(
        expected.map((m) => ck.decrypt(copy.encrypt(m))),
        expected,
      );
      assert.equal(
        expected.map((m) => ck.decrypt(copy.encryptSmall(m))),
        expected,
      );
    } finally {
      copy.free();
      for (const ct of [...big, ...small]) ct.free();
    }
  });
}

test("a freed client key refuses to work; non-integer messages and foreign ciphertexts are refused", () => {
  const key = engine.generateClientKey(PARAMETER_SETS["2_2"]);
  const ct = key.encrypt(5);
  assert.is(key.decrypt(ct), 5);
  key.free();
  key.free(); // freeing twice is harmless
  throwsTyped(() => key.encrypt(1), InvalidArgumentError, { message: /freed/ });
  throwsTyped(() => key.decrypt(ct), InvalidArgumentError, { message: /freed/ });
  throwsTyped(() => key.serialize(), InvalidArgumentError, { message: /freed/ });
  throwsTyped(() => key.generateEvaluationKeys(), InvalidArgumentError, { message: /freed/ });

  const ck = clientKey("2_2");
  throwsTyped(() => ck.encrypt(1.5), InvalidArgumentError, { message: /1\.5/ });
  throwsTyped(() => ck.encrypt(Number.NaN), InvalidArgumentError);
  throwsTyped(() => ck.decrypt(clientKey("1_1").encrypt(1)), InvalidArgumentError, { message: [/1_1/, /2_2/] });
});

test.run();
