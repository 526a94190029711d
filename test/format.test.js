// The versioned container: round trip, CRC-32C, and rejection of every kind of bad input.
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  ByteReader,
  ByteWriter,
  HEADER_BYTES,
  ObjectKind,
  TRAILER_BYTES,
  allocateObject,
  decodeObject,
  encodeObject,
} from "blindml/engine";
import { crc32c } from "blindml/engine";
import { PARAMETER_SETS, parameterFingerprint } from "blindml/engine";
import {
  BlindmlError,
  CorruptError,
  FormatError,
  InvalidArgumentError,
  KindMismatchError,
  ParameterMismatchError,
  TooLargeError,
  VersionError,
} from "blindml/engine";

const FP_2_2 = parameterFingerprint(PARAMETER_SETS["2_2"]);
const FP_1_1 = parameterFingerprint(PARAMETER_SETS["1_1"]);
const ascii = (text) => new TextEncoder().encode(text);
const payloadOf = (length) => Uint8Array.from({ length }, (_, i) => (i * 37 + 11) & 0xff);
const isA = (type, pattern = /./) => (e) => e instanceof type && pattern.test(e.message);

/** Rewrites the CRC after a deliberate header edit, so only that edit is seen. */
function reseal(bytes) {
  const end = bytes.length - TRAILER_BYTES;
  new DataView(bytes.buffer, bytes.byteOffset).setUint32(end, crc32c(bytes.subarray(0, end)), true);
  return bytes;
}

// --- CRC-32C --------------------------------------------------------------

/** Bit-at-a-time CRC-32C, the definition the fast version must agree with. */
function crc32cBitwise(bytes) {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return ~crc >>> 0;
}

test("CRC-32C check value and agreement with the bitwise definition", () => {
  assert.is(crc32c(ascii("123456789")), 0xe3069283); // RFC 3720 / CRC catalogue check value
  assert.is(crc32c(new Uint8Array(0)), 0);
  for (let length = 0; length < 70; length++) {
    const data = payloadOf(length);
    assert.is(crc32c(data), crc32cBitwise(data), `length ${length}`);
  }
  const data = payloadOf(1000);
  assert.is(crc32c(data.subarray(13), crc32c(data.subarray(0, 13))), crc32c(data), "incremental");
});

// --- round trip -----------------------------------------------------------

test("encode then decode returns the same kind, fingerprint and payload (as a view)", () => {
  const payload = payloadOf(100);
  const bytes = encodeObject(ObjectKind.Ciphertext, FP_2_2, payload);
  assert.is(bytes.length, HEADER_BYTES + 100 + TRAILER_BYTES);
  assert.equal(Array.from(bytes.subarray(0, 4)), Array.from(ascii("BLML")));
  const decoded = decodeObject(bytes, { kind: ObjectKind.Ciphertext, fingerprint: FP_2_2, maxBytes: 1000 });
  assert.is(decoded.kind, ObjectKind.Ciphertext);
  assert.is(decoded.version, 1);
  assert.equal(decoded.fingerprint, FP_2_2);
  assert.equal(decoded.payload, payload);
  assert.is(decoded.payload.buffer, bytes.buffer, "payload is a view, not a copy");
});

test("decoding works on a view into a larger buffer, and with an empty payload", () => {
  const inner = encodeObject(ObjectKind.ClientKey, FP_1_1, payloadOf(9));
  const outer = new Uint8Array(inner.length + 10);
  outer.set(inner, 5);
  assert.equal(decodeObject(outer.subarray(5, 5 + inner.length)).payload, payloadOf(9));
  const empty = encodeObject(ObjectKind.EvaluationKeys, FP_1_1, new Uint8Array(0));
  assert.is(decodeObject(empty).payload.length, 0);
});

test("allocateObject lets the caller fill the payload in place", () => {
  const object = allocateObject(ObjectKind.EvaluationKeys, FP_2_2, 64);
  assert.is(object.payload.buffer, object.bytes.buffer);
  object.payload.set(payloadOf(64));
  const sealed = object.seal();
  assert.equal(sealed, encodeObject(ObjectKind.EvaluationKeys, FP_2_2, payloadOf(64)));
  assert.throws(() => allocateObject(ObjectKind.Ciphertext, new Uint8Array(4), 1), isA(InvalidArgumentError));
  assert.throws(() => allocateObject(0, FP_2_2, 1), isA(InvalidArgumentError));
  assert.throws(() => allocateObject(ObjectKind.Ciphertext, FP_2_2, -1), isA(InvalidArgumentError));
});

