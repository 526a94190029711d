// The engine core shared by every engine object: the wasm exports, the per-parameter-set
// pointers into wasm memory, and the bookkeeping that frees wasm memory deterministically
// (free() / `using`) with a FinalizationRegistry as a safety net for objects users forget.
import type { EngineExports } from "./wasm.js";
import type { ParameterSet } from "./params.js";
import { parameterFingerprint, smallKeyModulusLog2, validateParameterSet } from "./params.js";
import { InvalidArgumentError } from "./errors.js";

/** Droppping 8 low bits of each stored bootstrapping-key body: 7 bytes per coefficient (SPEC §4.4). */
export const BSK_BODY_DROPPED_BITS = 8;

/** Size selectors of the wasm `sizeOf` export. */
export const enum SizeOf {
  BigCiphertext = 0,
  SmallCiphertext = 1,
  CompressedBskBodies = 2,
  CompressedKskBodies = 3,
  ExpandedKsk = 4,
  FourierBsk = 5,
  StreamState = 6,
}

/** A parameter set as loaded into one engine instance. */
export interface LoadedParameters {
  readonly set: ParameterSet;
  readonly fingerprint: Uint8Array;
  readonly pointer: number;
  /** k·N: dimension of the big key, the dimension of client ciphertexts. */
  readonly bigDimension: number;
  readonly smallDimension: number;
  size(what: SizeOf): number;
}

export class EngineCore {
  readonly wasm: EngineExports;
  private readonly loaded = new Map<string, LoadedParameters>();
  private readonly finalizer = new FinalizationRegistry<() => void>((release) => release());

  constructor(wasm: EngineExports) {
    this.wasm = wasm;
  }

  /** The wasm Params for `set`, created once per engine (validated: structure and security). */
  parameters(set: ParameterSet): LoadedParameters {
    const fingerprint = parameterFingerprint(set);
    const key = hex(fingerprint);
    const cached = this.loaded.get(key);
    if (cached !== undefined) return cached;
    validateParameterSet(set);
    for (const noise of [set.lweNoise, set.glweNoise]) {
      if (noise.kind !== "tuniform") {
        throw new InvalidArgumentError(
          `Parameter set "${set.name}": the engine samples TUniform noise only; Gaussian noise is accepted by the ` +
            `security check but not implemented by the samplers yet. Use a TUniform bound.`,
        );
      }
    }
    const bound = (d: ParameterSet["lweNoise"]) => (d.kind === "tuniform" ? d.bound : 0);
    const pointer = this.wasm.paramsCreate(
      set.lweDimension, set.glweDimension, set.polynomialSize, set.pbsBaseLog, set.pbsLevel,
      set.ksBaseLog, set.ksLevel, bound(set.lweNoise), bound(set.glweNoise), BSK_BODY_DROPPED_BITS,
      smallKeyModulusLog2(set),
    );
    const wasm = this.wasm;
    const params: LoadedParameters = {
      set,
      fingerprint,
      pointer,
      bigDimension: set.glweDimension * set.polynomialSize,
      smallDimension: set.lweDimension,
      size: (what) => wasm.sizeOf(pointer, what),
    };
    this.loaded.set(key, params);
    return params;
  }

  /** Allocates wasm memory (16-byte aligned). */
  allocate(bytes: number): number {
    const pointer = this.wasm.alloc(bytes);
    if (pointer === 0) throw new RangeError(`blindml: the engine could not allocate ${bytes} bytes.`);
    return pointer;
  }

  /**
   * Registers `owner` so that `release` runs if it is garbage-collected without free().
   * Returns the function free() calls: it runs `release` once and unregisters.
   */
  track(owner: object, release: () => void): () => void {
    const token = {};
    let released = false;
    const releaseOnce = () => {
      if (released) return;
      released = true;
      release();
    };
    this.finalizer.register(owner, releaseOnce, token);
    return () => {
      this.finalizer.unregister(token);
      releaseOnce();
    };
  }

  // ---- views (recreated per use: memory.grow detaches old views) ----
  bytes(pointer: number, length: number): Uint8Array {
    return new Uint8Array(this.wasm.memory.buffer, pointer, length);
  }
  u64(pointer: number, count: number): BigUint64Array {
    return new BigUint64Array(this.wasm.memory.buffer, pointer, count);
  }
  /** Copies `data` into a fresh wasm block and returns its pointer. */
  copyIn(data: Uint8Array): number {
    const pointer = this.allocate(Math.max(data.length, 1));
    this.bytes(pointer, data.length).set(data);
    return pointer;
  }
  /** Copies a wasm block out into JS memory. */
  copyOut(pointer: number, length: number): Uint8Array {
    return this.bytes(pointer, length).slice();
  }
}

export function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** 32 bytes from the host's cryptographic random source (Web Crypto in every runtime). */
export function randomSeed(): Uint8Array {
  const seed = new Uint8Array(32);
  globalThis.crypto.getRandomValues(seed);
  return seed;
}
