// Node's BootstrapPool: worker_threads, each running bootstrap-worker.js (one engine + a
// ShareRunner). Shares wait in one FIFO and go to whichever worker is idle, one share per worker at
// a time, so requests beyond capacity queue instead of oversubscribing the cores. Keys and query
// vectors travel as SharedArrayBuffers: posting them to every worker copies nothing (each worker
// then copies the keys into its own wasm memory once; wasm cannot map a foreign buffer).
// Workers are unref'd while idle, so a forgotten pool never keeps the process alive; a worker that
// dies is replaced and the registered circuits and keys are sent to its successor.
import { Worker } from "node:worker_threads";
import { availableParallelism } from "node:os";
import type { ExpandedKeys } from "../engine/index.js";
import type { CompiledCircuit } from "../ml/circuit.js";
import { WorkerError } from "../ml/errors.js";
import { checkWorkerCount, workerCircuit } from "../ml/parallel.js";
import type { BootstrapPool, BootstrapShare, PoolHandle, WorkerCircuit } from "../ml/parallel.js";

// ---- the messages between the pool and bootstrap-worker.js ----

export type WorkerRequest = { readonly id: number } & (
  | { readonly op: "circuit"; readonly handle: PoolHandle; readonly circuit: WorkerCircuit }
  | { readonly op: "keys"; readonly handle: PoolHandle; readonly parameterSet: string; readonly keys: ExpandedKeys }
  | { readonly op: "remove"; readonly handle: PoolHandle }
  | { readonly op: "share"; readonly share: BootstrapShare }
  | { readonly op: "memory" }
);

export type WorkerReply =
  | { readonly ready: true; readonly memoryBytes: number }
  | { readonly id: number; readonly ok: true; readonly memoryBytes: number; readonly bytes?: Uint8Array }
  | { readonly id: number; readonly ok: false; readonly error: { readonly name: string; readonly code?: string; readonly message: string } };

type Registration =
  | { readonly op: "circuit"; readonly handle: PoolHandle; readonly circuit: WorkerCircuit }
  | { readonly op: "keys"; readonly handle: PoolHandle; readonly parameterSet: string; readonly keys: ExpandedKeys };

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
type Request = DistributiveOmit<WorkerRequest, "id">;
type Done = Extract<WorkerReply, { ok: true }>;

const WORKER_URL = new URL("./bootstrap-worker.js", import.meta.url);

export interface WorkerPoolOptions {
  /** Threads (default: os.availableParallelism()). */
  workers?: number;
}

/** Starts a pool and waits until every worker has loaded its engine. */
export async function createWorkerPool(options: WorkerPoolOptions = {}): Promise<WorkerPool> {
  const pool = new WorkerPool(options.workers ?? availableParallelism());
  try {
    await pool.started;
    return pool;
  } catch (e) {
    await pool.close();
    throw e;
  }
}

/** One worker thread and its outstanding requests. */
class Thread {
  readonly worker: Worker;
  readonly started: Promise<void>;
  isStarted = false;
  isRunningShare = false;
  private alive = true;
  private terminating = false;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: Done) => void; reject: (e: Error) => void }>();

  constructor(readonly index: number, private readonly onStop: (thread: Thread) => void) {
    this.worker = new Worker(WORKER_URL);
    this.started = new Promise((resolve, reject) => {
      this.worker.on("message", (reply: WorkerReply) => this.receive(reply, resolve));
      this.worker.on("error", (e) => this.stop(`it threw ${e.name}: ${e.message}`, reject));
      this.worker.on("exit", (code) => this.stop(`it exited (code ${code})`, reject));
    });
    this.started.catch(() => {}); // a start failure is reported by whoever awaits it (or by stop)
  }

  get isIdle(): boolean {
    return this.alive && this.isStarted && !this.isRunningShare;
  }
  get isAlive(): boolean {
    return this.alive;
  }

  request(message: Request): Promise<Done> {
    if (!this.alive) return Promise.reject(new WorkerError(`Worker ${this.index} has stopped.`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.ref(); // an outstanding request keeps the process alive until it is answered
      this.worker.postMessage({ ...message, id });
    });
  }

  terminate(): Promise<number> {
    // an unref'd worker would let the process exit before terminate() resolves
    this.terminating = true;
    this.worker.ref();
    return this.worker.terminate();
  }

  private receive(reply: WorkerReply, started: () => void): void {
    if ("ready" in reply) {
      this.isStarted = true;
      started();
    } else {
      const waiter = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (reply.ok) waiter?.resolve(reply);
      else waiter?.reject(new WorkerError(`Worker ${this.index}: ${reply.error.name}: ${reply.error.message}`, reply.error));
    }
    this.refWhileBusy();
  }

  private stop(why: string, failStart: (e: Error) => void): void {
    if (!this.alive) return;
    this.alive = false;
    const error = new WorkerError(`Worker ${this.index} stopped: ${why}.`);
    failStart(error);
    this.pending.forEach((waiter) => waiter.reject(error));
    this.pending.clear();
    this.onStop(this);
  }

  private refWhileBusy(): void {
    if (this.pending.size > 0 || this.terminating) this.worker.ref();
    else this.worker.unref();
  }
}

interface QueuedShare {
  readonly share: BootstrapShare;
  readonly resolve: (bytes: Uint8Array) => void;
  readonly reject: (e: Error) => void;
}

