// Serialized engine objects: round trips (ciphertext, seeded list, client key, evaluation keys),
// sizes, seeded ≡ unseeded encryption, and rejection of damaged or wrong input, each with its
// typed error and an informative message.
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  PARAMETER_SETS, HEADER_BYTES, TRAILER_BYTES, ObjectKind, allocateObject, crc32c, derivedSizes,
  makeEncoding, parameterFingerprint, Ciphertext, SeededCiphertextList,
  CorruptError, FormatError, KindMismatchError, ParameterMismatchError, TooLargeError, VersionError,
} from "blindml/engine";
import {
  LONG, TEST_SEED, SET_NAMES, engine, clientKey, evaluationKeys, evaluator, messageCount, prng, throwsTyped,
} from "./helpers.js";

const rand = prng(TEST_SEED ^ 0x5e7);
const SET_2_2 = PARAMETER_SETS["2_2"];
const ENCODING_BYTES = 17; // signed flag, modulus, delta
const DEFAULT_MAX_OBJECT_BYTES = 64 * 2 ** 20;
const DEFAULT_MAX_KEY_BYTES = 2 ** 30;

const ciphertextBytes = (dimension) => HEADER_BYTES + 1 + ENCODING_BYTES + 4 + (dimension + 1) * 8 + TRAILER_BYTES;
const seededListBytes = (count) => HEADER_BYTES + ENCODING_BYTES + 32 + 4 + 4 + 4 + 8 * count + TRAILER_BYTES;

/** Rewrites the CRC after a deliberate edit (in place), so that only the edit is seen. */
function reseal(bytes) {
  const end = bytes.length - TRAILER_BYTES;
  new DataView(bytes.buffer, bytes.byteOffset).setUint32(end, crc32c(bytes.subarray(0, end)), true);
  return bytes;
}

/** A container of `kind` for 2_2 around `payload`. */
function container(kind, payload, fingerprint = parameterFingerprint(SET_2_2)) {
  const object = allocateObject(kind, fingerprint, payload.length);
  object.payload.set(payload);
  return object.seal();
}

const payloadOf = (bytes) => bytes.subarray(HEADER_BYTES, bytes.length - TRAILER_BYTES);

/**
 * The error a single bit flip must produce: the header fields are checked before the CRC, so
 * each has its own class; everything else fails the CRC.
 */
function expectedFlipError(bytes, byteIndex, bit, limit) {
  if (byteIndex < 4) return FormatError; // magic
  if (byteIndex < 6) return VersionError;
  if (byteIndex < 8) return KindMismatchError;
  if (byteIndex >= 16 && byteIndex < 24) {
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    const declared = view.getBigUint64(16, true) ^ (1n << BigInt((byteIndex - 16) * 8 + bit));
    if (declared > 2n ** 53n) return CorruptError;
    if (Number(declared) + HEADER_BYTES + TRAILER_BYTES > limit) return TooLargeError;
  }
  return CorruptError; // fingerprint (unknown set → CRC), length (truncated / trailing), payload, CRC
}

/** Flips each (byte, bit) in place, checks the error class, restores the byte. */
function checkFlips(bytes, positions, read, limit) {
  const wrong = [];
  for (const [byteIndex, bit] of positions) {
    const expected = expectedFlipError(bytes, byteIndex, bit, limit);
    bytes[byteIndex] ^= 1 << bit;
    try {
      read(bytes);
      wrong.push({ byteIndex, bit, expected: expected.name, got: "no error" });
    } catch (e) {
      if (!(e instanceof expected)) wrong.push({ byteIndex, bit, expected: expected.name, got: `${e.name}: ${e.message}` });
    } finally {
      bytes[byteIndex] ^= 1 << bit;
    }
  }
  return wrong;
}

const allBits = (from, to) => {
  const positions = [];
  for (let i = from; i < to; i++) for (let bit = 0; bit < 8; bit++) positions.push([i, bit]);
  return positions;
};
const randomBits = (from, to, count) => Array.from({ length: count }, () => [from + rand.int(to - from), rand.int(8)]);

// --- round trips ------------------------------------------------------------------------------

