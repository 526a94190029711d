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
  /** Runs using the pool now; a replaced pool closes when the last of them ends. */
  users: number;
  replaced: boolean;
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
    const pool = workers > 1 && this.circuit.report.bootstraps > 0 ? this.poolFor(workers) : undefined;
    if (pool) pool.users++;
    try {
      const parallel = pool ? (await pool.ready).executor : undefined;
      const iface = circuitInterface(this.circuit);
      const query = encryptRows(ck, iface, rows);
      using output = await runSeededInChunks(evaluator, this.circuit, query, (input) => (parallel ? parallel.run(input) : executor.run(input)));
      return decryptRows(ck, iface, output);
    } finally {
      if (pool && --pool.users === 0 && pool.replaced) closePoolOf(pool);
    }
  }

  /** The pool of `workers` threads (replaced if the count changes; the old one outlives its runs). */
  private poolFor(workers: number): PoolState {
    if (this.parallel?.workers !== workers) {
      this.closePool();
      const ready = this.setup().then(({ evaluator }) => startPool(this.circuit, evaluator, workers));
      const state: PoolState = { workers, ready, users: 0, replaced: false };
      ready.catch(() => { if (this.parallel === state) this.parallel = undefined; }); // the next run retries
      this.parallel = state;
    }
    return this.parallel;
  }

  private closePool(): void {
    const state = this.parallel;
    this.parallel = undefined;
    if (!state) return;
    state.replaced = true;
    if (state.users === 0) closePoolOf(state);
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

function closePoolOf(state: PoolState): void {
  void state.ready.then(({ pool }) => pool.close(), () => {});
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
