// The client's secret key: never leaves the client. It encrypts, decrypts and generates the
// evaluation keys the server needs (SPEC §3). The secret lives in wasm memory and is wiped on free().
import type { EngineCore, LoadedParameters } from "./core.js";
import { SizeOf, randomSeed } from "./core.js";
import type { Encoding } from "./encoding.js";
import { defaultEncoding, encodeMessage, decodePhase } from "./encoding.js";
import { Ciphertext, SeededCiphertextList } from "./ciphertext.js";
import { GlweCiphertext, SeededGlweCiphertext, encryptGlwe, decryptGlwe, glwePhase } from "./glwe-ciphertext.js";
import { EvaluationKeys } from "./evaluation-keys.js";
import type { KeyKind } from "./ciphertext.js";
import { LweVector } from "./lwe-vector.js";
import type { SeededLweVector } from "./lwe-vector.js";
import { WasmResource } from "./resource.js";
import { ObjectKind, allocateObject, decodeObject, ByteReader, ByteWriter } from "./format.js";
import { CorruptError, InvalidArgumentError } from "./errors.js";

export interface EncryptOptions {
  encoding?: Encoding;
}
export interface EncryptManyOptions extends EncryptOptions {
  /** Keep only seed + bodies (8 bytes per value on the wire). Default true. */
  seeded?: boolean;
}
export interface EncryptGlweOptions extends EncryptOptions {
  /** Keep only seed + body (8N + 36 bytes instead of 8(k+1)N). Default false. */
  seeded?: boolean;
}

function packBits(words: BigUint64Array): Uint8Array {
  const out = new Uint8Array(Math.ceil(words.length / 8));
  words.forEach((w, i) => {
    if (w !== 0n) out[i >> 3]! |= 1 << (i & 7);
  });
  return out;
}

function unpackBits(bits: Uint8Array, into: BigUint64Array): void {
  for (let i = 0; i < into.length; i++) into[i] = BigInt((bits[i >> 3]! >> (i & 7)) & 1);
  const spare = bits.length * 8 - into.length;
  if (spare > 0 && bits[bits.length - 1]! >> (8 - spare) !== 0) {
    throw new CorruptError("Client key has bits set past the end of a key.");
  }
}

export class ClientKey extends WasmResource {
  readonly params: LoadedParameters;
  /** The set's default encoding (p = message·carry with a padding bit). */
  readonly encoding: Encoding;

  private constructor(core: EngineCore, params: LoadedParameters, pointer: number) {
    super(core, pointer, (p) => core.wasm.secretKeysFree(p), "client key"); // secretKeysFree wipes the keys
    this.params = params;
    this.encoding = defaultEncoding(params.set);
  }

  /** Fresh uniform binary keys from the host's CSPRNG (crypto.getRandomValues). */
  static generate(core: EngineCore, params: LoadedParameters): ClientKey {
    const keySeed = core.copyIn(randomSeed());
    const noiseSeed = core.copyIn(randomSeed());
    try {
      return new ClientKey(core, params, core.wasm.secretKeysGenerate(params.pointer, keySeed, noiseSeed));
    } finally {
      core.wasm.wipe(keySeed, 32);
      core.wasm.wipe(noiseSeed, 32);
      core.wasm.dealloc(keySeed);
      core.wasm.dealloc(noiseSeed);
    }
  }


  /** A fresh public mask seed drawn from the key's secret stream. */
  private drawSeed(): Uint8Array {
    const ptr = this.core.allocate(32);
    this.core.wasm.secretKeysDrawSeed(this.pointer, ptr);
    const seed = this.core.copyOut(ptr, 32);
    this.core.wasm.dealloc(ptr);
    return seed;
  }

