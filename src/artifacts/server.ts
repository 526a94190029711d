// ModelServer: what runs in the cloud. It holds the compiled circuit and, per client, expanded
// evaluation keys (public) in a small LRU cache keyed by the keys' SHA-256; it never sees a
// secret key, a plaintext input or a plaintext result. With `workers` > 1 the bootstraps run on a
// pool of worker threads (each holding the cached key sets) and the main thread stays free.
import { loadEngine, PARAMETER_SETS, TooLargeError } from "../engine/index.js";
import type { Engine, Evaluator, LweVector, ParameterSet } from "../engine/index.js";
import type { CompiledCircuit } from "../ml/circuit.js";
import { CircuitExecutor, runSeededInChunks } from "../ml/fhe.js";
import { ParallelCircuitExecutor, checkWorkerCount, createBootstrapPool } from "../ml/parallel.js";
import type { BootstrapPool, PoolHandle } from "../ml/parallel.js";
import { ModelMismatchError } from "../ml/errors.js";
import { unpackServer, unpackModelTarball, isGzip, sha256Hex } from "./package.js";
import type { Manifest } from "./package.js";
import { decodeQuery, encodeResult, checkCircuitId } from "./wire.js";
import { ArtifactError } from "./errors.js";

export interface ModelServerOptions {
  engine?: Engine;
  /** Expanded key sets kept (each ~90 MB for 2_2); default 2. */
  maxCachedKeys?: number;
  /** Largest query accepted in bytes (default 64 MiB). */
  maxQueryBytes?: number;
  /** Largest evaluation-key object accepted in bytes (default 256 MiB). */
  maxKeyBytes?: number;
  /**
   * Threads that bootstrap (default 1: in the calling thread). More start a pool of Node
   * worker_threads; each worker holds a copy of every cached key set (~90 MB for 2_2).
   */
  workers?: number;
  /** A pool to bootstrap on instead (e.g. Web Workers); the server does not close it. */
  pool?: BootstrapPool;
}

export interface RunInfo {
  /** Whether the expanded keys came from the cache. */
  keyCacheHit: boolean;
  rows: number;
  /** Milliseconds spent expanding keys (0 on a hit) and evaluating. */
  keyMs: number;
  evaluateMs: number;
}

interface CachedKeys {
  /** Expands queries and runs the leveled nodes. */
  readonly evaluator: Evaluator;
  readonly executor: { run(input: LweVector): LweVector | Promise<LweVector> };
  /** Releases the key set (its evaluator, or its copies in the pool's workers). */
  readonly release: () => void;
  /** Runs using it now: an evicted key set is released when the last one ends. */
  users: number;
  evicted: boolean;
}

export class ModelServer {
  readonly manifest: Manifest;
  readonly circuit: CompiledCircuit;
  readonly engine: Engine;
  readonly set: ParameterSet;
  private readonly options: Required<Omit<ModelServerOptions, "engine" | "pool">>;
  private readonly cache = new Map<string, CachedKeys>(); // insertion order = LRU order
  private readonly loading = new Map<string, Promise<CachedKeys>>(); // key sets being expanded
  private readonly injectedPool?: BootstrapPool;
  private pool?: Promise<{ pool: BootstrapPool; circuit: PoolHandle; leveled: Evaluator }>;
  /** Bumped by close(): key loads started before it are not cached after it. */
  private generation = 0;
  /** Details of the last run (for logs). */
  lastRun?: RunInfo;

  private constructor(engine: Engine, manifest: Manifest, circuit: CompiledCircuit, options: ModelServerOptions) {
    this.engine = engine;
    this.manifest = manifest;
    this.circuit = circuit;
    this.set = (PARAMETER_SETS as Record<string, ParameterSet>)[circuit.parameterSet]!;
    if (!this.set) throw new ArtifactError(`server.zip names an unknown parameter set "${circuit.parameterSet}".`);
    this.options = {
      maxCachedKeys: options.maxCachedKeys ?? 2,
      maxQueryBytes: options.maxQueryBytes ?? 64 * 2 ** 20,
      maxKeyBytes: options.maxKeyBytes ?? 256 * 2 ** 20,
      workers: options.workers ?? 1,
    };
    checkWorkerCount(this.options.workers);
    this.injectedPool = options.pool;
  }

