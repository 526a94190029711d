// The versioned binary container that wraps every serialized blindml object.
//
//   offset  size  field
//   0       4     magic "BLML"
//   4       2     format version (u16 LE), currently 1
//   6       2     kind (u16 LE), see ObjectKind
//   8       8     parameter fingerprint (see params.ts parameterFingerprint)
//   16      8     payload length L (u64 LE, at most 2^53)
//   24      L     payload
//   24+L    4     CRC-32C of bytes [0, 24+L) (u32 LE)
//
// All integers are little-endian, the byte order of WebAssembly memory, so a
// payload can be copied to and from the engine's heap without byte swapping.
// The header is covered by the CRC too. Reading checks, in order: size limit, magic, length ≥
// header, version, kind, declared length, CRC, fingerprint — so a damaged version or kind is
// reported as such (VersionError, KindMismatchError) and any other damaged byte as corruption.

import { crc32c } from "./checksum.js";
import {
  CorruptError,
  FormatError,
  InvalidArgumentError,
  KindMismatchError,
  ParameterMismatchError,
  TooLargeError,
  VersionError,
} from "./errors.js";
import { FINGERPRINT_BYTES, parameterSetByFingerprint } from "./params.js";

// ---------------------------------------------------------------------------
// Layout constants
// ---------------------------------------------------------------------------

/** The four bytes every blindml object starts with. */
export const FORMAT_MAGIC = "BLML";
const MAGIC_BYTES = new TextEncoder().encode(FORMAT_MAGIC);
/** The version this build writes. */
export const FORMAT_VERSION = 1;
/** The versions this build reads. */
export const SUPPORTED_FORMAT_VERSIONS: readonly number[] = Object.freeze([FORMAT_VERSION]);

const MAGIC_OFFSET = 0;
const VERSION_OFFSET = 4;
const KIND_OFFSET = 6;
const FINGERPRINT_OFFSET = 8;
const PAYLOAD_LENGTH_OFFSET = 16;
/** Bytes before the payload. */
export const HEADER_BYTES = 24;
/** Bytes after the payload (the CRC-32C). */
export const TRAILER_BYTES = 4;
/** Largest payload length a header may declare: lengths stay exact as JS numbers. */
export const MAX_PAYLOAD_BYTES = 2 ** 53;

/**
 * What a container holds. Values are part of the format: never renumber or
 * reuse one; new kinds take the next free value (8…65535 are free).
 */
export enum ObjectKind {
  ClientKey = 1,
  EvaluationKeys = 2,
  Ciphertext = 3,
  CiphertextList = 4,
  SeededCiphertextList = 5,
  GlweCiphertext = 6,
  SeededGlweCiphertext = 7,
  /** An encrypted model query (src/artifacts): circuit id, seed and bodies of its input rows. */
  ModelQuery = 8,
  /** An encrypted model result (src/artifacts): circuit id and the output ciphertexts. */
  ModelResult = 9,
}

/** A readable name for a kind value, also for values this build does not know. */
export function objectKindName(kind: number): string {
  const name = (ObjectKind as unknown as Record<number, string | undefined>)[kind];
  return name ?? `unknown object kind ${kind}`;
}

// ---------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------

/** A container whose payload the caller fills in place before sealing it. */
export interface AllocatedObject {
  /** The whole container, header to CRC. */
  readonly bytes: Uint8Array;
  /** A view of the payload region of `bytes` (no copy): write the payload here. */
  readonly payload: Uint8Array;
  /** Computes and writes the CRC; call after the payload is complete. Returns `bytes`. */
  seal(): Uint8Array;
}

function checkFingerprint(fingerprint: Uint8Array): void {
  if (!(fingerprint instanceof Uint8Array) || fingerprint.length !== FINGERPRINT_BYTES) {
    throw new InvalidArgumentError(
      `A parameter fingerprint is ${FINGERPRINT_BYTES} bytes; get it from parameterFingerprint(parameterSet).`,
    );
  }
}

/**
 * Allocates a container with its header written and an empty payload region,
 * so that large payloads (30 MB of keys) are written once, not copied.
 */