test("ciphertext round trip: big, small, custom and signed encodings, every set", () => {
  for (const name of SET_NAMES) {
    const set = PARAMETER_SETS[name];
    const ck = clientKey(name);
    const p = messageCount(name);
    const custom = makeEncoding({ modulus: 8, delta: 2n ** 60n });
    const signed = makeEncoding({ modulus: 16, delta: 2n ** 58n, signed: true });
    const cases = [
      ...Array.from({ length: p }, (_, m) => [ck.encrypt(m), m]),
      ...Array.from({ length: p }, (_, m) => [ck.encryptSmall(m), m]),
      [ck.encrypt(6, { encoding: custom }), 6],
      [ck.encrypt(-7, { encoding: signed }), -7],
    ];
    for (const [ct, m] of cases) {
      const bytes = ct.serialize();
      const dimension = ct.keyKind === "big" ? set.glweDimension * set.polynomialSize : set.lweDimension;
      assert.is(bytes.length, ciphertextBytes(dimension));
      const back = engine.deserializeCiphertext(bytes);
      assert.ok(back instanceof Ciphertext);
      assert.is(back.keyKind, ct.keyKind);
      assert.equal(back.encoding, ct.encoding);
      assert.is(ck.decrypt(back), m, `${name} ${ct.keyKind} m = ${m}`);
      assert.equal(back.serialize(), bytes);
      // Reading with the explicit parameter set gives the same object.
      assert.equal(engine.deserializeCiphertext(bytes, { params: set }).serialize(), bytes);
    }
  }
});

test("a deserialized ciphertext bootstraps to the same bytes as the original", () => {
  const ck = clientKey("2_2");
  const ev = evaluator("2_2");
  const table = rand.table(16, 16);
  const lut = ev.lookupTable((x) => table[x]);
  for (const m of [2, 13]) {
    const ct = ck.encrypt(m);
    const out = ev.bootstrap(ct, lut);
    const fromBytes = ev.bootstrap(engine.deserializeCiphertext(ct.serialize()), lut);
    assert.is(ck.decrypt(fromBytes), table[m]);
    assert.equal(fromBytes.serialize(), out.serialize());
  }
});

test("seeded lists: encryptMany(v).expand() decrypts to v for every set; size = 89 + 8·count bytes", () => {
  for (const name of SET_NAMES) {
    const ck = clientKey(name);
    const p = messageCount(name);
    const values = Array.from({ length: 100 }, () => rand.int(p));
    const list = ck.encryptMany(values);
    assert.ok(list instanceof SeededCiphertextList);
    assert.is(list.length, 100);
    const bytes = list.serialize();
    assert.is(bytes.length, seededListBytes(100));
    assert.is(seededListBytes(100), 89 + 8 * 100);
    assert.equal(ck.decryptMany(list.expand()), values, `${name}: expanded`);
    const back = engine.deserializeCiphertextList(bytes);
    assert.equal(back.serialize(), bytes);
    assert.equal(ck.decryptMany(back.expand()), values, `${name}: expanded after a round trip`);
    // Expansion is deterministic: the same full ciphertexts before and after the round trip.
    const before = list.expand().map((ct) => ct.serialize());
    const after = back.expand().map((ct) => ct.serialize());
    assert.equal(after, before);
    // The unseeded form: full ciphertexts, same values.
    const unseeded = ck.encryptMany(values, { seeded: false });
    assert.ok(Array.isArray(unseeded) && unseeded.every((ct) => ct instanceof Ciphertext));
    assert.equal(ck.decryptMany(unseeded), values, `${name}: unseeded`);
    const set = PARAMETER_SETS[name];
    assert.is(unseeded[0].serialize().length, ciphertextBytes(set.glweDimension * set.polynomialSize));
    // Two lists of the same values use different seeds and bodies.
    const again = ck.encryptMany(values);
    assert.is.not(Buffer.from(again.seed).toString("hex"), Buffer.from(list.seed).toString("hex"));
    assert.ok(again.bodies.some((b, i) => b !== list.bodies[i]));
  }
});

