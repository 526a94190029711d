// GLWE ciphertexts as engine objects (SPEC §4.12, §7.6, §7.7), for 2_2 (k = 1, N = 2048) and
// 1_1 (k = 4, N = 512): encryption of whole message polynomials, the seeded form, the leveled
// operations (with wrap-around mod p), the noise of fresh encryptions, serialization round trips
// and rejection of damaged or wrong input.
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  PARAMETER_SETS, HEADER_BYTES, TRAILER_BYTES, ObjectKind, allocateObject, crc32c, parameterFingerprint,
  makeEncoding, tUniformIntegerVariance, GlweCiphertext, SeededGlweCiphertext,
  CorruptError, InvalidArgumentError, KindMismatchError, ParameterMismatchError,
} from "blindml/engine";
import { TEST_SEED, engine, clientKey, evaluator, messageCount, prng, mod, throwsTyped } from "./helpers.js";

const rand = prng(TEST_SEED ^ 0x61e);
const GLWE_SETS = ["2_2", "1_1"];
const ENCODING_BYTES = 17; // signed flag, modulus, delta

const shape = (name) => ({ k: PARAMETER_SETS[name].glweDimension, N: PARAMETER_SETS[name].polynomialSize });
/** §7.6: header, encoding, k and N (u32), (k+1)·N coefficients, CRC. */
const glweBytes = (k, N) => HEADER_BYTES + ENCODING_BYTES + 4 + 4 + 8 * (k + 1) * N + TRAILER_BYTES;
/** §7.7: header, encoding, seed, index (u32), N (u32), N body coefficients, CRC. */
const seededGlweBytes = (N) => HEADER_BYTES + ENCODING_BYTES + 32 + 4 + 4 + 8 * N + TRAILER_BYTES;

/** N random messages of set `name`'s default encoding. */
const randomPolynomial = (name) => rand.table(shape(name).N, messageCount(name));

const payloadOf = (bytes) => bytes.subarray(HEADER_BYTES, bytes.length - TRAILER_BYTES);

/** A fresh, valid container of `kind` for set `name` around `payload`. */
function container(kind, payload, name) {
  const object = allocateObject(kind, parameterFingerprint(PARAMETER_SETS[name]), payload.length);
  object.payload.set(payload);
  return object.seal();
}

// --- encryption ---------------------------------------------------------------------------------

test("encryptGlwe/decryptGlwe: random message polynomials, every one of the N coefficients", () => {
  for (const name of GLWE_SETS) {
    const ck = clientKey(name);
    const { k, N } = shape(name);
    for (let trial = 0; trial < 4; trial++) {
      const messages = randomPolynomial(name);
      const ct = ck.encryptGlwe(messages);
      assert.ok(ct instanceof GlweCiphertext);
      assert.is(ct.glweDimension, k);
      assert.is(ct.polynomialSize, N);
      assert.is(ct.byteLength, 8 * (k + 1) * N);
      assert.equal(ck.decryptGlwe(ct), messages, `${name} trial ${trial}`);
      ct.free();
    }
  }
});

test("encryptGlwe: fewer than N messages leave the other coefficients 0; other encodings; > N rejected", () => {
  for (const name of GLWE_SETS) {
    const ck = clientKey(name);
    const { N } = shape(name);
    const short = [3, 1, 2];
    assert.equal(ck.decryptGlwe(ck.encryptGlwe(short)), [...short, ...new Array(N - short.length).fill(0)]);
    assert.equal(ck.decryptGlwe(ck.encryptGlwe([])), new Array(N).fill(0));

    const signed = makeEncoding({ modulus: 32, delta: 2n ** 58n, signed: true });
    const signedMessages = Array.from({ length: N }, () => rand.int(32) - 16);
    const ct = ck.encryptGlwe(signedMessages, { encoding: signed });
    assert.equal(ct.encoding, signed);
    assert.equal(ck.decryptGlwe(ct), signedMessages, `${name}: signed p = 32`);
    // Decryption under an explicit encoding (the unsigned view of the same plaintexts).
    assert.equal(ck.decryptGlwe(ct, { encoding: makeEncoding({ modulus: 32, delta: 2n ** 58n }) }), signedMessages.map((m) => mod(m, 32)));
    // bigint messages encode like numbers.
    assert.equal(ck.decryptGlwe(ck.encryptGlwe([1n, 2n, 3n])).slice(0, 3), [1, 2, 3]);

    throwsTyped(() => ck.encryptGlwe(new Array(N + 1).fill(0)), InvalidArgumentError, { message: [new RegExp(`${N}`), new RegExp(`${N + 1}`)] });
    throwsTyped(() => ck.encryptGlwe([0.5]), InvalidArgumentError, { message: /integer/ });
  }
});