export function allocateObject(kind: ObjectKind, fingerprint: Uint8Array, payloadLength: number): AllocatedObject {
  if (!Number.isInteger(kind) || kind < 1 || kind > 0xffff) {
    throw new InvalidArgumentError(`Object kind must be an ObjectKind value (1…65535), got ${kind}.`);
  }
  checkFingerprint(fingerprint);
  if (!Number.isSafeInteger(payloadLength) || payloadLength < 0) {
    throw new InvalidArgumentError(`Payload length must be a non-negative safe integer, got ${payloadLength}.`);
  }
  const bytes = new Uint8Array(HEADER_BYTES + payloadLength + TRAILER_BYTES);
  const view = new DataView(bytes.buffer);
  bytes.set(MAGIC_BYTES, MAGIC_OFFSET);
  view.setUint16(VERSION_OFFSET, FORMAT_VERSION, true);
  view.setUint16(KIND_OFFSET, kind, true);
  bytes.set(fingerprint, FINGERPRINT_OFFSET);
  view.setBigUint64(PAYLOAD_LENGTH_OFFSET, BigInt(payloadLength), true);
  const crcOffset = HEADER_BYTES + payloadLength;
  return {
    bytes,
    payload: bytes.subarray(HEADER_BYTES, crcOffset),
    seal(): Uint8Array {
      view.setUint32(crcOffset, crc32c(bytes.subarray(0, crcOffset)), true);
      return bytes;
    },
  };
}

/** Wraps `payload` (copied) in a sealed container. */
export function encodeObject(kind: ObjectKind, fingerprint: Uint8Array, payload: Uint8Array): Uint8Array {
  const object = allocateObject(kind, fingerprint, payload.length);
  object.payload.set(payload);
  return object.seal();
}

// ---------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------

/** What the caller requires of a container; every field is optional. */
export interface DecodeExpectations {
  /** The kind, or the kinds, accepted. */
  readonly kind?: ObjectKind | readonly ObjectKind[];
  /** The parameter fingerprint the object must carry. */
  readonly fingerprint?: Uint8Array;
  /** Largest container size accepted, in bytes (checked before any payload is read). */
  readonly maxBytes?: number;
}

export interface DecodedObject {
  readonly kind: ObjectKind;
  readonly version: number;
  readonly fingerprint: Uint8Array;
  /** A view into the input bytes (no copy). */
  readonly payload: Uint8Array;
}

