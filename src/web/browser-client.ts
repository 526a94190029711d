// BrowserInferenceClient: encrypted inference from a web page. Everything that takes time or
// touches the secret key runs in a dedicated module Worker (client-worker.js), so the page stays
// responsive during key generation (seconds) and encryption. The page sees only the model's
// shape, progress events and decrypted predictions.
//
//   const client = await BrowserInferenceClient.open({ region, credentials, modelUri, endpointName, uploadPrefix });
//   await client.keys({ onProgress });           // stored keys, or new ones (kept in IndexedDB)
//   const { predictions } = await client.predict([row], { onProgress });
import type { InferenceResult, ProgressEvent } from "../sagemaker/client.js";
import type { ErrorPayload, KeyBytes, KeyProgress, KeysReady, ModelInfo, Reply, Request, WebClientConfig } from "./protocol.js";

export interface BrowserClientOptions extends Omit<WebClientConfig, "wasmUrl"> {
  /** URL of blindml.wasm; default the one beside this bundle. */
  wasmUrl?: string | URL;
  /** URL of client-worker.js; default the one beside this bundle. */
  workerUrl?: string | URL;
}

/** An error raised in the worker, with the original error's name and code. */
export class BrowserClientError extends Error {
  readonly code?: string;
  /** The worker-side class name (e.g. "EndpointFailureError", "FormatError"). */
  readonly remoteName: string;

  constructor(payload: ErrorPayload) {
    super(payload.message);
    this.name = "BrowserClientError";
    this.remoteName = payload.name;
    this.code = payload.code;
  }
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  onProgress?: (progress: never) => void;
}

export class BrowserInferenceClient {
  /** The model's shape, known once open() has loaded its client artifact. */
  readonly model: ModelInfo;
  private readonly worker: Worker;
  private readonly pending: Map<number, Pending>;
  private readonly state: WorkerState;

  private constructor(worker: Worker, pending: Map<number, Pending>, state: WorkerState, model: ModelInfo) {
    this.worker = worker;
    this.pending = pending;
    this.state = state;
    this.model = model;
  }

  /** Starts the worker, loads the engine there and fetches the model's client artifact from S3. */
  static async open(options: BrowserClientOptions): Promise<BrowserInferenceClient> {
    const { workerUrl, wasmUrl, ...rest } = options;
    const worker = new Worker(workerUrl ?? new URL("./client-worker.js", import.meta.url), { type: "module", name: "blindml-client" });
    const pending = new Map<number, Pending>();
    const state: WorkerState = {};
    // a worker that failed (could not load, or crashed) answers nothing more: later calls fail at once
    const fail = (message: string) => {
      state.failure = new BrowserClientError({ name: "WorkerError", message });
      failAll(pending, state.failure);
    };
    worker.onmessage = (event: MessageEvent<Reply>) => settle(pending, event.data);
    worker.onerror = (event) => fail(`The blindml worker failed: ${event.message || "it could not be loaded"}`);
    worker.onmessageerror = () => fail("A message from the blindml worker could not be read.");
    const config: WebClientConfig = { ...rest, wasmUrl: String(wasmUrl ?? new URL("./blindml.wasm", import.meta.url)) };
    try {
      const model = (await call(worker, pending, state, { op: "open", config })) as ModelInfo;
      return new BrowserInferenceClient(worker, pending, state, model);
    } catch (e) {
      worker.terminate();
      throw e;
    }
  }

  /** Loads this model's keys from IndexedDB, or generates new ones (regenerate: always new). */
  keys(options: { regenerate?: boolean; onProgress?: (progress: KeyProgress) => void } = {}): Promise<KeysReady> {
    return call(this.worker, this.pending, this.state, { op: "keys", regenerate: options.regenerate ?? false }, options.onProgress) as Promise<KeysReady>;
  }

  /** Encrypts the rows, uploads, invokes the endpoint, waits, downloads and decrypts. */
  predict(rows: readonly (readonly number[])[], options: { mode?: "async" | "sync"; onProgress?: (event: ProgressEvent) => void } = {}): Promise<InferenceResult> {
    const plain = rows.map((row) => Array.from(row, Number));
    return call(this.worker, this.pending, this.state, { op: "predict", rows: plain, mode: options.mode ?? "async" }, options.onProgress) as Promise<InferenceResult>;
  }

  /** The secret key and the evaluation keys as bytes (store them somewhere you trust). */
  exportKeys(): Promise<KeyBytes> {
    return call(this.worker, this.pending, this.state, { op: "export-keys" }) as Promise<KeyBytes>;
  }

  importKeys(keys: KeyBytes): Promise<KeysReady> {
    return call(this.worker, this.pending, this.state, { op: "import-keys", keys }) as Promise<KeysReady>;
  }

  /** Wipes the keys from the worker and from IndexedDB. */
  async forgetKeys(): Promise<void> {
    await call(this.worker, this.pending, this.state, { op: "forget-keys" });
  }

  /** Stops the worker (its memory, secret key included, goes with it). */
  terminate(): void {
    this.worker.terminate();
    this.state.failure = new BrowserClientError({ name: "WorkerError", message: "The client was terminated." });
    failAll(this.pending, this.state.failure);
  }
}

interface WorkerState {
  /** Set once the worker is gone: every later call rejects with it. */
  failure?: BrowserClientError;
}

type Op = Request extends infer R ? (R extends { id: number } ? Omit<R, "id"> : never) : never;

let nextId = 1;

function call(worker: Worker, pending: Map<number, Pending>, state: WorkerState, op: Op, onProgress?: (progress: never) => void): Promise<unknown> {
  if (state.failure) return Promise.reject(state.failure);
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject, onProgress });
    worker.postMessage({ ...op, id } as Request);
  });
}

function settle(pending: Map<number, Pending>, message: Reply): void {
  const entry = pending.get(message.id);
  if (!entry) return;
  if ("progress" in message) {
    entry.onProgress?.(message.progress as never);
    return;
  }
  pending.delete(message.id);
  if (message.ok) entry.resolve(message.value);
  else entry.reject(new BrowserClientError(message.error));
}

function failAll(pending: Map<number, Pending>, error: Error): void {
  for (const entry of pending.values()) entry.reject(error);
  pending.clear();
}