  /** Encrypts one message (an integer of the encoding) under the big key. */
  encrypt(message: number | bigint, options: EncryptOptions = {}): Ciphertext {
    const encoding = options.encoding ?? this.encoding;
    const { core, params } = this;
    const ct = Ciphertext.allocate(core, params, "big", encoding);
    const scratch = core.allocate(8 + 32);
    core.wasm.secretKeysDrawSeed(this.pointer, scratch + 8);
    core.u64(scratch, 1)[0] = encodeMessage(message, encoding);
    core.wasm.encryptList(this.pointer, ct.pointer, scratch, 1, scratch + 8, 0);
    core.wasm.wipe(scratch, 8 + 32); // the plaintext
    core.wasm.dealloc(scratch);
    return ct;
  }

  /** Encrypts under the small key (dimension n) with the LWE noise: bootstrap inputs in tests. */
  encryptSmall(message: number | bigint, options: EncryptOptions = {}): Ciphertext {
    const encoding = options.encoding ?? this.encoding;
    const { core, params } = this;
    const ct = Ciphertext.allocate(core, params, "small", encoding);
    const seed = core.copyIn(this.drawSeed());
    core.wasm.encryptSmall(this.pointer, ct.pointer, encodeMessage(message, encoding), seed, 0);
    core.wasm.dealloc(seed);
    return ct;
  }

  /** Encrypts a vector; seeded (default) keeps one 32-byte seed and one body per value. */
  encryptMany(messages: ArrayLike<number | bigint>, options: EncryptManyOptions & { seeded: false }): Ciphertext[];
  encryptMany(messages: ArrayLike<number | bigint>, options?: EncryptManyOptions): SeededCiphertextList;
  encryptMany(messages: ArrayLike<number | bigint>, options: EncryptManyOptions = {}): SeededCiphertextList | Ciphertext[] {
    const encoding = options.encoding ?? this.encoding;
    const { core, params } = this;
    const count = messages.length;
    const seed = this.drawSeed();
    const plaintexts = core.allocate(Math.max(count, 1) * 8);
    const seedPtr = core.copyIn(seed);
    try {
      const view = core.u64(plaintexts, count);
      for (let j = 0; j < count; j++) view[j] = encodeMessage(messages[j]!, encoding);
      if (options.seeded === false) {
        const ctBytes = params.size(SizeOf.BigCiphertext);
        const out = core.allocate(Math.max(count * ctBytes, 8));
        core.wasm.encryptList(this.pointer, out, plaintexts, count, seedPtr, 0);
        const cts = Array.from({ length: count }, (_, j) => {
          const ct = Ciphertext.allocate(core, params, "big", encoding);
          core.bytes(ct.pointer, ctBytes).set(core.bytes(out + j * ctBytes, ctBytes));
          return ct;
        });
        core.wasm.dealloc(out);
        return cts;
      }
      const bodies = core.allocate(Math.max(count, 1) * 8);
      core.wasm.encryptListSeeded(this.pointer, bodies, plaintexts, count, seedPtr, 0);
      const copy = new BigUint64Array(count);
      copy.set(core.u64(bodies, count));
      core.wasm.dealloc(bodies);
      return new SeededCiphertextList(core, params, encoding, seed, 0, copy);
    } finally {
      core.wasm.wipe(plaintexts, Math.max(count, 1) * 8);
      core.wasm.dealloc(plaintexts);
      core.wasm.dealloc(seedPtr);
    }
  }

  /**
   * Encrypts torus plaintexts (already scaled by their encodings) as a seeded vector under the
   * big key (glwe noise: leveled circuits) or the small key (LWE noise: inputs that go straight to
   * a bootstrap, which then needs no keyswitch). 8 bytes per value plus one 32-byte seed.
   */
  encryptPlaintexts(plaintexts: BigUint64Array, keyKind: KeyKind): SeededLweVector {
    const { core } = this;
    const count = plaintexts.length;
    const seed = this.drawSeed();
    const seedPtr = core.copyIn(seed);
    const input = core.allocate(Math.max(count, 1) * 8);
    const bodies = core.allocate(Math.max(count, 1) * 8);
    try {
      core.u64(input, count).set(plaintexts);
      if (keyKind === "big") core.wasm.encryptListSeeded(this.pointer, bodies, input, count, seedPtr, 0);
      else core.wasm.encryptListSmallSeeded(this.pointer, bodies, input, count, seedPtr, 0);
      return { keyKind, seed, bodies: new BigUint64Array(core.u64(bodies, count)) };
    } finally {
      core.wasm.wipe(input, Math.max(count, 1) * 8);
      core.wasm.dealloc(input);
      core.wasm.dealloc(bodies);
      core.wasm.dealloc(seedPtr);
    }
  }