test("seeded lists: expanded ciphertexts bootstrap; empty and signed lists round-trip", () => {
  const ck = clientKey("2_2");
  const ev = evaluator("2_2");
  const values = [0, 7, 15, 9];
  const lut = ev.lookupTable((x) => 15 - x);
  const expanded = engine.deserializeCiphertextList(ck.encryptMany(values).serialize()).expand();
  assert.equal(expanded.map((ct) => ck.decrypt(ev.bootstrap(ct, lut))), values.map((x) => 15 - x));

  const empty = ck.encryptMany([]);
  const emptyBytes = empty.serialize();
  assert.is(emptyBytes.length, seededListBytes(0));
  const emptyBack = engine.deserializeCiphertextList(emptyBytes);
  assert.is(emptyBack.length, 0);
  assert.equal(emptyBack.expand(), []);
  assert.equal(emptyBack.serialize(), emptyBytes);

  const signed = makeEncoding({ modulus: 16, delta: 2n ** 58n, signed: true });
  const signedValues = [-8, -1, 0, 7, 3, -5];
  const signedBack = engine.deserializeCiphertextList(ck.encryptMany(signedValues, { encoding: signed }).serialize());
  assert.equal(signedBack.encoding, signed);
  assert.equal(ck.decryptMany(signedBack.expand()), signedValues);
});

test("client key round trip (1_1 and 3_3 have a partial last byte): same bytes, same decryptions", () => {
  for (const name of SET_NAMES) {
    const ck = clientKey(name);
    const bytes = ck.serialize();
    const back = engine.deserializeClientKey(bytes);
    assert.equal(back.serialize(), bytes);
    const cts = Array.from({ length: messageCount(name) }, (_, m) => ck.encrypt(m));
    assert.equal(back.decryptMany(cts), ck.decryptMany(cts));
    back.free();
  }
});

test("evaluation keys round trip: exact size, same bytes, and an evaluator that bootstraps identically", () => {
  const keys = evaluationKeys("2_2");
  const bytes = keys.serialize();
  const sizes = derivedSizes(SET_2_2);
  const kskBytes = sizes.seededKeyswitchKeyBytes; // u64 bodies
  const bskBytes = (sizes.seededBootstrapKeyBytes / 8) * 7; // 7-byte rounded bodies
  assert.is(bytes.length, HEADER_BYTES + 1 + 32 + 8 + kskBytes + 8 + bskBytes + TRAILER_BYTES);
  assert.is(bytes.length, keys.byteLength);
  const back = engine.deserializeEvaluationKeys(bytes);
  assert.is(back.set, SET_2_2);
  assert.equal(back.seed, keys.seed);
  assert.ok(Buffer.from(back.keyswitchBodies).equals(Buffer.from(keys.keyswitchBodies)));
  assert.ok(Buffer.from(back.bootstrapBodies).equals(Buffer.from(keys.bootstrapBodies)));
  assert.ok(Buffer.from(back.serialize()).equals(Buffer.from(bytes)), "serialize(deserialize(x)) = x");

  const ck = clientKey("2_2");
  const ev = engine.createEvaluator(back);
  try {
    const table = rand.table(16, 16);
    const lutA = evaluator("2_2").lookupTable((x) => table[x]);
    const lutB = ev.lookupTable((x) => table[x]);
    for (const m of [0, 3, 8, 15]) {
      const ct = ck.encrypt(m);
      const out = ev.bootstrap(ct, lutB);
      assert.is(ck.decrypt(out), table[m]);
      assert.equal(out.serialize(), evaluator("2_2").bootstrap(ct, lutA).serialize());
    }
  } finally {
    ev.free();
  }
});

// --- rejections -------------------------------------------------------------------------------

test("truncation: every length of a ciphertext and a seeded list, and appended bytes → CorruptError", () => {
  const ck = clientKey("2_2");
  for (const [label, bytes, read] of [
    ["ciphertext", ck.encrypt(5).serialize(), (b) => engine.deserializeCiphertext(b)],
    ["small ciphertext", ck.encryptSmall(5).serialize(), (b) => engine.deserializeCiphertext(b)],
    ["seeded list", ck.encryptMany([1, 2, 3]).serialize(), (b) => engine.deserializeCiphertextList(b)],
  ]) {
    const wrong = [];
    for (let length = 0; length < bytes.length; length++) {
      try {
        read(bytes.subarray(0, length));
        wrong.push({ length, got: "no error" });
      } catch (e) {
        if (!(e instanceof CorruptError)) wrong.push({ length, got: `${e.name}: ${e.message}` });
      }
    }
    assert.equal(wrong, [], `${label} (${bytes.length} bytes)`);
    throwsTyped(() => read(bytes.subarray(0, 100)), CorruptError, {
      message: [/truncated/, new RegExp(`${bytes.length}`), /100/], label,
    });
    throwsTyped(() => read(bytes.subarray(0, 10)), CorruptError, { message: /truncated/, label });
    const longer = new Uint8Array(bytes.length + 3);
    longer.set(bytes);
    throwsTyped(() => read(longer), CorruptError, { message: [/3 trailing bytes/, new RegExp(`${bytes.length}`)], label });
  }
});

