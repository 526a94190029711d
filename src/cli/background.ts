// Long, silent library calls (key generation, server-side evaluation) run in a worker thread so
// that the main thread can keep a spinner and the elapsed time moving. Bytes in, bytes out.
import { Worker } from "node:worker_threads";

export interface KeygenTask {
  readonly kind: "keygen";
  readonly clientArtifact: Uint8Array;
  readonly keyDir: string;
}

export interface KeygenOutcome {
  readonly parameterSet: string;
  readonly needsEvaluationKeys: boolean;
  readonly clientKeyBytes: number;
  readonly evaluationKeyBytes: number;
}

export interface RunTask {
  readonly kind: "run";
  readonly serverArtifact: Uint8Array;
  readonly evaluationKeys: Uint8Array;
  readonly query: Uint8Array;
}

export interface RunOutcome {
  readonly result: Uint8Array;
  readonly rows: number;
  readonly model: string;
  readonly parameterSet: string;
  readonly bootstrapsPerRow: number;
  readonly keyMs: number;
  readonly evaluateMs: number;
}

export type BackgroundTask = KeygenTask | RunTask;

/** What the worker posts back: the outcome, or the error's fields (its class does not cross). */
export type WorkerReply<T> = { ok: true; value: T } | { ok: false; error: { name: string; message: string; code?: string; stack?: string } };

export function runInBackground(task: KeygenTask): Promise<KeygenOutcome>;
export function runInBackground(task: RunTask): Promise<RunOutcome>;
export function runInBackground(task: BackgroundTask): Promise<KeygenOutcome | RunOutcome> {
  const worker = new Worker(new URL("./worker.js", import.meta.url), { workerData: task });
  return new Promise<KeygenOutcome | RunOutcome>((resolve, reject) => {
    worker.once("message", (reply: WorkerReply<KeygenOutcome | RunOutcome>) => {
      if (reply.ok) resolve(reply.value);
      else reject(rebuildError(reply.error));
    });
    worker.once("error", reject);
    worker.once("exit", (code) => reject(new Error(`the worker thread stopped (exit code ${code}) before answering`)));
  }).finally(() => void worker.terminate());
}

function rebuildError(fields: { name: string; message: string; code?: string; stack?: string }): Error {
  const error = new Error(fields.message) as Error & { code?: string };
  error.name = fields.name;
  if (fields.code !== undefined) error.code = fields.code;
  if (fields.stack !== undefined) error.stack = fields.stack;
  return error;
}