  /** Raw ciphertext bytes (a result from a server) as a vector of this key's engine. */
  vectorFromBytes(bytes: Uint8Array, keyKind: KeyKind): LweVector {
    return LweVector.fromBytes(this.core, this.params, keyKind, bytes);
  }

  /** The phases of a vector's ciphertexts (plaintext + noise each); the caller decodes. */
  phases(vector: LweVector): BigUint64Array {
    this.checkCiphertext(vector);
    const out = new BigUint64Array(vector.length);
    for (let i = 0; i < vector.length; i++) {
      const at = vector.pointerOf(i);
      const raw = vector.keyKind === "big" ? this.core.wasm.phaseBig(this.pointer, at) : this.core.wasm.phaseSmall(this.pointer, at);
      out[i] = BigInt.asUintN(64, raw);
    }
    return out;
  }

  /** The phase φ = b − ⟨a, s⟩ (message·Δ + noise), for noise measurements. */
  phase(ct: Ciphertext): bigint {
    this.checkCiphertext(ct);
    const raw = ct.keyKind === "big" ? this.core.wasm.phaseBig(this.pointer, ct.pointer) : this.core.wasm.phaseSmall(this.pointer, ct.pointer);
    return BigInt.asUintN(64, raw);
  }

  /**
   * Diagnostics: the phase of a small-key ciphertext after the modulus switch to 2N that starts
   * every bootstrap (an integer in [0, 2N)). Compare with phase(ct)·2N/2^64 to measure the switch noise.
   */
  switchedPhase(ct: Ciphertext): number {
    this.checkCiphertext(ct);
    if (ct.keyKind !== "small") throw new InvalidArgumentError("switchedPhase takes a small-key ciphertext (encryptSmall or keyswitch output).");
    return this.core.wasm.switchedPhase(this.pointer, ct.pointer);
  }

  /** Decrypts: round(φ/Δ) mod p under the ciphertext's (or the given) encoding. */
  decrypt(ct: Ciphertext, options: EncryptOptions = {}): number {
    return decodePhase(this.phase(ct), options.encoding ?? ct.encoding);
  }

  decryptMany(cts: readonly Ciphertext[], options: EncryptOptions = {}): number[] {
    return cts.map((ct) => this.decrypt(ct, options));
  }

  /** Encrypts up to N messages as the coefficients of one GLWE plaintext polynomial (the rest 0). */
  encryptGlwe(messages: ArrayLike<number | bigint>, options: EncryptGlweOptions & { seeded: true }): SeededGlweCiphertext;
  encryptGlwe(messages: ArrayLike<number | bigint>, options?: EncryptGlweOptions): GlweCiphertext;
  encryptGlwe(messages: ArrayLike<number | bigint>, options: EncryptGlweOptions = {}): GlweCiphertext | SeededGlweCiphertext {
    const encoding = options.encoding ?? this.encoding;
    return encryptGlwe(this.core, this.params, this.pointer, this.drawSeed(), messages, encoding, options.seeded === true);
  }

  /** The phase polynomial B − Σ A_i·S_i (N values: message·Δ + noise), for noise measurements. */
  phaseGlwe(ct: GlweCiphertext): BigUint64Array {
    this.checkGlwe(ct);
    return glwePhase(this.core, this.params, this.pointer, ct);
  }

