// A vector of LWE ciphertexts under one key, stored back to back in wasm memory: the unit the
// ML layer works in (an input row, a layer's accumulators, a layer's activations). Encodings are
// the caller's business here: values are torus plaintexts (already scaled), so one vector can
// hold values of different scales. Seeded vectors (a 32-byte public seed + one 8-byte body per
// value) are what a client sends; the server expands them.
import type { EngineCore, LoadedParameters } from "./core.js";
import type { KeyKind } from "./ciphertext.js";
import { CorruptError, InvalidArgumentError } from "./errors.js";
import { WasmResource } from "./resource.js";

export class LweVector extends WasmResource {
  readonly params: LoadedParameters;
  readonly keyKind: KeyKind;
  readonly length: number;

  constructor(core: EngineCore, params: LoadedParameters, keyKind: KeyKind, length: number, pointer: number) {
    super(core, pointer, (p) => core.wasm.dealloc(p), "ciphertext vector");
    this.params = params;
    this.keyKind = keyKind;
    this.length = length;
  }

  static allocate(core: EngineCore, params: LoadedParameters, keyKind: KeyKind, length: number): LweVector {
    const words = wordsPerCiphertext(params, keyKind);
    return new LweVector(core, params, keyKind, length, core.allocate(Math.max(length * words * 8, 8)));
  }

  /** Copies raw ciphertext bytes (length·(d+1)·8, little-endian u64) into a new vector. */
  static fromBytes(core: EngineCore, params: LoadedParameters, keyKind: KeyKind, bytes: Uint8Array): LweVector {
    const ctBytes = wordsPerCiphertext(params, keyKind) * 8;
    if (bytes.length % ctBytes !== 0) {
      throw new CorruptError(`A ${keyKind}-key ciphertext vector is a multiple of ${ctBytes} bytes, got ${bytes.length}.`);
    }
    const vector = LweVector.allocate(core, params, keyKind, bytes.length / ctBytes);
    core.bytes(vector.pointer, bytes.length).set(bytes);
    return vector;
  }

  /** u64 words per ciphertext: dimension + 1. */
  get words(): number {
    return wordsPerCiphertext(this.params, this.keyKind);
  }
  get byteLength(): number {
    return this.length * this.words * 8;
  }
  /** Address of ciphertext i in wasm memory. */
  pointerOf(i: number): number {
    if (!Number.isInteger(i) || i < 0 || i >= this.length) throw new InvalidArgumentError(`Index ${i} is outside a vector of ${this.length}.`);
    return this.pointer + i * this.words * 8;
  }
  /** A copy of the raw bytes (to send to a worker or over the wire). */
  toBytes(): Uint8Array {
    return this.core.copyOut(this.pointer, this.byteLength);
  }
  /** A copy of ciphertexts [from, to). */
  slice(from: number, to: number): LweVector {
    const ctBytes = this.words * 8;
    const out = LweVector.allocate(this.core, this.params, this.keyKind, to - from);
    out.core.bytes(out.pointer, out.byteLength).set(this.core.bytes(this.pointer + from * ctBytes, (to - from) * ctBytes));
    return out;
  }
}

export function wordsPerCiphertext(params: LoadedParameters, keyKind: KeyKind): number {
  return (keyKind === "big" ? params.bigDimension : params.smallDimension) + 1;
}

/** A vector in compressed form: masks are the streams (seed, DOMAIN_LWE_MASK, j[, small]). */
export interface SeededLweVector {
  readonly keyKind: KeyKind;
  readonly seed: Uint8Array; // 32 bytes, public
  readonly bodies: BigUint64Array;
}
