// The server side of the engine: evaluation keys expanded (keyswitching key in 32-bit words,
// bootstrapping key in the Fourier domain), bootstrapping and leveled operations on ciphertexts.
// It holds no secret. Expanded keys can be exported once and handed to other engine instances
// (worker threads) so no worker recomputes the transforms.
import type { EngineCore, LoadedParameters } from "./core.js";
import { SizeOf } from "./core.js";
import { Ciphertext } from "./ciphertext.js";
import type { KeyKind } from "./ciphertext.js";
import { LweVector, wordsPerCiphertext } from "./lwe-vector.js";
import type { SeededLweVector } from "./lwe-vector.js";
import { GlweCiphertext, copyInPlaintextPolynomial, wipePolynomial } from "./glwe-ciphertext.js";
import type { EvaluationKeys } from "./evaluation-keys.js";
import type { Encoding } from "./encoding.js";
import { defaultEncoding, encodeMessage, makeEncoding } from "./encoding.js";
import { LookupTable, tableCoefficients, manyTableCoefficients } from "./lookup-table.js";
import { InvalidArgumentError, ParameterMismatchError } from "./errors.js";
import { WasmResource } from "./resource.js";
import { parameterSetByFingerprint } from "./params.js";

/** Expanded keys as plain bytes, to copy into another engine instance (e.g. a worker). */
export interface ExpandedKeys {
  readonly fingerprint: Uint8Array;
  readonly keyswitchKey: Uint8Array;
  readonly fourierBootstrapKey: Uint8Array;
}

export interface LookupTableOptions {
  /** Encoding of the inputs (default: the set's default encoding). */
  input?: Encoding;
  /** Encoding of the outputs (default: the input encoding). */
  output?: Encoding;
}

export class Evaluator extends WasmResource {
  readonly params: LoadedParameters;
  readonly encoding: Encoding;

  /** False for a leveled-only evaluator (no evaluation keys): bootstraps and keyswitches throw. */
  readonly hasKeys: boolean;

  private constructor(core: EngineCore, params: LoadedParameters, pointer: number, hasKeys = true) {
    super(core, pointer, (p) => core.wasm.evaluatorFree(p), "evaluator");
    this.params = params;
    this.encoding = defaultEncoding(params.set);
    this.hasKeys = hasKeys;
  }

  /** An evaluator with no keys (leveled operations only): its scratch, no key material. */
  static leveled(core: EngineCore, params: LoadedParameters): Evaluator {
    return new Evaluator(core, params, core.wasm.evaluatorFromExpanded(params.pointer, 0, 0, 0), false);
  }

  /** Expands compressed keys: regenerates masks from the seed, transforms the BSK. */
  static fromKeys(core: EngineCore, params: LoadedParameters, keys: EvaluationKeys): Evaluator {
    const seed = core.copyIn(keys.seed);
    const bsk = core.copyIn(keys.bootstrapBodies);
    const ksk = core.copyIn(keys.keyswitchBodies);
    try {
      return new Evaluator(core, params, core.wasm.evaluatorCreate(params.pointer, seed, bsk, ksk));
    } finally {
      core.wasm.dealloc(seed);
      core.wasm.dealloc(bsk);
      core.wasm.dealloc(ksk);
    }
  }

  /** Builds an evaluator from keys another instance expanded (one copy, no transforms). */
  static fromExpanded(core: EngineCore, params: LoadedParameters, expanded: ExpandedKeys): Evaluator {
    const kskBytes = params.size(SizeOf.ExpandedKsk);
    const bskBytes = params.size(SizeOf.FourierBsk);
    if (!sameBytes(expanded.fingerprint, params.fingerprint)) {
      const named = parameterSetByFingerprint(expanded.fingerprint);
      throw new ParameterMismatchError(`"${params.set.name}"`, named ? `"${named.name}"` : "a custom set");
    }
    if (expanded.keyswitchKey.length !== kskBytes || expanded.fourierBootstrapKey.length !== bskBytes) {
      throw new InvalidArgumentError(`Expanded keys have the wrong size for parameter set "${params.set.name}".`);
    }
    const ksk = core.copyIn(expanded.keyswitchKey);
    const bsk = core.copyIn(expanded.fourierBootstrapKey);
    return new Evaluator(core, params, core.wasm.evaluatorFromExpanded(params.pointer, ksk, bsk, 1));
  }