// --- seeded form --------------------------------------------------------------------------------

test("seeded GLWE ≡ unseeded: expand() decrypts the same; body = last polynomial; exact sizes", () => {
  for (const name of GLWE_SETS) {
    const ck = clientKey(name);
    const { k, N } = shape(name);
    const messages = randomPolynomial(name);
    const seeded = ck.encryptGlwe(messages, { seeded: true });
    assert.ok(seeded instanceof SeededGlweCiphertext);
    assert.is(seeded.seed.length, 32);
    assert.is(seeded.index, 0);
    assert.is(seeded.body.length, 8 * N);

    const expanded = seeded.expand();
    assert.ok(expanded instanceof GlweCiphertext);
    assert.equal(ck.decryptGlwe(expanded), messages, `${name}: expanded`);
    // The expanded ciphertext's body is the stored body, byte for byte.
    const full = expanded.serialize();
    assert.equal(full.subarray(full.length - TRAILER_BYTES - 8 * N, full.length - TRAILER_BYTES), seeded.body);
    // Expansion is deterministic.
    assert.equal(seeded.expand().serialize(), full);

    // An unseeded encryption of the same messages decrypts the same.
    const unseeded = ck.encryptGlwe(messages, { seeded: false });
    assert.equal(ck.decryptGlwe(unseeded), messages, `${name}: unseeded`);

    // Sizes: the seeded form drops the k mask polynomials, keeps a 32-byte seed and two u32.
    const seededBytes = seeded.serialize();
    assert.is(seededBytes.length, seededGlweBytes(N));
    assert.is(seededBytes.length, HEADER_BYTES + 8 * N + 32 + ENCODING_BYTES + 4 + 4 + TRAILER_BYTES);
    assert.is(unseeded.serialize().length, glweBytes(k, N));
    assert.is(glweBytes(k, N) - seededGlweBytes(N), 8 * k * N - 32);

    // Two encryptions draw two different seeds.
    const again = ck.encryptGlwe(messages, { seeded: true });
    assert.is.not(Buffer.from(again.seed).toString("hex"), Buffer.from(seeded.seed).toString("hex"));
  }
});

// --- leveled operations -------------------------------------------------------------------------

test("leveled ops decrypt right modulo p, wrap-around included, inputs untouched", () => {
  for (const name of GLWE_SETS) {
    const ck = clientKey(name);
    const ev = evaluator(name);
    const p = messageCount(name);
    const { N } = shape(name);
    const a = randomPolynomial(name);
    const b = randomPolynomial(name);
    // Force the wrap-around on the first coefficients: a + b ≥ p, a − b < 0.
    a[0] = p - 1, b[0] = p - 1;
    a[1] = 0, b[1] = p - 1;
    const ctA = ck.encryptGlwe(a);
    const ctB = ck.encryptGlwe(b);
    const before = ctA.serialize();
    const zip = (f) => a.map((x, j) => mod(f(x, b[j]), p));

    assert.equal(ck.decryptGlwe(ev.glweAdd(ctA, ctB)), zip((x, y) => x + y), `${name}: add`);
    assert.equal(ck.decryptGlwe(ev.glweSub(ctA, ctB)), zip((x, y) => x - y), `${name}: sub`);
    assert.equal(ck.decryptGlwe(ev.glweNegate(ctA)), a.map((x) => mod(-x, p)), `${name}: negate`);
    for (const c of [0, 1, -1, 3, -5, 7, 1000, -12345, 2n ** 64n + 3n]) {
      const expected = a.map((x) => Number(((BigInt(x) * BigInt(c)) % BigInt(p) + BigInt(p)) % BigInt(p)));
      assert.equal(ck.decryptGlwe(ev.glweMultiplyByInteger(ctA, c)), expected, `${name}: × ${c}`);
    }
    assert.equal(ck.decryptGlwe(ev.glweAddPlaintext(ctA, b)), zip((x, y) => x + y), `${name}: + plaintext`);
    const shortPlaintext = [p - 1, 1, -3];
    const expectedShort = a.map((x, j) => mod(x + (shortPlaintext[j] ?? 0), p));
    assert.equal(ck.decryptGlwe(ev.glweAddPlaintext(ctA, shortPlaintext)), expectedShort, `${name}: + short plaintext`);
    // A chain: 3·(a + b) − a + 5 on every coefficient.
    const chained = ev.glweAddPlaintext(ev.glweSub(ev.glweMultiplyByInteger(ev.glweAdd(ctA, ctB), 3), ctA), new Array(N).fill(5));
    assert.equal(ck.decryptGlwe(chained), zip((x, y) => 3 * (x + y) - x + 5), `${name}: chain`);
    // Every operation returned a new ciphertext.
    assert.equal(ctA.serialize(), before, `${name}: input unchanged`);
    // Results carry the first operand's encoding and survive serialization.
    const sum = ev.glweAdd(ctA, ctB);
    assert.equal(ck.decryptGlwe(engine.deserializeGlweCiphertext(sum.serialize())), zip((x, y) => x + y));
  }
});

