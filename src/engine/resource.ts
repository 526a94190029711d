// The one ownership rule of engine objects: each owns one block of wasm memory (or a struct of
// blocks), released exactly once — by free(), by `using`, or, as a safety net, when the object is
// garbage-collected (EngineCore.track). Using an object after free() is a typed error.
import type { EngineCore } from "./core.js";
import { InvalidArgumentError } from "./errors.js";

export abstract class WasmResource {
  readonly core: EngineCore;
  #pointer: number;
  readonly #release: () => void;
  readonly #what: string;

  /** `release` frees (and, for secrets, wipes) the block at `pointer`; `what` names it in errors. */
  protected constructor(core: EngineCore, pointer: number, release: (pointer: number) => void, what: string) {
    this.core = core;
    this.#pointer = pointer;
    this.#what = what;
    this.#release = core.track(this, () => release(pointer));
  }

  /** The wasm address (internal: for the engine's own calls); throws once freed. */
  get pointer(): number {
    if (this.#pointer === 0) throw new InvalidArgumentError(`This ${this.#what} was freed.`);
    return this.#pointer;
  }

  get freed(): boolean {
    return this.#pointer === 0;
  }

  free(): void {
    if (this.#pointer === 0) return;
    this.#pointer = 0;
    this.#release();
  }

  [Symbol.dispose](): void {
    this.free();
  }
}