  /** Decrypts all N coefficients of a GLWE ciphertext under its (or the given) encoding. */
  decryptGlwe(ct: GlweCiphertext, options: EncryptOptions = {}): number[] {
    this.checkGlwe(ct);
    return decryptGlwe(this.core, this.params, this.pointer, ct, options.encoding ?? ct.encoding);
  }

  /** Generates the compressed evaluation keys (keyswitching + bootstrapping bodies and a seed). */
  generateEvaluationKeys(): EvaluationKeys {
    const { core, params } = this;
    const seed = this.drawSeed();
    const bskBytes = params.size(SizeOf.CompressedBskBodies);
    const kskBytes = params.size(SizeOf.CompressedKskBodies);
    const seedPtr = core.copyIn(seed);
    const bsk = core.allocate(bskBytes);
    const ksk = core.allocate(kskBytes);
    try {
      core.wasm.generateEvaluationKeys(this.pointer, seedPtr, bsk, ksk);
      return new EvaluationKeys(params.set, params.fingerprint, seed, core.copyOut(bsk, bskBytes), core.copyOut(ksk, kskBytes));
    } finally {
      core.wasm.dealloc(seedPtr);
      core.wasm.dealloc(bsk);
      core.wasm.dealloc(ksk);
    }
  }

  /** Container payload: n, k·N, then both keys as packed bits (SPEC §7.1). */
  serialize(): Uint8Array {
    const { core, params } = this;
    const small = packBits(core.u64(core.wasm.secretKeysSmallKey(this.pointer), params.smallDimension));
    const big = packBits(core.u64(core.wasm.secretKeysGlweKey(this.pointer), params.bigDimension));
    const object = allocateObject(ObjectKind.ClientKey, params.fingerprint, 8 + small.length + big.length);
    new ByteWriter(object.payload).u32(params.smallDimension).u32(params.bigDimension).bytes(small).bytes(big);
    small.fill(0);
    big.fill(0);
    return object.seal();
  }

  static deserialize(core: EngineCore, params: LoadedParameters, bytes: Uint8Array, maxBytes?: number): ClientKey {
    const { payload } = decodeObject(bytes, { kind: ObjectKind.ClientKey, fingerprint: params.fingerprint, maxBytes });
    const r = new ByteReader(payload);
    const n = r.u32();
    const bigN = r.u32();
    if (n !== params.smallDimension || bigN !== params.bigDimension) {
      throw new CorruptError(`Client key dimensions ${n}/${bigN} do not match the parameter set (${params.smallDimension}/${params.bigDimension}).`);
    }
    const smallBits = r.bytes(Math.ceil(n / 8));
    const bigBits = r.bytes(Math.ceil(bigN / 8));
    r.expectEnd();
    const noiseSeed = core.copyIn(randomSeed());
    const pointer = core.wasm.secretKeysAllocate(params.pointer, noiseSeed);
    core.wasm.wipe(noiseSeed, 32);
    core.wasm.dealloc(noiseSeed);
    const key = new ClientKey(core, params, pointer);
    try {
      unpackBits(smallBits, core.u64(core.wasm.secretKeysSmallKey(pointer), n));
      unpackBits(bigBits, core.u64(core.wasm.secretKeysGlweKey(pointer), bigN));
    } catch (e) {
      key.free();
      throw e;
    }
    core.wasm.secretKeysFinish(pointer);
    return key;
  }

  private checkGlwe(ct: GlweCiphertext): void {
    if (!(ct instanceof GlweCiphertext)) throw new InvalidArgumentError("Expected a GlweCiphertext (expand a seeded one first).");
    this.checkCiphertext(ct);
  }

  private checkCiphertext(ct: Ciphertext | GlweCiphertext | LweVector): void {
    if (ct.core !== this.core) {
      throw new InvalidArgumentError(
        "This ciphertext lives in another engine instance (another loadEngine()); serialize it and deserialize it into this engine.",
      );
    }
    if (ct.params !== this.params) {
      throw new InvalidArgumentError(`Ciphertext is for parameter set "${ct.params.set.name}", this key for "${this.params.set.name}".`);
    }
  }
}