  /** Bytes of wasm memory the expanded keys occupy. */
  get expandedKeyBytes(): number {
    return this.params.size(SizeOf.ExpandedKsk) + this.params.size(SizeOf.FourierBsk);
  }

  /**
   * Copies the expanded keys out, to hand to a worker's engine (Engine.createEvaluatorFromExpanded).
   * With `shared`, the bytes live in SharedArrayBuffers: posting them to any number of workers
   * copies nothing, so each worker costs only its own wasm copy of the keys.
   */
  exportExpandedKeys(options: { shared?: boolean } = {}): ExpandedKeys {
    if (!this.hasKeys) throw new InvalidArgumentError("A leveled evaluator has no keys to export.");
    const { core } = this;
    const copy = (pointer: number, length: number): Uint8Array => {
      if (!options.shared) return core.copyOut(pointer, length);
      const bytes = new Uint8Array(new SharedArrayBuffer(length));
      bytes.set(core.bytes(pointer, length));
      return bytes;
    };
    return {
      fingerprint: this.params.fingerprint,
      keyswitchKey: copy(core.wasm.evaluatorKeyswitchKey(this.pointer), this.params.size(SizeOf.ExpandedKsk)),
      fourierBootstrapKey: copy(core.wasm.evaluatorFourierBootstrapKey(this.pointer), this.params.size(SizeOf.FourierBsk)),
    };
  }

  // ---- lookup tables ----

  lookupTable(f: (m: number) => number, options: LookupTableOptions = {}): LookupTable {
    const input = options.input ?? this.encoding;
    const output = options.output ?? input;
    const N = this.params.set.polynomialSize;
    return new LookupTable(this.core, this.params, tableCoefficients(N, f, input, output), output);
  }

  /** Several functions in one table (many-LUT): inputs must stay below p / fs.length. */
  manyLookupTable(fs: readonly ((m: number) => number)[], options: LookupTableOptions = {}): LookupTable {
    const input = options.input ?? this.encoding;
    const output = options.output ?? input;
    const N = this.params.set.polynomialSize;
    const { coefficients, stride, inputBound } = manyTableCoefficients(N, fs, input, output);
    return new LookupTable(this.core, this.params, coefficients, output, fs.length, stride, inputBound);
  }

  /** Raw table coefficients (N u64), for callers building their own encodings. */
  lookupTableFromCoefficients(coefficients: BigUint64Array, output: Encoding): LookupTable {
    return new LookupTable(this.core, this.params, coefficients, output);
  }

  // ---- bootstrapping ----

  /** KS: big-key → small-key ciphertext. */
  keyswitch(ct: Ciphertext): Ciphertext {
    this.check(ct, "big");
    if (!this.hasKeys) throw new InvalidArgumentError("This evaluator has no evaluation keys (leveled only): it cannot keyswitch.");
    const out = Ciphertext.allocate(this.core, this.params, "small", ct.encoding);
    this.core.wasm.evaluatorKeyswitch(this.pointer, out.pointer, ct.pointer);
    return out;
  }

  /** PBS alone on a small-key ciphertext. */
  bootstrapSmall(ct: Ciphertext, lut: LookupTable): Ciphertext {
    this.check(ct, "small");
    this.checkTable(lut);
    const out = Ciphertext.allocate(this.core, this.params, "big", lut.output);
    this.core.wasm.evaluatorBootstrapSmall(this.pointer, out.pointer, ct.pointer, lut.pointer);
    return out;
  }

  /** KS then PBS: a big-key ciphertext of m → a fresh big-key ciphertext of f(m). */
  bootstrap(ct: Ciphertext, lut: LookupTable): Ciphertext {
    this.check(ct, "big");
    this.checkTable(lut);
    const out = Ciphertext.allocate(this.core, this.params, "big", lut.output);
    this.core.wasm.evaluatorBootstrap(this.pointer, out.pointer, ct.pointer, lut.pointer);
    return out;
  }