test("truncation: a sample of lengths of evaluation keys → CorruptError", () => {
  const bytes = evaluationKeys("2_2").serialize();
  const total = bytes.length;
  const lengths = [0, 1, 3, 4, 20, 24, 27, 28, 29, 100, 65_600, total >> 1, total - 5, total - 4, total - 1];
  for (let i = 0; i < (LONG ? 200 : 20); i++) lengths.push(rand.u32() % total);
  for (const length of lengths) {
    throwsTyped(() => engine.deserializeEvaluationKeys(bytes.subarray(0, length)), CorruptError, {
      message: /truncated/, label: `length ${length}`,
    });
  }
  throwsTyped(() => engine.deserializeEvaluationKeys(bytes.subarray(0, 1000)), CorruptError, {
    message: [new RegExp(`${total}`), /1000/],
  });
});

test("single bit flips in a ciphertext: header fields, payload and CRC each give their typed error", () => {
  const ck = clientKey("2_2");
  const read = (b) => engine.deserializeCiphertext(b);
  for (const bytes of [ck.encrypt(11).serialize(), ck.encryptSmall(11).serialize()]) {
    const end = bytes.length - TRAILER_BYTES;
    const positions = LONG
      ? allBits(0, bytes.length)
      : [...allBits(0, HEADER_BYTES + 32), ...randomBits(HEADER_BYTES + 32, end, 300), ...allBits(end, bytes.length)];
    const original = bytes.slice();
    assert.equal(checkFlips(bytes, positions, read, DEFAULT_MAX_OBJECT_BYTES), []);
    assert.equal(bytes, original, "bytes restored");
    assert.is(ck.decrypt(read(bytes)), 11);
  }
  // The same with an explicit parameter set: a damaged fingerprint fails the CRC, not the set check.
  const bytes = ck.encrypt(4).serialize();
  const explicit = (b) => engine.deserializeCiphertext(b, { params: SET_2_2 });
  assert.equal(checkFlips(bytes, allBits(8, 16), explicit, DEFAULT_MAX_OBJECT_BYTES), []);
});

test("single bit flips in a seeded list and in evaluation keys give their typed error", () => {
  const list = clientKey("2_2").encryptMany([1, 2, 3, 4, 5]).serialize();
  const readList = (b) => engine.deserializeCiphertextList(b);
  assert.equal(checkFlips(list, allBits(0, list.length), readList, DEFAULT_MAX_OBJECT_BYTES), []);

  const keys = evaluationKeys("2_2").serialize();
  const readKeys = (b) => engine.deserializeEvaluationKeys(b);
  const end = keys.length - TRAILER_BYTES;
  // Header fields before the CRC check are cheap; CRC-checked flips cost one CRC of 26 MB each.
  const positions = [
    ...allBits(0, 8), ...allBits(16, 24),
    [8, 0], [15, 7], [HEADER_BYTES, 0], [HEADER_BYTES + 1, 3], [HEADER_BYTES + 40, 5],
    ...randomBits(HEADER_BYTES, end, LONG ? 40 : 4), [end, 0], [end + 3, 7],
  ];
  assert.equal(checkFlips(keys, positions, readKeys, DEFAULT_MAX_KEY_BYTES), []);
});