test("leveled ops: signed encoding, and an expanded seeded operand", () => {
  const ck = clientKey("2_2");
  const ev = evaluator("2_2");
  const signed = makeEncoding({ modulus: 16, delta: 2n ** 59n, signed: true });
  const a = [-8, -1, 0, 7, 3, -5];
  const b = [7, -1, -8, 7, -3, 2];
  const ctA = ck.encryptGlwe(a, { encoding: signed });
  const ctB = ck.encryptGlwe(b, { encoding: signed, seeded: true }).expand();
  const wrapSigned = (x) => mod(x + 8, 16) - 8;
  const sum = ck.decryptGlwe(ev.glweAdd(ctA, ctB)).slice(0, a.length);
  assert.equal(sum, a.map((x, j) => wrapSigned(x + b[j])));
  const negated = ck.decryptGlwe(ev.glweNegate(ctA)).slice(0, a.length);
  assert.equal(negated, a.map((x) => wrapSigned(-x)));
});

test("leveled ops and decryption reject wrong operands with typed errors", () => {
  const ck = clientKey("2_2");
  const ev = evaluator("2_2");
  const ct = ck.encryptGlwe([1, 2, 3]);
  const other = clientKey("1_1").encryptGlwe([1, 2, 3]);
  throwsTyped(() => ev.glweAdd(ct, other), ParameterMismatchError, { message: [/2_2/, /1_1/] });
  throwsTyped(() => ev.glweNegate(other), ParameterMismatchError);
  throwsTyped(() => ev.glweAdd(ct, ck.encrypt(1)), InvalidArgumentError, { message: /GlweCiphertext/ });
  throwsTyped(() => ev.glweAddPlaintext(ct, new Array(2049).fill(0)), InvalidArgumentError, { message: /2048/ });
  throwsTyped(() => ev.glweMultiplyByInteger(ct, 1.5), InvalidArgumentError);
  throwsTyped(() => ck.decryptGlwe(other), InvalidArgumentError, { message: [/2_2/, /1_1/] });
  throwsTyped(() => ck.decryptGlwe(ck.encryptGlwe([1], { seeded: true })), InvalidArgumentError, { message: /expand/ });
  const freed = ck.encryptGlwe([1]);
  freed.free();
  freed.free(); // idempotent
  assert.ok(freed.freed);
  throwsTyped(() => ck.decryptGlwe(freed), InvalidArgumentError, { message: /freed/ });
  throwsTyped(() => ev.glweAdd(ct, freed), InvalidArgumentError, { message: /freed/ });
});

// --- noise --------------------------------------------------------------------------------------

test("fresh GLWE noise: mean square of ≥ 2^14 phase errors within ±10 % of Var TUniform(b_glwe)", () => {
  for (const name of GLWE_SETS) {
    const ck = clientKey(name);
    const set = PARAMETER_SETS[name];
    const { N } = shape(name);
    const bound = set.glweNoise.bound;
    const variance = tUniformIntegerVariance(bound);
    assert.is(variance, (2 ** (2 * bound + 1) + 1) / 6);
    const count = Math.max(1, Math.ceil(2 ** 14 / N));
    let sum = 0;
    let sumSquares = 0;
    let largest = 0n;
    for (let c = 0; c < count; c++) {
      const messages = randomPolynomial(name);
      const ct = ck.encryptGlwe(messages, { seeded: c % 2 === 1 });
      const phase = ck.phaseGlwe(ct instanceof GlweCiphertext ? ct : ct.expand());
      for (let j = 0; j < N; j++) {
        const e = BigInt.asIntN(64, phase[j] - BigInt(messages[j]) * ck.encoding.delta);
        if ((e < 0n ? -e : e) > largest) largest = e < 0n ? -e : e;
        sum += Number(e);
        sumSquares += Number(e) ** 2;
      }
    }
    const samples = count * N;
    assert.ok(samples >= 1e4);
    const meanSquare = sumSquares / samples;
    const ratio = meanSquare / variance;
    assert.ok(Math.abs(ratio - 1) < 0.1, `${name}: mean square / variance = ${ratio.toFixed(4)} over ${samples} coefficients`);
    // Zero mean (5 standard errors) and the TUniform support [−2^b, 2^b].
    assert.ok(Math.abs(sum / samples) < 5 * Math.sqrt(variance / samples), `${name}: mean ${sum / samples}`);
    assert.ok(largest <= 2n ** BigInt(bound), `${name}: |e| = ${largest} > 2^${bound}`);
  }
});