  /** Whether bootstraps run on a pool (the circuit bootstraps and a pool was asked for). */
  get usesPool(): boolean {
    return this.circuit.report.bootstraps > 0 && (this.injectedPool !== undefined || this.options.workers > 1);
  }

  /** From server.zip bytes, or a model.tar.gz holding one. */
  static async load(artifact: Uint8Array, options: ModelServerOptions = {}): Promise<ModelServer> {
    const zip = isGzip(artifact) ? (await unpackModelTarball(artifact)).serverZip : artifact;
    if (!zip) throw new ArtifactError("model.tar.gz holds no server.zip.");
    const { manifest, circuit } = unpackServer(zip);
    const server = new ModelServer(options.engine ?? (await loadEngine()), manifest, circuit, options);
    if (server.usesPool) await server.poolState(); // workers start now, not on the first query
    return server;
  }

  /** Evaluates an encrypted query with the client's evaluation keys; returns the encrypted result. */
  async run(query: Uint8Array, evaluationKeys: Uint8Array): Promise<Uint8Array> {
    return (await this.runWithInfo(query, evaluationKeys)).result;
  }

  /** run(), with this run's details (lastRun may already describe a concurrent run). */
  async runWithInfo(query: Uint8Array, evaluationKeys: Uint8Array): Promise<{ result: Uint8Array; info: RunInfo }> {
    // (the query's limit is checked by decodeQuery; the keys' here, before hashing them)
    if (evaluationKeys.length > this.options.maxKeyBytes) throw new TooLargeError(evaluationKeys.length, this.options.maxKeyBytes);
    const q = decodeQuery(this.set, query, this.options.maxQueryBytes);
    checkCircuitId(q.circuitId, this.manifest.circuitId, "query");
    const input = this.circuit.nodes[0]!;
    if (input.op !== "input" || q.size !== input.size) throw new ModelMismatchError(`The query has ${q.size} values per row; this model takes ${input.op === "input" ? input.size : "?"}.`);
    const t0 = performance.now();
    const { entry, hit } = await this.keysFor(evaluationKeys); // counted as a user already
    const t1 = performance.now();
    try {
      using output = await runSeededInChunks(entry.evaluator, this.circuit, q.vector, (vector) => entry.executor.run(vector));
      const info = { keyCacheHit: hit, rows: q.rows, keyMs: t1 - t0, evaluateMs: performance.now() - t1 };
      this.lastRun = info;
      const result = encodeResult(this.set, { circuitId: this.manifest.circuitId, rows: q.rows, size: output.length / q.rows, words: output.words, ciphertexts: output.toBytes() });
      return { result, info };
    } finally {
      entry.users--;
      if (entry.evicted && entry.users === 0) entry.release();
    }
  }

  /**
   * Expanded keys for these bytes: from the cache, or deserialized and expanded (then cached). The
   * entry comes back with its user count already raised, in the same tick as the lookup, so no
   * eviction can release it before the caller's run starts.
   */
  private async keysFor(keyBytes: Uint8Array): Promise<{ entry: CachedKeys; hit: boolean }> {
    const id = await sha256Hex(keyBytes);
    const cached = this.cache.get(id);
    if (cached) {
      this.cache.delete(id);
      this.cache.set(id, cached); // most recently used last
      cached.users++;
      return { entry: cached, hit: true };
    }
    // concurrent first queries with the same keys share one expansion (none of them is a hit)
    const pending = this.loading.get(id);
    if (pending) {
      const entry = await pending;
      entry.users++;
      return { entry, hit: false };
    }
    const generation = this.generation;
    const loading = this.expandKeys(keyBytes);
    this.loading.set(id, loading);
    try {
      const entry = await loading;
      entry.users++;
      // keys that finished loading after close() belong to the stopped pool: used once, never cached
      if (generation !== this.generation) {
        entry.evicted = true;
        return { entry, hit: false };
      }
      this.cache.set(id, entry);
      this.evictBeyondCapacity();
      return { entry, hit: false };
    } finally {
      this.loading.delete(id);
    }
  }