export class WorkerPool implements BootstrapPool {
  readonly size: number;
  /** Resolves once every worker has loaded its engine. */
  readonly started: Promise<void>;
  private readonly threads: Thread[];
  private readonly queue: QueuedShare[] = [];
  private readonly registrations = new Map<PoolHandle, Registration>();
  private readonly sharedInputs = new WeakMap<Uint8Array, Uint8Array>();
  private nextHandle = 1;
  private closed = false;

  constructor(workers: number) {
    checkWorkerCount(workers);
    this.size = workers;
    this.threads = Array.from({ length: workers }, (_, i) => this.spawn(i));
    this.started = Promise.all(this.threads.map((t) => t.started)).then(() => undefined);
    this.started.catch(() => {}); // createWorkerPool reports it; shares would fail with their own error
  }

  async addCircuit(circuit: CompiledCircuit): Promise<PoolHandle> {
    return this.register({ op: "circuit", handle: this.nextHandle++, circuit: workerCircuit(circuit) });
  }

  async addKeys(parameterSet: string, keys: ExpandedKeys): Promise<PoolHandle> {
    const shared = { fingerprint: keys.fingerprint, keyswitchKey: toShared(keys.keyswitchKey), fourierBootstrapKey: toShared(keys.fourierBootstrapKey) };
    return this.register({ op: "keys", handle: this.nextHandle++, parameterSet, keys: shared });
  }

  async remove(handle: PoolHandle): Promise<void> {
    if (!this.registrations.delete(handle)) return;
    await this.broadcast({ op: "remove", handle });
  }

  bootstrap(share: BootstrapShare): Promise<Uint8Array> {
    if (this.closed) return Promise.reject(new WorkerError("The worker pool is closed."));
    const input = this.shared(share.input);
    return new Promise((resolve, reject) => {
      this.queue.push({ share: { ...share, input }, resolve, reject });
      this.dispatch();
    });
  }

  /** Each worker's wasm memory in bytes (the engine, its key copies, tables and scratch). */
  async workerMemory(): Promise<number[]> {
    return Promise.all(this.liveThreads().map(async (t) => (await t.request({ op: "memory" })).memoryBytes));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const error = new WorkerError("The worker pool was closed before the share ran.");
    this.queue.splice(0).forEach((job) => job.reject(error));
    await Promise.all(this.threads.map((t) => t.terminate()));
  }

  /** Sends a registration to every worker; resolves to its handle once all have it. */
  private async register(registration: Registration): Promise<PoolHandle> {
    if (this.closed) throw new WorkerError("The worker pool is closed.");
    this.registrations.set(registration.handle, registration);
    try {
      await this.broadcast(registration);
    } catch (e) {
      await this.remove(registration.handle).catch(() => {});
      throw e;
    }
    return registration.handle;
  }

  private async broadcast(message: Request): Promise<void> {
    await Promise.all(this.liveThreads().map((t) => t.request(message)));
  }

  private liveThreads(): Thread[] {
    return this.threads.filter((t) => t.isAlive);
  }

  /** Hands queued shares to idle workers, oldest first. */
  private dispatch(): void {
    for (const thread of this.threads) {
      if (this.queue.length === 0) return;
      if (!thread.isIdle) continue;
      const job = this.queue.shift()!;
      thread.isRunningShare = true;
      thread.request({ op: "share", share: job.share }).then(
        (reply) => job.resolve(reply.bytes ?? new Uint8Array(0)),
        (e: Error) => job.reject(shareError(e, job.share)),
      ).finally(() => {
        thread.isRunningShare = false;
        this.dispatch();
      });
    }
    if (this.queue.length > 0 && this.liveThreads().length === 0) {
      const error = new WorkerError("No worker of the pool is running.");
      this.queue.splice(0).forEach((job) => job.reject(error));
    }
  }

  private spawn(index: number): Thread {
    const thread = new Thread(index, (stopped) => this.replace(stopped));
    void thread.started.then(() => this.dispatch(), () => {});
    return thread;
  }

  /** A worker died: its successor gets every registration (replayed in order) before any share. */
  private replace(stopped: Thread): void {
    // a worker that never started would fail again (missing file, no memory): leave its slot dead
    if (this.closed || !stopped.isStarted) {
      this.dispatch();
      return;
    }
    const successor = this.spawn(stopped.index);
    this.threads[stopped.index] = successor;
    for (const registration of this.registrations.values()) successor.request(registration).catch(() => {});
  }

  /** The input bytes in shared memory, copied once however many shares read them. */
  private shared(bytes: Uint8Array): Uint8Array {
    if (bytes.buffer instanceof SharedArrayBuffer) return bytes;
    let shared = this.sharedInputs.get(bytes);
    if (!shared) {
      shared = toShared(bytes);
      this.sharedInputs.set(bytes, shared);
    }
    return shared;
  }
}

function toShared(bytes: Uint8Array): Uint8Array {
  if (bytes.buffer instanceof SharedArrayBuffer) return bytes;
  const shared = new Uint8Array(new SharedArrayBuffer(bytes.length));
  shared.set(bytes);
  return shared;
}

function shareError(e: Error, share: BootstrapShare): Error {
  if (!(e instanceof WorkerError)) return e;
  return new WorkerError(`Bootstrapping elements [${share.from}, ${share.to}) of lookup node ${share.node} failed. ${e.message}`, e.workerError);
}