// --- damage ---------------------------------------------------------------

test("every single-bit flip is rejected, with the error its field calls for", () => {
  const original = encodeObject(ObjectKind.Ciphertext, FP_2_2, payloadOf(20));
  const expectations = { kind: ObjectKind.Ciphertext, fingerprint: FP_2_2 };
  for (let bit = 0; bit < original.length * 8; bit++) {
    const damaged = original.slice();
    const byteIndex = bit >> 3;
    damaged[byteIndex] ^= 1 << (bit & 7);
    let expected = CorruptError; // length, fingerprint, payload and CRC: caught by length or CRC
    if (byteIndex < 4) expected = FormatError;
    else if (byteIndex < 6) expected = VersionError;
    else if (byteIndex < 8) expected = KindMismatchError;
    assert.throws(() => decodeObject(damaged, expectations), isA(expected), `bit ${bit}`);
  }
});

test("every truncation is rejected as corrupt", () => {
  const original = encodeObject(ObjectKind.CiphertextList, FP_2_2, payloadOf(30));
  for (let length = 0; length < original.length; length++) {
    assert.throws(() => decodeObject(original.subarray(0, length)), isA(CorruptError, /truncated/), `length ${length}`);
  }
});

test("trailing bytes are rejected", () => {
  const original = encodeObject(ObjectKind.Ciphertext, FP_2_2, payloadOf(8));
  const longer = new Uint8Array(original.length + 1);
  longer.set(original);
  assert.throws(() => decodeObject(longer), isA(CorruptError, /1 trailing bytes/));
});

test("foreign bytes are a FormatError, even when short", () => {
  assert.throws(() => decodeObject(ascii("hello, world, this is not blindml")), isA(FormatError, /not a blindml object/));
  assert.throws(() => decodeObject(ascii("PK")), isA(FormatError));
});

// --- size limits ------------------------------------------------------------

test("oversized input is rejected before the payload is read", () => {
  const object = encodeObject(ObjectKind.EvaluationKeys, FP_2_2, payloadOf(100));
  assert.throws(
    () => decodeObject(object, { maxBytes: 50 }),
    (e) => e instanceof TooLargeError && e.limitBytes === 50 && e.sizeBytes === object.length && /50/.test(e.message),
  );
  // A bare header that declares 1 GB: refused by the limit, not reported as truncated.
  const header = object.slice(0, HEADER_BYTES + TRAILER_BYTES);
  new DataView(header.buffer).setBigUint64(16, 1_000_000_000n, true);
  assert.throws(
    () => decodeObject(header, { maxBytes: 1_000_000 }),
    (e) => e instanceof TooLargeError && e.sizeBytes === 1_000_000_028,
  );
  // Lengths beyond 2^53 cannot be real.
  new DataView(header.buffer).setBigUint64(16, 2n ** 60n, true);
  assert.throws(() => decodeObject(header), isA(CorruptError, /2\^53/));
});

// --- typed mismatches ---------------------------------------------------------

test("a wrong kind names what was expected and what was found", () => {
  const ciphertext = encodeObject(ObjectKind.Ciphertext, FP_2_2, payloadOf(4));
  assert.throws(
    () => decodeObject(ciphertext, { kind: ObjectKind.EvaluationKeys }),
    (e) =>
      e instanceof KindMismatchError &&
      e.code === "BLINDML_KIND_MISMATCH" &&
      e.message.includes("EvaluationKeys") &&
      e.message.includes("Ciphertext"),
  );
  decodeObject(ciphertext, { kind: [ObjectKind.CiphertextList, ObjectKind.Ciphertext] }); // accepted
});

test("an unsupported version names the found and the supported versions", () => {
  const object = encodeObject(ObjectKind.Ciphertext, FP_2_2, payloadOf(4));
  new DataView(object.buffer).setUint16(4, 2, true);
  reseal(object);
  assert.throws(
    () => decodeObject(object),
    (e) =>
      e instanceof VersionError &&
      e.foundVersion === 2 &&
      e.message.includes("version 2") &&
      e.message.includes("reads version 1"),
  );
});