  /** Many-LUT: one KS and one blind rotation, one output per packed function. */
  bootstrapMany(ct: Ciphertext, lut: LookupTable): Ciphertext[] {
    this.check(ct, "big");
    this.checkTable(lut);
    const { core, params } = this;
    const ctBytes = params.size(SizeOf.BigCiphertext);
    const count = lut.functionCount;
    const out = core.allocate(ctBytes * count);
    try {
      core.wasm.evaluatorBootstrapMany(this.pointer, out, ct.pointer, lut.pointer, count, lut.stride);
      return Array.from({ length: count }, (_, i) => {
        const result = Ciphertext.allocate(core, params, "big", lut.output);
        core.bytes(result.pointer, ctBytes).set(core.bytes(out + i * ctBytes, ctBytes));
        return result;
      });
    } finally {
      core.wasm.dealloc(out);
    }
  }

  // ---- ciphertext vectors (the ML layer's unit of work) ----

  /** Regenerates a seeded vector's masks: the full ciphertexts the client computed (all, or [from, from + count)). */
  expandVector(seeded: SeededLweVector, from = 0, count = seeded.bodies.length - from): LweVector {
    const { core, params } = this;
    if (seeded.seed.length !== 32) throw new InvalidArgumentError(`A mask seed is 32 bytes, got ${seeded.seed.length}.`);
    if (!Number.isInteger(from) || !Number.isInteger(count) || from < 0 || count < 0 || from + count > seeded.bodies.length) {
      throw new InvalidArgumentError(`Ciphertexts [${from}, ${from + count}) are outside a list of ${seeded.bodies.length}.`);
    }
    const out = LweVector.allocate(core, params, seeded.keyKind, count);
    const seedPtr = core.copyIn(seeded.seed);
    const bodies = core.allocate(Math.max(count, 1) * 8);
    try {
      // ciphertext j's mask is the stream (seed, j): a slice starts its stream index at `from`
      core.u64(bodies, count).set(seeded.bodies.subarray(from, from + count));
      if (seeded.keyKind === "big") core.wasm.expandSeededList(params.pointer, out.pointer, bodies, count, seedPtr, from);
      else core.wasm.expandSeededListSmall(params.pointer, out.pointer, bodies, count, seedPtr, from);
      return out;
    } finally {
      core.wasm.dealloc(seedPtr);
      core.wasm.dealloc(bodies);
    }
  }

  /** Raw ciphertext bytes (e.g. from a worker) as a vector of this evaluator's engine. */
  vectorFromBytes(bytes: Uint8Array, keyKind: KeyKind): LweVector {
    return LweVector.fromBytes(this.core, this.params, keyKind, bytes);
  }

  /**
   * out = W·input for a cleartext integer matrix W (rows × cols, row-major, |w| < 2^31): the
   * leveled layer of a linear model or an MLP. Noise variance of out_r: Σ_c W[r][c]²·σ_c².
   */
  linear(input: LweVector, weights: Int32Array, rows: number, cols: number): LweVector {
    this.checkVector(input);
    if (cols !== input.length) throw new InvalidArgumentError(`The weight matrix has ${cols} columns; the input has ${input.length} ciphertexts.`);
    if (weights.length !== rows * cols) throw new InvalidArgumentError(`A ${rows}×${cols} weight matrix has ${rows * cols} entries, got ${weights.length}.`);
    const { core } = this;
    const out = LweVector.allocate(core, this.params, input.keyKind, rows);
    const w = core.copyIn(new Uint8Array(weights.buffer, weights.byteOffset, weights.byteLength));
    try {
      core.wasm.lweMatrixProduct(out.pointer, w, rows, cols, input.pointer, input.words);
      return out;
    } finally {
      core.wasm.dealloc(w);
    }
  }

  /** Adds plaintext j (already scaled) to ciphertext j, in place. */
  addPlaintextsAssign(vector: LweVector, plaintexts: BigUint64Array): LweVector {
    this.checkVector(vector);
    if (plaintexts.length !== vector.length) throw new InvalidArgumentError(`Expected ${vector.length} plaintexts, got ${plaintexts.length}.`);
    const p = this.core.allocate(Math.max(plaintexts.length, 1) * 8);
    try {
      this.core.u64(p, plaintexts.length).set(plaintexts);
      this.core.wasm.lweVectorAddPlaintexts(vector.pointer, vector.length, vector.words, p);
      return vector;
    } finally {
      this.core.wasm.dealloc(p);
    }
  }

