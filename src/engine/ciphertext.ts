// LWE ciphertexts as the host sees them: a block of wasm memory ((d+1) u64, body last) plus what
// is needed to interpret it (parameter set, which key, encoding). Seeded lists keep only the
// 32-byte mask seed and one body per value; they expand on the server (SPEC §4.3).
import type { EngineCore, LoadedParameters } from "./core.js";
import { SizeOf } from "./core.js";
import type { Encoding } from "./encoding.js";
import { makeEncoding } from "./encoding.js";
import { ObjectKind, allocateObject, decodeObject, ByteReader, ByteWriter } from "./format.js";
import { CorruptError } from "./errors.js";
import { WasmResource } from "./resource.js";

/** Which secret key a ciphertext is encrypted under. */
export type KeyKind = "big" | "small";

/** Serialized size of an encoding: signed flag, modulus, delta (SPEC §7.3). */
export const ENCODING_BYTES = 1 + 8 + 8;

export function writeEncoding(w: ByteWriter, e: Encoding): void {
  w.u8(e.signed ? 1 : 0).u64(e.modulus).u64(e.delta);
}

export function readEncoding(r: ByteReader): Encoding {
  const signed = r.u8();
  if (signed > 1) throw new CorruptError(`Encoding flag must be 0 or 1, found ${signed}.`);
  const modulus = r.u64AsNumber();
  const delta = r.u64();
  try {
    return makeEncoding({ modulus, delta, signed: signed === 1 });
  } catch (e) {
    throw new CorruptError(`Ciphertext carries an invalid encoding: ${(e as Error).message}`);
  }
}

export class Ciphertext extends WasmResource {
  readonly params: LoadedParameters;
  readonly keyKind: KeyKind;
  encoding: Encoding;

  /** Wraps an existing wasm block of the right size (takes ownership). */
  constructor(core: EngineCore, params: LoadedParameters, keyKind: KeyKind, encoding: Encoding, pointer: number) {
    super(core, pointer, (p) => core.wasm.dealloc(p), "ciphertext");
    this.params = params;
    this.keyKind = keyKind;
    this.encoding = encoding;
  }

  /** Allocates an uninitialised ciphertext. */
  static allocate(core: EngineCore, params: LoadedParameters, keyKind: KeyKind, encoding: Encoding): Ciphertext {
    const bytes = params.size(keyKind === "big" ? SizeOf.BigCiphertext : SizeOf.SmallCiphertext);
    return new Ciphertext(core, params, keyKind, encoding, core.allocate(bytes));
  }

  get dimension(): number {
    return this.keyKind === "big" ? this.params.bigDimension : this.params.smallDimension;
  }
  get byteLength(): number {
    return (this.dimension + 1) * 8;
  }

  clone(): Ciphertext {
    const copy = Ciphertext.allocate(this.core, this.params, this.keyKind, this.encoding);
    this.core.bytes(copy.pointer, this.byteLength).set(this.core.bytes(this.pointer, this.byteLength));
    return copy;
  }

  /** The versioned container: key kind, encoding, then the d+1 coefficients (SPEC §7.3). */
  serialize(): Uint8Array {
    const payloadLength = 1 + ENCODING_BYTES + 4 + this.byteLength;
    const object = allocateObject(ObjectKind.Ciphertext, this.params.fingerprint, payloadLength);
    const w = new ByteWriter(object.payload);
    w.u8(this.keyKind === "big" ? 0 : 1);
    writeEncoding(w, this.encoding);
    w.u32(this.dimension);
    w.bytes(this.core.bytes(this.pointer, this.byteLength));
    return object.seal();
  }

  static deserialize(core: EngineCore, params: LoadedParameters, bytes: Uint8Array, maxBytes?: number): Ciphertext {
    const { payload } = decodeObject(bytes, { kind: ObjectKind.Ciphertext, fingerprint: params.fingerprint, maxBytes });
    const r = new ByteReader(payload);
    const keyFlag = r.u8();
    if (keyFlag > 1) throw new CorruptError(`Ciphertext key flag must be 0 (big) or 1 (small), found ${keyFlag}.`);
    const keyKind: KeyKind = keyFlag === 0 ? "big" : "small";
    const encoding = readEncoding(r);
    const dimension = r.u32();
    const expected = keyKind === "big" ? params.bigDimension : params.smallDimension;
    if (dimension !== expected) {
      throw new CorruptError(`Ciphertext dimension ${dimension} does not match the ${keyKind} key dimension ${expected}.`);
    }
    const body = r.bytes((dimension + 1) * 8);
    r.expectEnd();
    const ct = Ciphertext.allocate(core, params, keyKind, encoding);
    core.bytes(ct.pointer, body.length).set(body);
    return ct;
  }
}