test("oversized input: maxBytes below the object size → TooLargeError with both sizes", () => {
  const ck = clientKey("2_2");
  const ct = ck.encrypt(1).serialize();
  const e = throwsTyped(() => engine.deserializeCiphertext(ct, { maxBytes: ct.length - 1 }), TooLargeError, {
    message: [new RegExp(`${ct.length} bytes`), new RegExp(`${ct.length - 1} bytes`)],
  });
  assert.is(e.sizeBytes, ct.length);
  assert.is(e.limitBytes, ct.length - 1);
  assert.is(e.code, "BLINDML_TOO_LARGE");
  assert.is(ck.decrypt(engine.deserializeCiphertext(ct, { maxBytes: ct.length })), 1);

  const list = ck.encryptMany([1, 2]).serialize();
  throwsTyped(() => engine.deserializeCiphertextList(list, { maxBytes: 100 }), TooLargeError, { message: /100 bytes/ });
  const key = ck.serialize();
  throwsTyped(() => engine.deserializeClientKey(key, { maxBytes: 64 }), TooLargeError, { message: [/64 bytes/, new RegExp(`${key.length}`)] });
  const keys = evaluationKeys("2_2").serialize();
  throwsTyped(() => engine.deserializeEvaluationKeys(keys, { maxBytes: 1_000_000 }), TooLargeError, {
    message: [new RegExp(`${keys.length}`), /1000000/],
  });

  // A short object whose header declares a huge payload is refused by its declared size.
  const hostile = ct.slice(0, 64);
  new DataView(hostile.buffer).setBigUint64(16, 2n ** 40n, true);
  throwsTyped(() => engine.deserializeCiphertext(hostile), TooLargeError, { message: new RegExp(`${2 ** 40 + 28}`) });
});

test("wrong parameter set → ParameterMismatchError naming both sets", () => {
  const ck11 = clientKey("1_1");
  const cases = [
    ["ciphertext", ck11.encrypt(1).serialize(), (b, o) => engine.deserializeCiphertext(b, o)],
    ["seeded list", ck11.encryptMany([1, 0]).serialize(), (b, o) => engine.deserializeCiphertextList(b, o)],
    ["client key", ck11.serialize(), (b, o) => engine.deserializeClientKey(b, o)],
  ];
  for (const [label, bytes, read] of cases) {
    const e = throwsTyped(() => read(bytes, { params: SET_2_2 }), ParameterMismatchError, { message: [/1_1/, /2_2/], label });
    assert.is(e.expectedParameters, '"2_2"');
    assert.is(e.foundParameters, '"1_1"');
    assert.is(e.code, "BLINDML_PARAMETER_MISMATCH");
  }
  const keys = evaluationKeys("2_2").serialize();
  const e = throwsTyped(() => engine.deserializeEvaluationKeys(keys, { params: PARAMETER_SETS["1_1"] }), ParameterMismatchError, {
    message: [/1_1/, /2_2/],
  });
  assert.is(e.foundParameters, '"2_2"');
  // An unnamed fingerprint with a valid CRC: the reader needs { params }.
  const unnamed = container(ObjectKind.Ciphertext, payloadOf(clientKey("2_2").encrypt(1).serialize()), new Uint8Array(8).fill(7));
  throwsTyped(() => engine.deserializeCiphertext(unnamed), FormatError, { message: /params/ });
  throwsTyped(() => engine.deserializeCiphertext(unnamed, { params: SET_2_2 }), ParameterMismatchError, {
    message: [/0707070707070707/, /2_2/],
  });
});

test("wrong kind → KindMismatchError naming both kinds (every reader × every other object)", () => {
  const ck = clientKey("2_2");
  const objects = {
    Ciphertext: ck.encrypt(1).serialize(),
    SeededCiphertextList: ck.encryptMany([1]).serialize(),
    ClientKey: ck.serialize(),
    EvaluationKeys: evaluationKeys("2_2").serialize(),
  };
  const readers = {
    Ciphertext: (b) => engine.deserializeCiphertext(b),
    SeededCiphertextList: (b) => engine.deserializeCiphertextList(b),
    ClientKey: (b) => engine.deserializeClientKey(b),
    EvaluationKeys: (b) => engine.deserializeEvaluationKeys(b),
  };
  for (const [expected, read] of Object.entries(readers)) {
    for (const [found, bytes] of Object.entries(objects)) {
      if (found === expected) continue;
      const e = throwsTyped(() => read(bytes), KindMismatchError, {
        message: [new RegExp(expected), new RegExp(found)], label: `${found} read as ${expected}`,
      });
      assert.equal(e.expectedKinds, [expected]);
      assert.is(e.foundKind, found);
    }
  }
  // A kind this build does not know.
  const unknown = objects.Ciphertext.slice();
  new DataView(unknown.buffer).setUint16(6, 999, true);
  throwsTyped(() => engine.deserializeCiphertext(reseal(unknown)), KindMismatchError, { message: /unknown object kind 999/ });
});

