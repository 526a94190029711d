// GLWE ciphertexts as the host sees them (SPEC §4.12). A GLWE ciphertext encrypts a whole
// polynomial M = Σ_j m_j·Δ·X^j, i.e. N messages at once, as (A_0, …, A_{k−1}, B) with
// B = Σ A_i·S_i + M + E: a block of (k+1)·N u64 in wasm memory, body last. The seeded form keeps
// only the public mask seed, an index and B (N u64) in JS memory: the masks are regenerated from
// the stream (seed, DOMAIN_GLWE_MASK, index) when it is expanded.
import type { EngineCore, LoadedParameters } from "./core.js";
import type { Encoding } from "./encoding.js";
import { encodeMessage, decodePhase } from "./encoding.js";
import { ENCODING_BYTES, writeEncoding, readEncoding } from "./ciphertext.js";
import { ObjectKind, allocateObject, decodeObject, ByteReader, ByteWriter } from "./format.js";
import { CorruptError, InvalidArgumentError } from "./errors.js";
import { WasmResource } from "./resource.js";

const SEED_BYTES = 32;

export class GlweCiphertext extends WasmResource {
  readonly params: LoadedParameters;
  encoding: Encoding;

  /** Wraps an existing wasm block of (k+1)·N u64 (takes ownership). */
  constructor(core: EngineCore, params: LoadedParameters, encoding: Encoding, pointer: number) {
    super(core, pointer, (p) => core.wasm.dealloc(p), "GLWE ciphertext");
    this.params = params;
    this.encoding = encoding;
  }

  /** Allocates an uninitialised ciphertext. */
  static allocate(core: EngineCore, params: LoadedParameters, encoding: Encoding): GlweCiphertext {
    return new GlweCiphertext(core, params, encoding, core.allocate(glweCiphertextBytes(params)));
  }

  /** k: the number of mask polynomials. */
  get glweDimension(): number {
    return this.params.set.glweDimension;
  }
  /** N: coefficients per polynomial, i.e. messages per ciphertext. */
  get polynomialSize(): number {
    return this.params.set.polynomialSize;
  }
  get byteLength(): number {
    return glweCiphertextBytes(this.params);
  }

  clone(): GlweCiphertext {
    const copy = GlweCiphertext.allocate(this.core, this.params, this.encoding);
    this.core.bytes(copy.pointer, this.byteLength).set(this.core.bytes(this.pointer, this.byteLength));
    return copy;
  }

  /** The versioned container: encoding, k, N, then the (k+1)·N coefficients (SPEC §7.6). */
  serialize(): Uint8Array {
    const payloadLength = ENCODING_BYTES + 4 + 4 + this.byteLength;
    const object = allocateObject(ObjectKind.GlweCiphertext, this.params.fingerprint, payloadLength);
    const w = new ByteWriter(object.payload);
    writeEncoding(w, this.encoding);
    w.u32(this.glweDimension).u32(this.polynomialSize);
    w.bytes(this.core.bytes(this.pointer, this.byteLength));
    return object.seal();
  }

  static deserialize(core: EngineCore, params: LoadedParameters, bytes: Uint8Array, maxBytes?: number): GlweCiphertext {
    const { payload } = decodeObject(bytes, { kind: ObjectKind.GlweCiphertext, fingerprint: params.fingerprint, maxBytes });
    const r = new ByteReader(payload);
    const encoding = readEncoding(r);
    const k = r.u32();
    const N = r.u32();
    const { glweDimension, polynomialSize } = params.set;
    if (k !== glweDimension || N !== polynomialSize) {
      throw new CorruptError(`GLWE ciphertext dimensions k = ${k}, N = ${N} do not match the parameter set (k = ${glweDimension}, N = ${polynomialSize}).`);
    }
    const coefficients = r.bytes(glweCiphertextBytes(params));
    r.expectEnd();
    const ct = GlweCiphertext.allocate(core, params, encoding);
    core.bytes(ct.pointer, coefficients.length).set(coefficients);
    return ct;
  }
}

/**
 * A GLWE ciphertext in compressed form: the public 32-byte mask seed, the stream index and the
 * body B (N u64, little-endian bytes). 8N + 36 bytes instead of 8(k+1)N.
 */
export class SeededGlweCiphertext {
  readonly core: EngineCore;
  readonly params: LoadedParameters;
  readonly encoding: Encoding;
  readonly seed: Uint8Array;
  readonly index: number;
  /** B: N u64, little-endian (8N bytes). */
  readonly body: Uint8Array;

  constructor(core: EngineCore, params: LoadedParameters, encoding: Encoding, seed: Uint8Array, index: number, body: Uint8Array) {
    this.core = core;
    this.params = params;
    this.encoding = encoding;
    this.seed = seed;
    this.index = index;
    this.body = body;
  }

  /** Regenerates the masks: the full ciphertext, as the encryptor computed it. */
  expand(): GlweCiphertext {
    const { core, params } = this;
    const ct = GlweCiphertext.allocate(core, params, this.encoding);
    const seedPtr = core.copyIn(this.seed);
    const bodyPtr = core.copyIn(this.body);
    try {
      core.wasm.glweExpandSeeded(params.pointer, ct.pointer, bodyPtr, seedPtr, this.index);
    } finally {
      core.wasm.dealloc(bodyPtr);
      core.wasm.dealloc(seedPtr);
    }
    return ct;
  }