/**
 * A list of big-key ciphertexts in compressed form: one public 32-byte seed (the masks are
 * ChaCha20 streams (seed, DOMAIN_LWE_MASK, firstIndex + j)) and one 8-byte body per value.
 */
export class SeededCiphertextList {
  readonly core: EngineCore;
  readonly params: LoadedParameters;
  readonly encoding: Encoding;
  readonly seed: Uint8Array;
  readonly firstIndex: number;
  /** count u64 bodies. */
  readonly bodies: BigUint64Array;

  constructor(core: EngineCore, params: LoadedParameters, encoding: Encoding, seed: Uint8Array, firstIndex: number, bodies: BigUint64Array) {
    this.core = core;
    this.params = params;
    this.encoding = encoding;
    this.seed = seed;
    this.firstIndex = firstIndex;
    this.bodies = bodies;
  }

  get length(): number {
    return this.bodies.length;
  }

  /** Regenerates the masks: the full ciphertexts, as the encryptor computed them. */
  expand(): Ciphertext[] {
    const { core, params } = this;
    const count = this.bodies.length;
    const ctBytes = params.size(SizeOf.BigCiphertext);
    const seedPtr = core.copyIn(this.seed);
    const bodiesPtr = core.copyIn(new Uint8Array(this.bodies.buffer, this.bodies.byteOffset, count * 8));
    const out = core.allocate(Math.max(ctBytes * count, 8));
    try {
      core.wasm.expandSeededList(params.pointer, out, bodiesPtr, count, seedPtr, this.firstIndex);
      return Array.from({ length: count }, (_, j) => {
        const ct = Ciphertext.allocate(core, params, "big", this.encoding);
        core.bytes(ct.pointer, ctBytes).set(core.bytes(out + j * ctBytes, ctBytes));
        return ct;
      });
    } finally {
      core.wasm.dealloc(out);
      core.wasm.dealloc(bodiesPtr);
      core.wasm.dealloc(seedPtr);
    }
  }

  /** Container payload: encoding, seed, first index, count, bodies (SPEC §7.4). */
  serialize(): Uint8Array {
    const count = this.bodies.length;
    const payloadLength = ENCODING_BYTES + 32 + 4 + 4 + 4 + count * 8;
    const object = allocateObject(ObjectKind.SeededCiphertextList, this.params.fingerprint, payloadLength);
    const w = new ByteWriter(object.payload);
    writeEncoding(w, this.encoding);
    w.bytes(this.seed).u32(this.firstIndex).u32(this.params.bigDimension).u32(count);
    for (const body of this.bodies) w.u64(body); // LE, whatever the host
    return object.seal();
  }

  static deserialize(core: EngineCore, params: LoadedParameters, bytes: Uint8Array, maxBytes?: number): SeededCiphertextList {
    const { payload } = decodeObject(bytes, { kind: ObjectKind.SeededCiphertextList, fingerprint: params.fingerprint, maxBytes });
    const r = new ByteReader(payload);
    const encoding = readEncoding(r);
    const seed = r.bytes(32).slice();
    const firstIndex = r.u32();
    const dimension = r.u32();
    if (dimension !== params.bigDimension) {
      throw new CorruptError(`Seeded list dimension ${dimension} does not match the big key dimension ${params.bigDimension}.`);
    }
    const count = r.u32();
    if (firstIndex + count > 2 ** 32) throw new CorruptError(`Seeded list indices overflow 32 bits.`);
    const raw = r.bytes(count * 8);
    r.expectEnd();
    const bodies = new BigUint64Array(count);
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    for (let j = 0; j < count; j++) bodies[j] = view.getBigUint64(j * 8, true); // LE, whatever the host
    return new SeededCiphertextList(core, params, encoding, seed, firstIndex, bodies);
  }
}
