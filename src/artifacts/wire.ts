// Encrypted queries and results on the wire, in the engine's versioned container (magic, format
// version, kind, parameter fingerprint, length, CRC-32C; SPEC §7):
//   ModelQuery payload:  circuit id (8) | key kind u8 (0 big, 1 small) | rows u32 | size u32 |
//                        mask seed (32) | rows·size bodies (u64 LE)          — 8 bytes a value
//   ModelResult payload: circuit id (8) | rows u32 | size u32 | words u32 | rows·size ciphertexts
// The circuit id binds both to one compiled model: a server refuses a query for another model.
import { ByteReader, ByteWriter, ObjectKind, allocateObject, decodeObject, parameterFingerprint, CorruptError } from "../engine/index.js";
import type { ParameterSet, SeededLweVector, KeyKind } from "../engine/index.js";
import { ModelMismatchError } from "../ml/errors.js";

export interface EncryptedQuery {
  readonly circuitId: string;
  readonly rows: number;
  readonly size: number;
  readonly vector: SeededLweVector;
}

export interface EncryptedResult {
  readonly circuitId: string;
  readonly rows: number;
  readonly size: number;
  readonly words: number;
  readonly ciphertexts: Uint8Array;
}

const ID_BYTES = 8;

export function encodeQuery(set: ParameterSet, q: EncryptedQuery): Uint8Array {
  const count = q.vector.bodies.length;
  const object = allocateObject(ObjectKind.ModelQuery, parameterFingerprint(set), ID_BYTES + 1 + 4 + 4 + 32 + 8 * count);
  const w = new ByteWriter(object.payload);
  w.bytes(idBytes(q.circuitId)).u8(q.vector.keyKind === "big" ? 0 : 1).u32(q.rows).u32(q.size).bytes(q.vector.seed);
  for (const body of q.vector.bodies) w.u64(body);
  return object.seal();
}

export function decodeQuery(set: ParameterSet, bytes: Uint8Array, maxBytes?: number): EncryptedQuery {
  const { payload } = decodeObject(bytes, { kind: ObjectKind.ModelQuery, fingerprint: parameterFingerprint(set), maxBytes });
  const r = new ByteReader(payload);
  const circuitId = idHex(r.bytes(ID_BYTES));
  const keyFlag = r.u8();
  if (keyFlag > 1) throw new CorruptError(`Query key flag must be 0 or 1, found ${keyFlag}.`);
  const rows = r.u32(), size = r.u32();
  const seed = r.bytes(32);
  const count = rows * size;
  if (payload.length !== ID_BYTES + 1 + 8 + 32 + 8 * count) throw new CorruptError(`Query declares ${rows}×${size} values but carries ${payload.length} payload bytes.`);
  const bodies = new BigUint64Array(count);
  for (let i = 0; i < count; i++) bodies[i] = r.u64();
  r.expectEnd();
  const keyKind: KeyKind = keyFlag === 0 ? "big" : "small";
  return { circuitId, rows, size, vector: { keyKind, seed: new Uint8Array(seed), bodies } };
}

export function encodeResult(set: ParameterSet, res: EncryptedResult): Uint8Array {
  const object = allocateObject(ObjectKind.ModelResult, parameterFingerprint(set), ID_BYTES + 12 + res.ciphertexts.length);
  new ByteWriter(object.payload).bytes(idBytes(res.circuitId)).u32(res.rows).u32(res.size).u32(res.words).bytes(res.ciphertexts);
  return object.seal();
}

export function decodeResult(set: ParameterSet, bytes: Uint8Array, maxBytes?: number): EncryptedResult {
  const { payload } = decodeObject(bytes, { kind: ObjectKind.ModelResult, fingerprint: parameterFingerprint(set), maxBytes });
  const r = new ByteReader(payload);
  const circuitId = idHex(r.bytes(ID_BYTES));
  const rows = r.u32(), size = r.u32(), words = r.u32();
  const length = rows * size * words * 8;
  if (payload.length !== ID_BYTES + 12 + length) throw new CorruptError(`Result declares ${rows}×${size} ciphertexts of ${words} words but carries ${payload.length} payload bytes.`);
  const ciphertexts = new Uint8Array(r.bytes(length));
  r.expectEnd();
  return { circuitId, rows, size, words, ciphertexts };
}

/** Refuses a query or result made for another compiled model. */
export function checkCircuitId(found: string, expected: string, what: string): void {
  if (found !== expected) {
    throw new ModelMismatchError(`This ${what} is for model circuit ${found}; this model's circuit is ${expected}.`);
  }
}

function idBytes(hex: string): Uint8Array {
  if (!/^[0-9a-f]{16}$/.test(hex)) throw new CorruptError(`A circuit id is 16 hex digits, got "${hex}".`);
  return Uint8Array.from({ length: ID_BYTES }, (_, i) => parseInt(hex.slice(2 * i, 2 * i + 2), 16));
}

function idHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