function describeParameters(fingerprint: Uint8Array): string {
  const named = parameterSetByFingerprint(fingerprint);
  if (named !== undefined) return `"${named.name}"`;
  const hex = Array.from(fingerprint, (byte) => byte.toString(16).padStart(2, "0")).join("");
  return `with fingerprint ${hex} (not a named set)`;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

function checkMagic(bytes: Uint8Array): void {
  // Compare what is there, so that short foreign data is called foreign, not truncated.
  const available = Math.min(bytes.length, MAGIC_BYTES.length);
  for (let i = 0; i < available; i++) {
    if (bytes[MAGIC_OFFSET + i] !== MAGIC_BYTES[i]) {
      throw new FormatError(
        "These bytes are not a blindml object (they do not start with \"BLML\"). " +
          "Pass bytes produced by a blindml serialize function.",
      );
    }
  }
}

function checkKind(kind: number, expected: ObjectKind | readonly ObjectKind[] | undefined): void {
  if (expected === undefined) return;
  const accepted: readonly ObjectKind[] = typeof expected === "number" ? [expected] : expected;
  if (!accepted.includes(kind)) {
    throw new KindMismatchError(accepted.map(objectKindName), objectKindName(kind));
  }
}

/** Reads the declared payload length, rejecting values too big to be real. */
function readPayloadLength(view: DataView): number {
  const declared = view.getBigUint64(PAYLOAD_LENGTH_OFFSET, true);
  if (declared > BigInt(MAX_PAYLOAD_BYTES)) {
    throw new CorruptError(
      `The object header declares a payload of ${declared} bytes, more than the format allows (2^53); ` +
        `the object is damaged.`,
    );
  }
  return Number(declared);
}

/**
 * Checks and opens a container. The checks run cheapest-first, and the size
 * limit is enforced before the payload is touched, so hostile input costs
 * little: size limit, truncation, magic, version, kind, declared length,
 * CRC-32C, then parameter fingerprint.
 */
export function decodeObject(bytes: Uint8Array, expect: DecodeExpectations = {}): DecodedObject {
  const limit = expect.maxBytes ?? Number.POSITIVE_INFINITY;
  if (bytes.length > limit) throw new TooLargeError(bytes.length, limit);
  checkMagic(bytes);
  if (bytes.length < HEADER_BYTES + TRAILER_BYTES) {
    throw new CorruptError(
      `The blindml object is truncated: ${bytes.length} bytes, shorter than the ` +
        `${HEADER_BYTES + TRAILER_BYTES}-byte header and checksum. Transfer it again.`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

  const version = view.getUint16(VERSION_OFFSET, true);
  if (!SUPPORTED_FORMAT_VERSIONS.includes(version)) throw new VersionError(version, SUPPORTED_FORMAT_VERSIONS);

  const kind: ObjectKind = view.getUint16(KIND_OFFSET, true);
  checkKind(kind, expect.kind);

  const payloadLength = readPayloadLength(view);
  const declaredTotal = HEADER_BYTES + payloadLength + TRAILER_BYTES;
  if (declaredTotal > limit) throw new TooLargeError(declaredTotal, limit);
  if (bytes.length < declaredTotal) {
    throw new CorruptError(
      `The blindml object is truncated: its header declares ${declaredTotal} bytes but only ` +
        `${bytes.length} are present. Transfer it again.`,
    );
  }
  if (bytes.length > declaredTotal) {
    throw new CorruptError(
      `The blindml object has ${bytes.length - declaredTotal} trailing bytes after its declared end ` +
        `(${declaredTotal} bytes). Pass exactly one object; split concatenated objects first.`,
    );
  }

  const crcOffset = HEADER_BYTES + payloadLength;
  const storedCrc = view.getUint32(crcOffset, true);
  if (crc32c(bytes.subarray(0, crcOffset)) !== storedCrc) {
    throw new CorruptError(
      "The blindml object failed its integrity check (CRC-32C mismatch): it was damaged in " +
        "storage or transfer. Transfer it again.",
    );
  }

  const fingerprint = bytes.slice(FINGERPRINT_OFFSET, FINGERPRINT_OFFSET + FINGERPRINT_BYTES);
  if (expect.fingerprint !== undefined) {
    checkFingerprint(expect.fingerprint);
    if (!sameBytes(fingerprint, expect.fingerprint)) {
      throw new ParameterMismatchError(describeParameters(expect.fingerprint), describeParameters(fingerprint));
    }
  }
  return { kind, version, fingerprint, payload: bytes.subarray(HEADER_BYTES, crcOffset) };
}

// ---------------------------------------------------------------------------
// Payload layouts: bounds-checked little-endian writer and reader
// ---------------------------------------------------------------------------

const U64_MAX = 0xffffffffffffffffn;

/**
 * Writes little-endian values either into a fixed target (e.g. the `payload`
 * of allocateObject) or, with no target, into a buffer that grows.
 * Writing past a fixed target is a programming error: InvalidArgumentError.
 */
export class ByteWriter {
  private buffer: Uint8Array;
  private view: DataView;
  private offset = 0;
  private readonly growable: boolean;

  constructor(target?: Uint8Array) {
    this.growable = target === undefined;
    this.buffer = target ?? new Uint8Array(256);
    this.view = new DataView(this.buffer.buffer, this.buffer.byteOffset, this.buffer.byteLength);
  }

  /** Bytes written so far. */
  get position(): number {
    return this.offset;
  }

  u8(value: number): this {
    this.checkInteger(value, 0xff, "u8");
    const at = this.reserve(1); // reserve first: growing replaces this.view
    this.view.setUint8(at, value);
    return this;
  }

  u16(value: number): this {
    this.checkInteger(value, 0xffff, "u16");
    const at = this.reserve(2);
    this.view.setUint16(at, value, true);
    return this;
  }

  u32(value: number): this {
    this.checkInteger(value, 0xffffffff, "u32");
    const at = this.reserve(4);
    this.view.setUint32(at, value, true);
    return this;
  }

  /** A u64 from a bigint, or from a number that is a safe integer. */
  u64(value: bigint | number): this {
    if (typeof value === "number") this.checkInteger(value, Number.MAX_SAFE_INTEGER, "u64");
    const big = BigInt(value);
    if (big < 0n || big > U64_MAX) throw new InvalidArgumentError(`${value} does not fit in a u64.`);
    const at = this.reserve(8);
    this.view.setBigUint64(at, big, true);
    return this;
  }

  f64(value: number): this {
    const at = this.reserve(8);
    this.view.setFloat64(at, value, true);
    return this;
  }

  /** Raw bytes, copied. */
  bytes(value: Uint8Array): this {
    const start = this.reserve(value.length); // may replace this.buffer, so reserve first
    this.buffer.set(value, start);
    return this;
  }

  /** The bytes written (a view of the target or of the grown buffer). */
  finish(): Uint8Array {
    return this.buffer.subarray(0, this.offset);
  }

  private checkInteger(value: number, max: number, type: string): void {
    if (!Number.isInteger(value) || value < 0 || value > max) {
      throw new InvalidArgumentError(`${value} does not fit in a ${type} (0…${max}).`);
    }
  }

  /** Claims `length` bytes and returns where they start. */
  private reserve(length: number): number {
    const start = this.offset;
    const end = start + length;
    if (end > this.buffer.length) {
      if (!this.growable) {
        throw new InvalidArgumentError(
          `Write of ${length} bytes at offset ${start} overruns the ${this.buffer.length}-byte target.`,
        );
      }
      this.grow(end);
    }
    this.offset = end;
    return start;
  }

  private grow(minimumLength: number): void {
    const grown = new Uint8Array(Math.max(minimumLength, this.buffer.length * 2));
    grown.set(this.buffer.subarray(0, this.offset));
    this.buffer = grown;
    this.view = new DataView(grown.buffer);
  }
}

/**
 * Reads little-endian values from a payload. Reading past the end means the
 * payload is shorter than its layout says: CorruptError.
 */
export class ByteReader {
  private readonly source: Uint8Array;
  private readonly view: DataView;
  private offset = 0;

  constructor(source: Uint8Array) {
    this.source = source;
    this.view = new DataView(source.buffer, source.byteOffset, source.byteLength);
  }

  get position(): number {
    return this.offset;
  }

  get remaining(): number {
    return this.source.length - this.offset;
  }

  u8(): number {
    return this.view.getUint8(this.take(1, "u8"));
  }

  u16(): number {
    return this.view.getUint16(this.take(2, "u16"), true);
  }

  u32(): number {
    return this.view.getUint32(this.take(4, "u32"), true);
  }

  u64(): bigint {
    return this.view.getBigUint64(this.take(8, "u64"), true);
  }

  /** A u64 that must be a safe integer (a count or a length). */
  u64AsNumber(): number {
    const at = this.offset;
    const value = this.u64();
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new CorruptError(`Payload value ${value} at offset ${at} is too large for a count or length.`);
    }
    return Number(value);
  }

  f64(): number {
    return this.view.getFloat64(this.take(8, "f64"), true);
  }

  /** The next `length` bytes as a view into the source (no copy). */
  bytes(length: number): Uint8Array {
    if (!Number.isSafeInteger(length) || length < 0) {
      throw new CorruptError(`Payload declares an impossible byte count ${length}.`);
    }
    const start = this.take(length, `${length} bytes`);
    return this.source.subarray(start, start + length);
  }

  /** Confirms the whole payload was consumed; leftover bytes mean a layout mismatch. */
  expectEnd(): void {
    if (this.remaining !== 0) {
      throw new CorruptError(`Payload has ${this.remaining} unexpected bytes after its last field.`);
    }
  }

  /** Claims `length` bytes and returns where they start. */
  private take(length: number, what: string): number {
    if (length > this.remaining) {
      throw new CorruptError(
        `Payload is truncated: reading ${what} at offset ${this.offset} needs ${length} bytes, ` +
          `only ${this.remaining} remain.`,
      );
    }
    const start = this.offset;
    this.offset += length;
    return start;
  }
}
