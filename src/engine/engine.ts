// The engine's entry point: `loadEngine()` instantiates the wasm module once; the Engine creates
// keys and evaluators and reads serialized objects back.
import { EngineCore } from "./core.js";
import { instantiateEngine } from "./wasm.js";
import type { WasmSource } from "./wasm.js";
import type { ParameterSet } from "./params.js";
import { parameterSetByFingerprint } from "./params.js";
import { ClientKey } from "./client-key.js";
import { EvaluationKeys } from "./evaluation-keys.js";
import { Evaluator } from "./evaluator.js";
import type { ExpandedKeys } from "./evaluator.js";
import { Ciphertext, SeededCiphertextList } from "./ciphertext.js";
import { GlweCiphertext, SeededGlweCiphertext } from "./glwe-ciphertext.js";
import { decodeObject } from "./format.js";
import { FormatError } from "./errors.js";

export interface ReadOptions {
  /** The parameter set the object must belong to (required for custom sets). */
  params?: ParameterSet;
  /** Largest accepted size in bytes (default 1 GiB for keys, 64 MiB otherwise). */
  maxBytes?: number;
}

const GIB = 2 ** 30;
const DEFAULT_MAX_KEY_BYTES = GIB;
const DEFAULT_MAX_OBJECT_BYTES = 64 * 2 ** 20;

export class Engine {
  readonly core: EngineCore;

  constructor(core: EngineCore) {
    this.core = core;
  }

  /** Current size of this engine's WebAssembly memory in bytes (it grows, never shrinks). */
  get memoryBytes(): number {
    return this.core.wasm.memory.buffer.byteLength;
  }

  /** Generates a client key (secret) for `params`, from the host's cryptographic randomness. */
  generateClientKey(params: ParameterSet): ClientKey {
    return ClientKey.generate(this.core, this.core.parameters(params));
  }

  /** Expands evaluation keys (seed + bodies) into an evaluator: Fourier BSK, full KSK. */
  createEvaluator(keys: EvaluationKeys): Evaluator {
    return Evaluator.fromKeys(this.core, this.core.parameters(keys.set), keys);
  }

  /** An evaluator over keys another instance already expanded (one copy, no FFTs). */
  createEvaluatorFromExpanded(params: ParameterSet, expanded: ExpandedKeys): Evaluator {
    return Evaluator.fromExpanded(this.core, this.core.parameters(params), expanded);
  }

  /** An evaluator without evaluation keys: leveled operations only (linear models need no more). */
  createLeveledEvaluator(params: ParameterSet): Evaluator {
    return Evaluator.leveled(this.core, this.core.parameters(params));
  }

  deserializeClientKey(bytes: Uint8Array, options: ReadOptions = {}): ClientKey {
    return ClientKey.deserialize(this.core, this.resolve(bytes, options), bytes, options.maxBytes ?? DEFAULT_MAX_OBJECT_BYTES);
  }

  deserializeEvaluationKeys(bytes: Uint8Array, options: ReadOptions = {}): EvaluationKeys {
    return EvaluationKeys.deserialize(this.resolve(bytes, options), bytes, options.maxBytes ?? DEFAULT_MAX_KEY_BYTES);
  }

  deserializeCiphertext(bytes: Uint8Array, options: ReadOptions = {}): Ciphertext {
    return Ciphertext.deserialize(this.core, this.resolve(bytes, options), bytes, options.maxBytes ?? DEFAULT_MAX_OBJECT_BYTES);
  }

  deserializeCiphertextList(bytes: Uint8Array, options: ReadOptions = {}): SeededCiphertextList {
    return SeededCiphertextList.deserialize(this.core, this.resolve(bytes, options), bytes, options.maxBytes ?? DEFAULT_MAX_OBJECT_BYTES);
  }

  deserializeGlweCiphertext(bytes: Uint8Array, options: ReadOptions = {}): GlweCiphertext {
    return GlweCiphertext.deserialize(this.core, this.resolve(bytes, options), bytes, options.maxBytes ?? DEFAULT_MAX_OBJECT_BYTES);
  }

  deserializeSeededGlweCiphertext(bytes: Uint8Array, options: ReadOptions = {}): SeededGlweCiphertext {
    return SeededGlweCiphertext.deserialize(this.core, this.resolve(bytes, options), bytes, options.maxBytes ?? DEFAULT_MAX_OBJECT_BYTES);
  }

  /** The parameter set an object is for: the caller's, or the named set its fingerprint names. */
  private resolve(bytes: Uint8Array, options: ReadOptions) {
    if (options.params !== undefined) return this.core.parameters(options.params);
    // Read the header only (size limit 0 checks would reject; use the real limit below).
    if (bytes.length < 24) {
      decodeObject(bytes); // throws the precise error (truncated / not blindml)
    }
    const fingerprint = bytes.subarray(8, 16);
    const named = parameterSetByFingerprint(fingerprint);
    if (named === undefined) {
      decodeObject(bytes, { maxBytes: options.maxBytes }); // bad magic/version/CRC errors first
      throw new FormatError(
        "The object is for a parameter set this build does not name; pass { params } with the custom set it was made with.",
      );
    }
    return this.core.parameters(named);
  }
}

/** Loads the engine (the same .wasm bytes in Node, Deno and browsers). */
export async function loadEngine(source?: WasmSource): Promise<Engine> {
  return new Engine(new EngineCore(await instantiateEngine(source)));
}