// --- serialization ------------------------------------------------------------------------------

test("GLWE and seeded GLWE round trips: same bytes, same decryptions, explicit params", () => {
  for (const name of GLWE_SETS) {
    const ck = clientKey(name);
    const set = PARAMETER_SETS[name];
    const { k, N } = shape(name);
    const messages = randomPolynomial(name);

    const ct = ck.encryptGlwe(messages);
    const bytes = ct.serialize();
    assert.is(bytes.length, glweBytes(k, N));
    const back = engine.deserializeGlweCiphertext(bytes);
    assert.ok(back instanceof GlweCiphertext);
    assert.is(back.params.set, set);
    assert.equal(back.encoding, ct.encoding);
    assert.equal(ck.decryptGlwe(back), messages);
    assert.equal(back.serialize(), bytes);
    assert.equal(engine.deserializeGlweCiphertext(bytes, { params: set }).serialize(), bytes);
    // clone: same bytes, independent memory.
    const copy = ct.clone();
    ct.free();
    assert.equal(copy.serialize(), bytes);

    const seeded = ck.encryptGlwe(messages, { seeded: true });
    const seededBytes = seeded.serialize();
    const seededBack = engine.deserializeSeededGlweCiphertext(seededBytes);
    assert.ok(seededBack instanceof SeededGlweCiphertext);
    assert.equal(seededBack.seed, seeded.seed);
    assert.is(seededBack.index, seeded.index);
    assert.equal(seededBack.body, seeded.body);
    assert.equal(seededBack.serialize(), seededBytes);
    assert.equal(seededBack.expand().serialize(), seeded.expand().serialize());
    assert.equal(ck.decryptGlwe(seededBack.expand()), messages);
  }
});

test("a seeded GLWE with another index expands with that index's stream", () => {
  const ck = clientKey("1_1");
  const seeded = ck.encryptGlwe([1, 2, 3], { seeded: true });
  // Same seed and body, index 1: another mask, so the phase no longer decrypts to the messages.
  const moved = new SeededGlweCiphertext(seeded.core, seeded.params, seeded.encoding, seeded.seed, 1, seeded.body);
  const movedBytes = moved.serialize();
  assert.is(engine.deserializeSeededGlweCiphertext(movedBytes).index, 1);
  const expanded = moved.expand().serialize();
  const original = seeded.expand().serialize();
  const maskEnd = HEADER_BYTES + ENCODING_BYTES + 8 + 8 * 4 * 512;
  assert.not.equal(expanded.subarray(0, maskEnd), original.subarray(0, maskEnd));
  assert.equal(expanded.subarray(maskEnd, expanded.length - TRAILER_BYTES), original.subarray(maskEnd, original.length - TRAILER_BYTES));
});

test("rejections: truncation → CorruptError, wrong params → ParameterMismatchError, wrong kind → KindMismatchError", () => {
  const ck = clientKey("2_2");
  const glwe = ck.encryptGlwe(randomPolynomial("2_2")).serialize();
  const seeded = ck.encryptGlwe(randomPolynomial("2_2"), { seeded: true }).serialize();
  const small = clientKey("1_1").encryptGlwe([1], { seeded: true }).serialize();
  const readGlwe = (b, options) => engine.deserializeGlweCiphertext(b, options);
  const readSeeded = (b, options) => engine.deserializeSeededGlweCiphertext(b, options);

  // Every truncation of the 1_1 seeded form (4,181 bytes), 300 of each 2_2 form, one appended byte.
  for (let length = 0; length < small.length; length++) {
    throwsTyped(() => readSeeded(small.subarray(0, length), { params: PARAMETER_SETS["1_1"] }), CorruptError, { label: `length ${length}` });
  }
  for (const [bytes, read] of [[glwe, readGlwe], [seeded, readSeeded]]) {
    for (let i = 0; i < 300; i++) {
      const length = rand.int(bytes.length);
      throwsTyped(() => read(bytes.subarray(0, length), { params: PARAMETER_SETS["2_2"] }), CorruptError, { label: `length ${length}`, message: /truncated/ });
    }
    const longer = new Uint8Array(bytes.length + 1);
    longer.set(bytes);
    throwsTyped(() => read(longer), CorruptError, { message: /trailing/ });
  }

  // Another parameter set.
  throwsTyped(() => readGlwe(glwe, { params: PARAMETER_SETS["1_1"] }), ParameterMismatchError, { message: [/1_1/, /2_2/] });
  throwsTyped(() => readSeeded(seeded, { params: PARAMETER_SETS["1_1"] }), ParameterMismatchError, { message: [/1_1/, /2_2/] });
  throwsTyped(() => readGlwe(glwe, { params: PARAMETER_SETS["2_2_KS32"] }), ParameterMismatchError);

  // Another kind, in both directions, and against the LWE readers.
  throwsTyped(() => readGlwe(seeded), KindMismatchError, { message: [/GlweCiphertext/, /SeededGlweCiphertext/] });
  throwsTyped(() => readSeeded(glwe), KindMismatchError);
  throwsTyped(() => readGlwe(ck.encrypt(1).serialize()), KindMismatchError, { message: /Ciphertext/ });
  throwsTyped(() => engine.deserializeCiphertext(glwe), KindMismatchError);
  throwsTyped(() => engine.deserializeCiphertextList(seeded), KindMismatchError);
});