  private async expandKeys(keyBytes: Uint8Array): Promise<CachedKeys> {
    if (this.circuit.report.bootstraps === 0) return this.inThread(this.engine.createLeveledEvaluator(this.set));
    if (keyBytes.length === 0) throw new ModelMismatchError("This model bootstraps: it needs the client's evaluation keys, and none were sent.");
    const keys = this.engine.deserializeEvaluationKeys(keyBytes, { params: this.set, maxBytes: this.options.maxKeyBytes });
    if (!this.usesPool) return this.inThread(this.engine.createEvaluator(keys));
    // the workers hold the keys: this thread keeps only a keyless evaluator for the leveled nodes
    // (the pool first, so that a pool that fails to start leaves no expanded keys behind)
    const state = await this.poolState();
    const evaluator = this.engine.createEvaluator(keys);
    let keysHandle: PoolHandle;
    try {
      keysHandle = await state.pool.addKeys(this.set.name, evaluator.exportExpandedKeys({ shared: true }));
    } finally {
      evaluator.free();
    }
    const executor = new ParallelCircuitExecutor(state.leveled, this.circuit, { pool: state.pool, circuit: state.circuit, keys: keysHandle });
    return { evaluator: state.leveled, executor, release: () => void state.pool.remove(keysHandle).catch(() => {}), users: 0, evicted: false };
  }

  private inThread(evaluator: Evaluator): CachedKeys {
    const executor = new CircuitExecutor(evaluator, this.circuit);
    return { evaluator, executor, release: () => { executor.free(); evaluator.free(); }, users: 0, evicted: false };
  }

  private evictBeyondCapacity(): void {
    while (this.cache.size > this.options.maxCachedKeys) {
      const [oldest, old] = this.cache.entries().next().value as [string, CachedKeys];
      this.cache.delete(oldest);
      old.evicted = true;
      if (old.users === 0) old.release(); // else the last run using it releases it
    }
  }

  /** The pool with this server's circuit registered (started on first use, again after free()). */
  private poolState(): Promise<{ pool: BootstrapPool; circuit: PoolHandle; leveled: Evaluator }> {
    this.pool ??= (async () => {
      const pool = this.injectedPool ?? (await createBootstrapPool(this.options.workers));
      const circuit = await pool.addCircuit(this.circuit).catch(async (e: unknown) => {
        if (!this.injectedPool) await pool.close();
        throw e;
      });
      return { pool, circuit, leveled: this.engine.createLeveledEvaluator(this.set) };
    })();
    const started = this.pool;
    started.catch(() => { if (this.pool === started) this.pool = undefined; }); // the next query retries
    return started;
  }

  /** Drops every cached key set and stops the server's own workers (they restart if it runs again). */
  free(): void {
    void this.close().catch(() => {}); // (an injected pool that refuses the removal changes nothing here)
  }

  /** free(), resolving once the workers have stopped. */
  async close(): Promise<void> {
    this.generation++;
    for (const e of this.cache.values()) {
      e.evicted = true;
      if (e.users === 0) e.release();
    }
    this.cache.clear();
    const state = this.pool;
    this.pool = undefined;
    const started = await state?.catch(() => undefined);
    if (!started) return;
    started.leveled.free();
    if (this.injectedPool) await started.pool.remove(started.circuit);
    else await started.pool.close();
  }
}