test("garbage and foreign bytes → FormatError; another format version → VersionError", () => {
  for (const length of [1, 4, 10, 27, 28, 100, 5000]) {
    const garbage = rand.bytes(length);
    if (garbage[0] === 0x42) garbage[0] = 0; // never start with "B"
    for (const read of [engine.deserializeCiphertext, engine.deserializeCiphertextList, engine.deserializeClientKey, engine.deserializeEvaluationKeys]) {
      throwsTyped(() => read.call(engine, garbage), FormatError, { message: /BLML/, label: `${length} random bytes` });
    }
  }
  const text = new TextEncoder().encode('{"ciphertext": [1, 2, 3], "note": "not a blindml object"}');
  throwsTyped(() => engine.deserializeCiphertext(text), FormatError);
  const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...new Uint8Array(40)]);
  throwsTyped(() => engine.deserializeEvaluationKeys(png), FormatError);

  const future = clientKey("2_2").encrypt(2).serialize();
  new DataView(future.buffer).setUint16(4, 2, true);
  const e = throwsTyped(() => engine.deserializeCiphertext(reseal(future)), VersionError, { message: [/version 2/, /1/] });
  assert.is(e.foundVersion, 2);
});

test("malformed ciphertext and list payloads (valid CRC) → CorruptError", () => {
  const ck = clientKey("2_2");
  const good = payloadOf(ck.encrypt(3).serialize()).slice();
  const edit = (change) => {
    const payload = good.slice();
    change(payload, new DataView(payload.buffer));
    return container(ObjectKind.Ciphertext, payload);
  };
  const read = (b) => engine.deserializeCiphertext(b);
  assert.is(ck.decrypt(read(container(ObjectKind.Ciphertext, good))), 3, "an unedited payload reads back");
  throwsTyped(() => read(edit((p) => (p[0] = 2))), CorruptError, { message: /key flag/ });
  throwsTyped(() => read(edit((p) => (p[1] = 2))), CorruptError, { message: /flag must be 0 or 1/ });
  throwsTyped(() => read(edit((p, v) => v.setBigUint64(2, 1n, true))), CorruptError, { message: /encoding/ });
  throwsTyped(() => read(edit((p, v) => v.setBigUint64(10, 0n, true))), CorruptError, { message: /encoding/ });
  throwsTyped(() => read(edit((p, v) => v.setUint32(18, 918, true))), CorruptError, { message: [/918/, /2048/] });
  // The small-key flag on a big-key body: the dimension no longer matches.
  throwsTyped(() => read(edit((p) => (p[0] = 1))), CorruptError, { message: [/2048/, /918/] });
  const longer = new Uint8Array(good.length + 8);
  longer.set(good);
  throwsTyped(() => read(container(ObjectKind.Ciphertext, longer)), CorruptError, { message: /8 unexpected bytes/ });
  throwsTyped(() => read(container(ObjectKind.Ciphertext, good.subarray(0, good.length - 8))), CorruptError, { message: /truncated/ });

  const list = payloadOf(ck.encryptMany([1, 2, 3]).serialize()).slice();
  const editList = (change) => {
    const payload = list.slice();
    change(new DataView(payload.buffer));
    return container(ObjectKind.SeededCiphertextList, payload);
  };
  const readList = (b) => engine.deserializeCiphertextList(b);
  const countAt = ENCODING_BYTES + 32 + 8;
  throwsTyped(() => readList(editList((v) => v.setUint32(countAt - 4, 1024, true))), CorruptError, { message: [/1024/, /2048/] });
  throwsTyped(() => readList(editList((v) => v.setUint32(countAt, 4, true))), CorruptError, { message: /truncated/ });
  throwsTyped(() => readList(editList((v) => v.setUint32(countAt, 2, true))), CorruptError, { message: /unexpected bytes/ });
  throwsTyped(() => readList(editList((v) => v.setUint32(countAt, 0xffffffff, true))), CorruptError);
  throwsTyped(() => readList(editList((v) => v.setUint32(countAt - 8, 0xfffffffe, true))), CorruptError, { message: /overflow/ });
});

