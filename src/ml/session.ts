// Execute mode inside one process: a client key for the circuit's parameter set, its evaluation
// keys expanded into an evaluator, and the circuit executor. Keys are made on first use and kept
// until free(). (The deployment split — client and server in different places — is ModelClient /
// ModelServer in src/artifacts; this is the same flow without the transport.)
import { loadEngine, PARAMETER_SETS } from "../engine/index.js";
import type { ClientKey, Engine, Evaluator, ParameterSet } from "../engine/index.js";
import type { CompiledCircuit } from "./circuit.js";
import { circuitInterface } from "./circuit.js";
import { CircuitExecutor, encryptRows, decryptRows, runSeededInChunks } from "./fhe.js";
import { ParallelCircuitExecutor, bindPool, checkWorkerCount, createBootstrapPool } from "./parallel.js";
import type { BootstrapPool } from "./parallel.js";

let sharedEngine: Promise<Engine> | undefined;

/** One engine instance per process for in-process sessions. */
export function defaultEngine(): Promise<Engine> {
  sharedEngine ??= loadEngine();
  return sharedEngine;
}

export interface SessionRunOptions {
  /** Threads that bootstrap (default 1: in this thread). */
  workers?: number;
}

interface PoolState {
  readonly workers: number;
  readonly ready: Promise<{ pool: BootstrapPool; executor: ParallelCircuitExecutor }>;
}

export class FheSession {
  readonly circuit: CompiledCircuit;
  private state?: Promise<{ ck: ClientKey; evaluator: Evaluator; executor: CircuitExecutor }>;
  private parallel?: PoolState;

  constructor(circuit: CompiledCircuit) {
    this.circuit = circuit;
  }

  private setup(): Promise<{ ck: ClientKey; evaluator: Evaluator; executor: CircuitExecutor }> {
    this.state ??= defaultEngine().then((engine) => {
      const set = (PARAMETER_SETS as Record<string, ParameterSet>)[this.circuit.parameterSet]!;
      const ck = engine.generateClientKey(set);
      // a leveled circuit (linear models) needs no evaluation keys at all
      const evaluator = this.circuit.report.bootstraps > 0 ? engine.createEvaluator(ck.generateEvaluationKeys()) : engine.createLeveledEvaluator(set);
      return { ck, evaluator, executor: new CircuitExecutor(evaluator, this.circuit) };
    });
    return this.state;
  }

  /** Encrypts the quantized rows, evaluates under encryption, decrypts the integer outputs. */
  async run(rows: readonly ArrayLike<number>[], options: SessionRunOptions = {}): Promise<Float64Array[]> {
    const workers = options.workers ?? 1;
    checkWorkerCount(workers);
    const { ck, evaluator, executor } = await this.setup();
    // a leveled circuit has nothing to spread over workers
    const parallel = workers > 1 && this.circuit.report.bootstraps > 0 ? await this.parallelExecutor(workers) : undefined;
    const iface = circuitInterface(this.circuit);
    const query = encryptRows(ck, iface, rows);
    using output = await runSeededInChunks(evaluator, this.circuit, query, (input) => (parallel ? parallel.run(input) : executor.run(input)));
    return decryptRows(ck, iface, output);
  }

  /** The executor over a pool of `workers` threads (the pool is replaced if the count changes). */
  private async parallelExecutor(workers: number): Promise<ParallelCircuitExecutor> {
    if (this.parallel?.workers !== workers) {
      this.closePool();
      const ready = this.setup().then(({ evaluator }) => startPool(this.circuit, evaluator, workers));
      const state: PoolState = { workers, ready };
      ready.catch(() => { if (this.parallel === state) this.parallel = undefined; }); // the next run retries
      this.parallel = state;
    }
    return (await this.parallel.ready).executor;
  }

  private closePool(): void {
    const state = this.parallel;
    this.parallel = undefined;
    void state?.ready.then(({ pool }) => pool.close(), () => {});
  }

  free(): void {
    this.closePool();
    const state = this.state;
    this.state = undefined;
    void state?.then(({ ck, evaluator, executor }) => {
      executor.free();
      evaluator.free();
      ck.free();
    });
  }
}

/** Starts a pool holding the circuit and the evaluator's keys (expanded once, shared). */
async function startPool(circuit: CompiledCircuit, evaluator: Evaluator, workers: number): Promise<{ pool: BootstrapPool; executor: ParallelCircuitExecutor }> {
  const pool = await createBootstrapPool(workers);
  try {
    const binding = await bindPool(pool, circuit, evaluator.exportExpandedKeys({ shared: true }));
    return { pool, executor: new ParallelCircuitExecutor(evaluator, circuit, binding) };
  } catch (e) {
    await pool.close();
    throw e;
  }
}