  /**
   * Bootstraps elements of a vector: output i = PBS of input[source[i]] through tables[table[i]],
   * for i in [from, to) (a worker's share; default all). Big-key inputs are keyswitched first
   * (KS-PBS), small-key inputs bootstrap directly. Outputs are big-key ciphertexts.
   */
  bootstrapVector(
    input: LweVector, tables: readonly LookupTable[], table: Int32Array, source?: Int32Array,
    from = 0, to = table.length,
  ): LweVector {
    this.checkVector(input);
    tables.forEach((t) => this.checkTable(t));
    const { core, params } = this;
    const out = LweVector.allocate(core, params, "big", to - from);
    const outWords = wordsPerCiphertext(params, "big");
    for (let i = from; i < to; i++) {
      const lut = tables[table[i]!];
      const src = source ? source[i]! : i;
      if (!lut) throw new InvalidArgumentError(`Element ${i} names table ${table[i]}, but there are ${tables.length}.`);
      const dst = out.pointer + (i - from) * outWords * 8;
      if (input.keyKind === "big") core.wasm.evaluatorBootstrap(this.pointer, dst, input.pointerOf(src), lut.pointer);
      else core.wasm.evaluatorBootstrapSmall(this.pointer, dst, input.pointerOf(src), lut.pointer);
    }
    return out;
  }

  // ---- leveled operations (new ciphertexts; the *Assign variants work in place) ----

  add(a: Ciphertext, b: Ciphertext): Ciphertext {
    this.checkPair(a, b);
    return this.addAssign(a.clone(), b);
  }
  addAssign(a: Ciphertext, b: Ciphertext): Ciphertext {
    this.checkPair(a, b);
    this.core.wasm.lweAddAssign(a.pointer, b.pointer, a.dimension);
    return a;
  }
  sub(a: Ciphertext, b: Ciphertext): Ciphertext {
    this.checkPair(a, b);
    return this.subAssign(a.clone(), b);
  }
  subAssign(a: Ciphertext, b: Ciphertext): Ciphertext {
    this.checkPair(a, b);
    this.core.wasm.lweSubAssign(a.pointer, b.pointer, a.dimension);
    return a;
  }
  negate(a: Ciphertext): Ciphertext {
    this.check(a, a.keyKind);
    const out = a.clone();
    this.core.wasm.lweNegateAssign(out.pointer, out.dimension);
    return out;
  }
  multiplyByInteger(a: Ciphertext, scalar: number | bigint): Ciphertext {
    this.check(a, a.keyKind);
    return this.multiplyByIntegerAssign(a.clone(), scalar);
  }
  multiplyByIntegerAssign(a: Ciphertext, scalar: number | bigint): Ciphertext {
    this.check(a, a.keyKind);
    const c = typeof scalar === "bigint" ? scalar : BigInt(checkInteger(scalar));
    this.core.wasm.lweMulScalarAssign(a.pointer, a.dimension, BigInt.asIntN(64, c));
    return a;
  }
  /** Adds a cleartext message (encoded with the ciphertext's encoding): no noise added. */
  addPlaintext(a: Ciphertext, message: number | bigint): Ciphertext {
    this.check(a, a.keyKind);
    return this.addPlaintextAssign(a.clone(), message);
  }
  addPlaintextAssign(a: Ciphertext, message: number | bigint): Ciphertext {
    this.check(a, a.keyKind);
    this.core.wasm.lweAddPlaintextAssign(a.pointer, a.dimension, encodeMessage(message, a.encoding));
    return a;
  }

  // ---- leveled operations on GLWE ciphertexts (new ciphertexts; SPEC §4.12) ----