test("a wrong parameter set names both sets, or the unknown fingerprint", () => {
  const made11 = encodeObject(ObjectKind.Ciphertext, FP_1_1, payloadOf(4));
  assert.throws(
    () => decodeObject(made11, { fingerprint: FP_2_2 }),
    (e) =>
      e instanceof ParameterMismatchError &&
      e.message.includes('parameter set "1_1"') &&
      e.message.includes('"2_2" was expected'),
  );
  const unknown = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
  const madeUnknown = encodeObject(ObjectKind.Ciphertext, unknown, payloadOf(4));
  assert.throws(
    () => decodeObject(madeUnknown, { fingerprint: FP_2_2 }),
    isA(ParameterMismatchError, /fingerprint 0102030405060708/),
  );
});

test("every error is a BlindmlError with a stable code and its own name", () => {
  const errors = [
    [new FormatError("x"), "FormatError", "BLINDML_FORMAT"],
    [new VersionError(9, [1]), "VersionError", "BLINDML_VERSION"],
    [new CorruptError("x"), "CorruptError", "BLINDML_CORRUPT"],
    [new TooLargeError(2, 1), "TooLargeError", "BLINDML_TOO_LARGE"],
    [new InvalidArgumentError("x"), "InvalidArgumentError", "BLINDML_INVALID_ARGUMENT"],
  ];
  for (const [error, name, code] of errors) {
    assert.ok(error instanceof BlindmlError && error instanceof Error);
    assert.is(error.name, name);
    assert.is(error.code, code);
  }
});

// --- payload writer and reader ------------------------------------------------

test("ByteWriter and ByteReader round-trip every field type", () => {
  const writer = new ByteWriter();
  writer.u8(255).u16(65535).u32(0xdeadbeef).u64(2n ** 64n - 1n).u64(2 ** 53 - 1).f64(-0.1).bytes(payloadOf(300));
  const written = writer.finish();
  assert.is(written.length, 1 + 2 + 4 + 8 + 8 + 8 + 300);
  const reader = new ByteReader(written);
  assert.is(reader.u8(), 255);
  assert.is(reader.u16(), 65535);
  assert.is(reader.u32(), 0xdeadbeef);
  assert.is(reader.u64(), 2n ** 64n - 1n);
  assert.is(reader.u64AsNumber(), 2 ** 53 - 1);
  assert.is(reader.f64(), -0.1);
  assert.equal(reader.bytes(300), payloadOf(300));
  reader.expectEnd();
});

test("ByteWriter keeps every value when it grows mid-stream", () => {
  const writer = new ByteWriter();
  for (let i = 0; i < 1000; i++) writer.u8(i & 0xff).u16(i).u32(i * 3).u64(BigInt(i)).f64(i / 7);
  const reader = new ByteReader(writer.finish());
  for (let i = 0; i < 1000; i++) {
    assert.equal([reader.u8(), reader.u16(), reader.u32(), reader.u64(), reader.f64()], [i & 0xff, i, i * 3, BigInt(i), i / 7]);
  }
  reader.expectEnd();
});

test("ByteReader rejects reads past the end and leftovers as corruption", () => {
  const reader = new ByteReader(Uint8Array.of(1, 2, 3));
  assert.is(reader.u16(), 0x0201);
  assert.throws(() => reader.u32(), isA(CorruptError, /truncated/));
  assert.throws(() => reader.expectEnd(), isA(CorruptError, /1 unexpected bytes/));
  assert.throws(() => new ByteReader(new Uint8Array(8).fill(0xff)).u64AsNumber(), isA(CorruptError));
  assert.throws(() => new ByteReader(new Uint8Array(4)).bytes(5), isA(CorruptError));
});

test("ByteWriter into a fixed payload refuses to overrun it and checks value ranges", () => {
  const object = allocateObject(ObjectKind.Ciphertext, FP_2_2, 6);
  const writer = new ByteWriter(object.payload);
  writer.u32(7).u16(8);
  assert.throws(() => writer.u8(1), isA(InvalidArgumentError, /overruns/));
  assert.equal(Array.from(decodeObject(object.seal()).payload), [7, 0, 0, 0, 8, 0]);
  const fresh = new ByteWriter();
  assert.throws(() => fresh.u8(256), isA(InvalidArgumentError));
  assert.throws(() => fresh.u16(-1), isA(InvalidArgumentError));
  assert.throws(() => fresh.u64(2 ** 53), isA(InvalidArgumentError));
  assert.throws(() => fresh.u64(2n ** 64n), isA(InvalidArgumentError));
});

test.run();