test("malformed GLWE payloads in valid containers → CorruptError naming the field", () => {
  const ck = clientKey("2_2");
  const glwePayload = payloadOf(ck.encryptGlwe([4, 5]).serialize()).slice();
  const seededPayload = payloadOf(ck.encryptGlwe([4, 5], { seeded: true }).serialize()).slice();
  const readGlwe = (payload) => engine.deserializeGlweCiphertext(container(ObjectKind.GlweCiphertext, payload, "2_2"));
  const readSeeded = (payload) => engine.deserializeSeededGlweCiphertext(container(ObjectKind.SeededGlweCiphertext, payload, "2_2"));
  const edit = (good, change) => {
    const payload = good.slice();
    change(new DataView(payload.buffer));
    return payload;
  };
  const kAt = ENCODING_BYTES;
  const nAt = ENCODING_BYTES + 4;
  throwsTyped(() => readGlwe(edit(glwePayload, (v) => v.setUint32(kAt, 2, true))), CorruptError, { message: [/k = 2/, /k = 1/] });
  throwsTyped(() => readGlwe(edit(glwePayload, (v) => v.setUint32(nAt, 1024, true))), CorruptError, { message: [/1024/, /2048/] });
  throwsTyped(() => readGlwe(edit(glwePayload, (v) => v.setUint8(0, 2))), CorruptError, { message: /flag/ });
  throwsTyped(() => readGlwe(edit(glwePayload, (v) => v.setBigUint64(9, 3n, true))), CorruptError, { message: /encoding/ });
  throwsTyped(() => readGlwe(glwePayload.subarray(0, glwePayload.length - 8)), CorruptError, { message: /truncated/ });
  const longer = new Uint8Array(glwePayload.length + 8);
  longer.set(glwePayload);
  throwsTyped(() => readGlwe(longer), CorruptError, { message: /8 unexpected bytes/ });

  const seededNAt = ENCODING_BYTES + 32 + 4;
  throwsTyped(() => readSeeded(edit(seededPayload, (v) => v.setUint32(seededNAt, 4096, true))), CorruptError, { message: [/4096/, /2048/] });
  throwsTyped(() => readSeeded(seededPayload.subarray(0, seededPayload.length - 1)), CorruptError, { message: /truncated/ });
  throwsTyped(() => readSeeded(seededPayload.subarray(0, 20)), CorruptError, { message: /truncated/ });

  // The unedited payloads in fresh containers read back.
  assert.equal(ck.decryptGlwe(readGlwe(glwePayload)).slice(0, 3), [4, 5, 0]);
  assert.equal(ck.decryptGlwe(readSeeded(seededPayload).expand()).slice(0, 3), [4, 5, 0]);
  // A flipped coefficient bit fails the CRC; with the CRC recomputed it reads (any u64 is a valid coefficient).
  const damaged = container(ObjectKind.GlweCiphertext, glwePayload, "2_2");
  damaged[HEADER_BYTES + 40] ^= 1;
  throwsTyped(() => engine.deserializeGlweCiphertext(damaged), CorruptError, { message: /CRC/ });
  const end = damaged.length - TRAILER_BYTES;
  new DataView(damaged.buffer).setUint32(end, crc32c(damaged.subarray(0, end)), true);
  assert.ok(engine.deserializeGlweCiphertext(damaged) instanceof GlweCiphertext);
});

test.run();