  /** a + b: the message polynomials add (each coefficient mod p). */
  glweAdd(a: GlweCiphertext, b: GlweCiphertext): GlweCiphertext {
    this.checkGlwe(a, b);
    const out = a.clone();
    this.core.wasm.glweAddAssign(out.pointer, b.pointer, out.glweDimension, out.polynomialSize);
    return out;
  }
  glweSub(a: GlweCiphertext, b: GlweCiphertext): GlweCiphertext {
    this.checkGlwe(a, b);
    const out = a.clone();
    this.core.wasm.glweSubAssign(out.pointer, b.pointer, out.glweDimension, out.polynomialSize);
    return out;
  }
  glweNegate(a: GlweCiphertext): GlweCiphertext {
    this.checkGlwe(a);
    const out = a.clone();
    this.core.wasm.glweNegateAssign(out.pointer, out.glweDimension, out.polynomialSize);
    return out;
  }
  /** c·a for a cleartext integer c (taken mod 2^64): the noise grows by |c|. */
  glweMultiplyByInteger(a: GlweCiphertext, scalar: number | bigint): GlweCiphertext {
    this.checkGlwe(a);
    const c = BigInt.asIntN(64, typeof scalar === "bigint" ? scalar : BigInt(checkInteger(scalar)));
    const out = a.clone();
    this.core.wasm.glweMulScalarAssign(out.pointer, out.glweDimension, out.polynomialSize, c);
    return out;
  }
  /** Adds the cleartext polynomial Σ_j m_j·X^j (up to N messages, encoded with a's encoding): no noise added. */
  glweAddPlaintext(a: GlweCiphertext, messages: ArrayLike<number | bigint>): GlweCiphertext {
    this.checkGlwe(a);
    const plaintext = copyInPlaintextPolynomial(this.core, this.params, messages, a.encoding);
    const out = a.clone();
    this.core.wasm.glweAddPlaintextPolynomialAssign(out.pointer, out.glweDimension, out.polynomialSize, plaintext);
    wipePolynomial(this.core, this.params, plaintext);
    return out;
  }

  /** A noiseless encryption of a public constant (anyone can make it). */
  trivial(message: number | bigint, encoding: Encoding = this.encoding): Ciphertext {
    const ct = Ciphertext.allocate(this.core, this.params, "big", encoding);
    this.core.wasm.lweTrivial(ct.pointer, ct.dimension, encodeMessage(message, encoding));
    return ct;
  }

  /** An encoding of this set with another modulus / scale (see encoding.ts). */
  encodingFor(modulus: number, delta?: bigint, signed = false): Encoding {
    return makeEncoding({ modulus, delta, signed });
  }

  private check(ct: Ciphertext, keyKind: "big" | "small"): void {
    if (ct.core !== this.core) {
      throw new InvalidArgumentError(
        "This ciphertext lives in another engine instance (another loadEngine()); serialize it and deserialize it into this engine.",
      );
    }
    if (ct.params.set !== this.params.set) {
      throw new ParameterMismatchError(`"${this.params.set.name}"`, `"${ct.params.set.name}"`);
    }
    if (ct.keyKind !== keyKind) {
      throw new InvalidArgumentError(`Expected a ${keyKind}-key ciphertext, got a ${ct.keyKind}-key one.`);
    }
  }
  private checkVector(v: LweVector): void {
    if (!(v instanceof LweVector)) throw new InvalidArgumentError("Expected an LweVector.");
    if (v.freed) throw new InvalidArgumentError("This ciphertext vector was freed.");
    if (v.core !== this.core) throw new InvalidArgumentError("This ciphertext vector lives in another engine instance; copy its bytes with vectorFromBytes.");
    if (v.params.set !== this.params.set) throw new ParameterMismatchError(`"${this.params.set.name}"`, `"${v.params.set.name}"`);
  }
  private checkGlwe(...cts: GlweCiphertext[]): void {
    for (const ct of cts) {
      if (!(ct instanceof GlweCiphertext)) throw new InvalidArgumentError("Expected a GlweCiphertext (expand a seeded one first).");
      if (ct.freed) throw new InvalidArgumentError("This GLWE ciphertext was freed.");
      if (ct.core !== this.core) {
        throw new InvalidArgumentError(
          "This GLWE ciphertext lives in another engine instance (another loadEngine()); serialize it and deserialize it into this engine.",
        );
      }
      if (ct.params.set !== this.params.set) throw new ParameterMismatchError(`"${this.params.set.name}"`, `"${ct.params.set.name}"`);
    }
  }
  private checkTable(lut: LookupTable): void {
    if (!this.hasKeys) throw new InvalidArgumentError("This evaluator has no evaluation keys (leveled only): it cannot bootstrap or keyswitch.");
    if (lut.core !== this.core) throw new InvalidArgumentError("This lookup table was made by another engine instance; build it with this evaluator.");
    if (lut.params.set !== this.params.set) throw new ParameterMismatchError(`"${this.params.set.name}"`, `"${lut.params.set.name}"`);
  }
  private checkPair(a: Ciphertext, b: Ciphertext): void {
    this.check(a, a.keyKind);
    this.check(b, a.keyKind);
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function checkInteger(m: number): number {
  if (!Number.isSafeInteger(m)) throw new InvalidArgumentError(`Expected an integer, got ${m}.`);
  return m;
}