test("malformed client key payloads (valid CRC) → CorruptError", () => {
  const ck = clientKey("1_1");
  const good = payloadOf(ck.serialize()).slice();
  const fingerprint = parameterFingerprint(PARAMETER_SETS["1_1"]);
  const read = (payload) => engine.deserializeClientKey(container(ObjectKind.ClientKey, payload, fingerprint));
  const edit = (change) => {
    const payload = good.slice();
    change(payload, new DataView(payload.buffer));
    return payload;
  };
  // 1_1: n = 879 bits in 110 bytes, so the last small-key byte has one spare bit.
  throwsTyped(() => read(edit((p) => (p[8 + 109] |= 0x80))), CorruptError, { message: /past the end/ });
  throwsTyped(() => read(edit((p, v) => v.setUint32(0, 880, true))), CorruptError, { message: [/880/, /879/] });
  throwsTyped(() => read(edit((p, v) => v.setUint32(4, 1024, true))), CorruptError, { message: [/1024/, /2048/] });
  throwsTyped(() => read(good.subarray(0, good.length - 1)), CorruptError, { message: /truncated/ });
  const longer = new Uint8Array(good.length + 1);
  longer.set(good);
  throwsTyped(() => read(longer), CorruptError, { message: /unexpected bytes/ });
  const back = read(good);
  assert.is(back.decrypt(ck.encrypt(3)), 3, "an unedited payload reads back");
  back.free();
});

test("evaluation keys with wrong inner lengths (valid CRC) → CorruptError with both sizes", () => {
  const good = payloadOf(evaluationKeys("2_2").serialize());
  const kskBytes = derivedSizes(SET_2_2).seededKeyswitchKeyBytes;
  const bskBytes = (derivedSizes(SET_2_2).seededBootstrapKeyBytes / 8) * 7;
  const kskAt = 1 + 32; // u64 length of the keyswitching-key bodies
  const bskAt = kskAt + 8 + kskBytes; // u64 length of the bootstrapping-key bodies
  const read = (payload) => engine.deserializeEvaluationKeys(container(ObjectKind.EvaluationKeys, payload));

  /** The payload with the KSK region resized by `delta` bytes and its length field = kskLength. */
  const withKsk = (delta, kskLength = kskBytes + delta) => {
    const payload = new Uint8Array(good.length + delta);
    payload.set(good.subarray(0, kskAt + 8 + Math.min(kskBytes, kskBytes + delta)));
    payload.set(good.subarray(bskAt), bskAt + delta);
    new DataView(payload.buffer).setBigUint64(kskAt, BigInt(kskLength), true);
    return payload;
  };
  throwsTyped(() => read(withKsk(-8)), CorruptError, { message: [/Keyswitching key/, new RegExp(`${kskBytes - 8}`), new RegExp(`${kskBytes}`)] });
  throwsTyped(() => read(withKsk(+8)), CorruptError, { message: [new RegExp(`${kskBytes + 8}`), new RegExp(`${kskBytes}`)] });
  throwsTyped(() => read(withKsk(0, 2 ** 60)), CorruptError, { message: /too large/ });

  const withBskLength = (length, extra = 0) => {
    const payload = new Uint8Array(good.length + extra);
    payload.set(good);
    new DataView(payload.buffer).setBigUint64(bskAt, BigInt(length), true);
    return payload;
  };
  throwsTyped(() => read(withBskLength(bskBytes - 7)), CorruptError, { message: [/Bootstrapping key/, new RegExp(`${bskBytes - 7}`), new RegExp(`${bskBytes}`)] });
  throwsTyped(() => read(withBskLength(bskBytes + 7, 7)), CorruptError, { message: new RegExp(`${bskBytes}`) });
  throwsTyped(() => read(withBskLength(bskBytes, 5)), CorruptError, { message: /5 unexpected bytes/ });
  throwsTyped(() => read(good.subarray(0, good.length - 7)), CorruptError, { message: /truncated/ });

  const dropped = good.slice();
  dropped[0] = 7;
  throwsTyped(() => read(dropped), CorruptError, { message: /drop 7/ });
  // The unedited payload in a fresh container reads back.
  const back = read(good);
  assert.is(back.bootstrapBodies.length, bskBytes);
  assert.is(back.keyswitchBodies.length, kskBytes);
});

test.run();