  /** Container payload: encoding, seed, index, N, body (SPEC §7.7). */
  serialize(): Uint8Array {
    const payloadLength = ENCODING_BYTES + SEED_BYTES + 4 + 4 + this.body.length;
    const object = allocateObject(ObjectKind.SeededGlweCiphertext, this.params.fingerprint, payloadLength);
    const w = new ByteWriter(object.payload);
    writeEncoding(w, this.encoding);
    w.bytes(this.seed).u32(this.index).u32(this.params.set.polynomialSize).bytes(this.body);
    return object.seal();
  }

  static deserialize(core: EngineCore, params: LoadedParameters, bytes: Uint8Array, maxBytes?: number): SeededGlweCiphertext {
    const { payload } = decodeObject(bytes, { kind: ObjectKind.SeededGlweCiphertext, fingerprint: params.fingerprint, maxBytes });
    const r = new ByteReader(payload);
    const encoding = readEncoding(r);
    const seed = r.bytes(SEED_BYTES).slice();
    const index = r.u32();
    const N = r.u32();
    if (N !== params.set.polynomialSize) {
      throw new CorruptError(`Seeded GLWE ciphertext has N = ${N}, the parameter set N = ${params.set.polynomialSize}.`);
    }
    const body = r.bytes(N * 8).slice();
    r.expectEnd();
    return new SeededGlweCiphertext(core, params, encoding, seed, index, body);
  }
}

/** (k+1)·N·8: bytes of one GLWE ciphertext in wasm memory. */
export function glweCiphertextBytes(params: LoadedParameters): number {
  return (params.set.glweDimension + 1) * params.set.polynomialSize * 8;
}

/**
 * Copies the plaintext polynomial Σ_j m_j·Δ·X^j of up to N messages (the other coefficients 0)
 * into a fresh wasm block of N u64. The caller wipes and frees it (wipePolynomial).
 */
export function copyInPlaintextPolynomial(core: EngineCore, params: LoadedParameters, messages: ArrayLike<number | bigint>, encoding: Encoding): number {
  const N = params.set.polynomialSize;
  if (messages.length > N) {
    throw new InvalidArgumentError(`A GLWE ciphertext holds at most N = ${N} messages, got ${messages.length}.`);
  }
  const encoded = Array.from(messages, (m) => encodeMessage(m, encoding)); // throws before any allocation
  const pointer = core.wasm.allocZeroed(N * 8);
  core.u64(pointer, encoded.length).set(encoded);
  return pointer;
}

/** Zeroes and frees a plaintext or phase polynomial (secret: message plus noise). */
export function wipePolynomial(core: EngineCore, params: LoadedParameters, pointer: number): void {
  core.wasm.wipe(pointer, params.set.polynomialSize * 8);
  core.wasm.dealloc(pointer);
}

/**
 * Encrypts up to N messages under the client key at `keysPointer` with the public mask seed
 * `seed` (index 0): the full ciphertext, or only its body (the seeded form).
 */
export function encryptGlwe(
  core: EngineCore, params: LoadedParameters, keysPointer: number, seed: Uint8Array,
  messages: ArrayLike<number | bigint>, encoding: Encoding, seeded: boolean,
): GlweCiphertext | SeededGlweCiphertext {
  const index = 0;
  const plaintext = copyInPlaintextPolynomial(core, params, messages, encoding);
  const seedPtr = core.copyIn(seed);
  try {
    if (!seeded) {
      const ct = GlweCiphertext.allocate(core, params, encoding);
      core.wasm.glweEncryptWithKeys(keysPointer, ct.pointer, plaintext, seedPtr, index);
      return ct;
    }
    const bodyBytes = params.set.polynomialSize * 8;
    const body = core.allocate(bodyBytes);
    core.wasm.glweEncryptSeededBody(keysPointer, body, plaintext, seedPtr, index);
    const copy = core.copyOut(body, bodyBytes);
    core.wasm.dealloc(body);
    return new SeededGlweCiphertext(core, params, encoding, seed, index, copy);
  } finally {
    wipePolynomial(core, params, plaintext);
    core.wasm.dealloc(seedPtr);
  }
}

/** The phase polynomial B − Σ A_i·S_i = M + E (N values), under the key at `keysPointer`. */
export function glwePhase(core: EngineCore, params: LoadedParameters, keysPointer: number, ct: GlweCiphertext): BigUint64Array {
  const N = params.set.polynomialSize;
  const phase = core.allocate(N * 8);
  try {
    core.wasm.glwePhaseWithKeys(keysPointer, phase, ct.pointer);
    return core.u64(phase, N).slice();
  } finally {
    wipePolynomial(core, params, phase);
  }
}

/** Decrypts all N coefficients: round(φ_j/Δ) mod p each. */
export function decryptGlwe(core: EngineCore, params: LoadedParameters, keysPointer: number, ct: GlweCiphertext, encoding: Encoding): number[] {
  const phase = glwePhase(core, params, keysPointer, ct);
  const messages = Array.from(phase, (φ) => decodePhase(φ, encoding));
  phase.fill(0n);
  return messages;
}
