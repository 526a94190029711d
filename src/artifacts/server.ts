// ModelServer: what runs in the cloud. It holds the compiled circuit and, per client, expanded
// evaluation keys (public) in a small LRU cache keyed by the keys' SHA-256; it never sees a
// secret key, a plaintext input or a plaintext result.
import { loadEngine, PARAMETER_SETS, TooLargeError } from "../engine/index.js";
import type { Engine, Evaluator, ParameterSet } from "../engine/index.js";
import type { CompiledCircuit } from "../ml/circuit.js";
import { CircuitExecutor } from "../ml/fhe.js";
import { ModelMismatchError } from "../ml/errors.js";
import { unpackServer, unpackModelTarball, isGzip } from "./package.js";
import type { Manifest } from "./package.js";
import { decodeQuery, encodeResult, checkCircuitId } from "./wire.js";
import { ArtifactError } from "./errors.js";

export interface ModelServerOptions {
  engine?: Engine;
  /** Expanded key sets kept (each ~120 MB for 2_2); default 2. */
  maxCachedKeys?: number;
  /** Largest query accepted in bytes (default 64 MiB). */
  maxQueryBytes?: number;
  /** Largest evaluation-key object accepted in bytes (default 256 MiB). */
  maxKeyBytes?: number;
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
  evaluator: Evaluator;
  executor: CircuitExecutor;
}

export class ModelServer {
  readonly manifest: Manifest;
  readonly circuit: CompiledCircuit;
  readonly engine: Engine;
  readonly set: ParameterSet;
  private readonly options: Required<Omit<ModelServerOptions, "engine">>;
  private readonly cache = new Map<string, CachedKeys>(); // insertion order = LRU order
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
    };
  }

  /** From server.zip bytes, or a model.tar.gz holding one. */
  static async load(artifact: Uint8Array, options: ModelServerOptions = {}): Promise<ModelServer> {
    const zip = isGzip(artifact) ? (await unpackModelTarball(artifact)).serverZip : artifact;
    if (!zip) throw new ArtifactError("model.tar.gz holds no server.zip.");
    const { manifest, circuit } = unpackServer(zip);
    return new ModelServer(options.engine ?? (await loadEngine()), manifest, circuit, options);
  }

  /** Evaluates an encrypted query with the client's evaluation keys; returns the encrypted result. */
  async run(query: Uint8Array, evaluationKeys: Uint8Array): Promise<Uint8Array> {
    // (the query's limit is checked by decodeQuery; the keys' here, before hashing them)
    if (evaluationKeys.length > this.options.maxKeyBytes) throw new TooLargeError(evaluationKeys.length, this.options.maxKeyBytes);
    const q = decodeQuery(this.set, query, this.options.maxQueryBytes);
    checkCircuitId(q.circuitId, this.manifest.circuitId, "query");
    const input = this.circuit.nodes[0]!;
    if (input.op !== "input" || q.size !== input.size) throw new ModelMismatchError(`The query has ${q.size} values per row; this model takes ${input.op === "input" ? input.size : "?"}.`);
    const t0 = performance.now();
    const { entry, hit } = await this.keysFor(evaluationKeys);
    const t1 = performance.now();
    using vector = entry.evaluator.expandVector(q.vector);
    using output = entry.executor.run(vector);
    const t2 = performance.now();
    this.lastRun = { keyCacheHit: hit, rows: q.rows, keyMs: t1 - t0, evaluateMs: t2 - t1 };
    return encodeResult(this.set, { circuitId: this.manifest.circuitId, rows: q.rows, size: output.length / q.rows, words: output.words, ciphertexts: output.toBytes() });
  }

  /** Expanded keys for these bytes: from the cache, or deserialized and expanded (then cached). */
  private async keysFor(keyBytes: Uint8Array): Promise<{ entry: CachedKeys; hit: boolean }> {
    const id = await sha256Hex(keyBytes);
    const cached = this.cache.get(id);
    if (cached) {
      this.cache.delete(id);
      this.cache.set(id, cached); // most recently used last
      return { entry: cached, hit: true };
    }
    let evaluator: Evaluator;
    if (this.circuit.report.bootstraps === 0) {
      evaluator = this.engine.createLeveledEvaluator(this.set);
    } else {
      if (keyBytes.length === 0) throw new ModelMismatchError("This model bootstraps: it needs the client's evaluation keys, and none were sent.");
      const keys = this.engine.deserializeEvaluationKeys(keyBytes, { params: this.set, maxBytes: this.options.maxKeyBytes });
      evaluator = this.engine.createEvaluator(keys);
    }
    const entry = { evaluator, executor: new CircuitExecutor(evaluator, this.circuit) };
    this.cache.set(id, entry);
    while (this.cache.size > this.options.maxCachedKeys) {
      const [oldest, old] = this.cache.entries().next().value as [string, CachedKeys];
      this.cache.delete(oldest);
      old.executor.free();
      old.evaluator.free();
    }
    return { entry, hit: false };
  }

  /** Drops every cached key set. */
  free(): void {
    for (const e of this.cache.values()) {
      e.executor.free();
      e.evaluator.free();
    }
    this.cache.clear();
  }
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}
