// Typed errors of the ML layer. Each carries a stable `code` that servers map to HTTP statuses.
import { BlindmlError } from "../engine/index.js";

/** The circuit cannot be compiled as asked (too wide, bad graph, nothing fits). */
export class CompileError extends BlindmlError {
  constructor(message: string) {
    super("BLINDML_COMPILE", message);
    this.name = "CompileError";
  }
}

/** A model is used before fit()/compile(), or with inputs of the wrong shape. */
export class ModelStateError extends BlindmlError {
  constructor(message: string) {
    super("BLINDML_MODEL_STATE", message);
    this.name = "ModelStateError";
  }
}

/** A query, result or key does not belong to this model (another circuit or parameter set). */
export class ModelMismatchError extends BlindmlError {
  constructor(message: string) {
    super("BLINDML_MODEL_MISMATCH", message);
    this.name = "ModelMismatchError";
  }
}

/**
 * A bootstrap pool could not run a share: the worker threw (`workerError` names what it threw),
 * a worker stopped, or the pool was closed. The pool stays usable after a failed share.
 */
export class WorkerError extends BlindmlError {
  /** The name and code of the error the worker threw, when it threw one. */
  readonly workerError?: { readonly name: string; readonly code?: string };

  constructor(message: string, workerError?: { name: string; code?: string }) {
    super("BLINDML_WORKER", message);
    this.name = "WorkerError";
    this.workerError = workerError;
  }
}
