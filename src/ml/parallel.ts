// Circuit execution with the bootstraps spread over a pool of workers. Bootstraps are the whole
// cost of a circuit (tens of ms each; a linear node or a plaintext shift is microseconds), and the
// elements of one lookup node are independent, so the main thread keeps the leveled work and hands
// each worker a contiguous share [from, to) of every lookup node. PBS is deterministic, so the
// concatenated shares are bit-identical to CircuitExecutor's output.
//
// This file is runtime-neutral: a pool is anything implementing BootstrapPool. Node's comes from
// src/node/worker-pool.ts (worker_threads); a browser supplies one over Web Workers. The worker
// side of the protocol is ShareRunner (share-runner.ts), also runtime-neutral.
import { InvalidArgumentError } from "../engine/index.js";
import type { Evaluator, ExpandedKeys, KeyKind, LweVector } from "../engine/index.js";
import type { CompiledCircuit, CompiledLinear, CompiledLookup, ValueEncoding } from "./circuit.js";
import { nodeSize } from "./circuit.js";
import { checkKeyMatches, concatenateVectors, nodePlaintexts, queryRows } from "./fhe.js";
import { WorkerError } from "./errors.js";

/** A circuit or key set registered with a pool. */
export type PoolHandle = number;

/**
 * Elements [from, to) of lookup node `node`, over all rows of a batch: element i is row
 * ⌊i / size⌋, element i mod size of the node (size = the node's outputs per row).
 */
export interface BootstrapShare {
  readonly circuit: PoolHandle;
  readonly keys: PoolHandle;
  readonly node: number;
  /** Raw bytes of the node's input vector, every row (LweVector.toBytes). */
  readonly input: Uint8Array;
  readonly keyKind: KeyKind;
  readonly from: number;
  readonly to: number;
}

/** Something that can bootstrap shares of lookup nodes: a set of workers and a FIFO of shares. */
export interface BootstrapPool {
  /** Shares that run at once (workers). */
  readonly size: number;
  /** Sends a circuit to every worker; each builds its lookup tables once. */
  addCircuit(circuit: CompiledCircuit): Promise<PoolHandle>;
  /** Sends expanded keys to every worker (through shared memory where the runtime has it). */
  addKeys(parameterSet: string, keys: ExpandedKeys): Promise<PoolHandle>;
  /** Drops a circuit or key set from every worker. */
  remove(handle: PoolHandle): Promise<void>;
  /** Queues a share; resolves to its big-key output ciphertexts' bytes, in element order. */
  bootstrap(share: BootstrapShare): Promise<Uint8Array>;
  /** Stops the workers; shares not yet done reject with WorkerError. */
  close(): Promise<void>;
}

/** What a worker needs of a circuit: each lookup node with its input size and output encoding. */
export interface WorkerCircuit {
  readonly parameterSet: string;
  readonly lookups: readonly WorkerLookup[];
}
export interface WorkerLookup {
  readonly node: number;
  readonly lookup: CompiledLookup;
  /** Values per row of the vector the lookup reads (the previous node's output). */
  readonly inputSize: number;
  readonly output: ValueEncoding;
}

/** The lookup nodes of a circuit, without the weights workers never use. Plain, cloneable data. */
export function workerCircuit(circuit: CompiledCircuit): WorkerCircuit {
  const lookups: WorkerLookup[] = [];
  circuit.nodes.forEach((node, k) => {
    if (node.op !== "lookup") return;
    const { op, input, source, table, mode, precision, tables, noiseSteps, log2PFail } = node; // no extra fields: they may not clone
    lookups.push({
      node: k,
      lookup: { op, input, source, table, mode, precision, tables, noiseSteps, log2PFail },
      inputSize: nodeSize(circuit.nodes[k - 1]!),
      output: circuit.encodings[k]!,
    });
  });
  return { parameterSet: circuit.parameterSet, lookups };
}

/** A circuit and a key set registered with one pool. */
export interface PoolBinding {
  readonly pool: BootstrapPool;
  readonly circuit: PoolHandle;
  readonly keys: PoolHandle;
}

/**
 * Runs a circuit with its bootstraps on a pool. The evaluator does the leveled work only, so a
 * leveled evaluator (no keys) of the circuit's set suffices: the keys live in the workers.
 */
export class ParallelCircuitExecutor {
  readonly circuit: CompiledCircuit;
  readonly evaluator: Evaluator;
  readonly binding: PoolBinding;
  private readonly plaintexts = new Map<number, BigUint64Array | undefined>();

  constructor(evaluator: Evaluator, circuit: CompiledCircuit, binding: PoolBinding) {
    checkKeyMatches(evaluator.params.set.name, circuit.parameterSet);
    this.evaluator = evaluator;
    this.circuit = circuit;
    this.binding = binding;
  }

  /**
   * Runs every row of a (possibly multi-row) input vector; returns the concatenated outputs, as
   * CircuitExecutor.run does. All rows travel together, so one lookup node over a whole batch is
   * split over the workers. The caller's input vector is left unchanged.
   */
  async run(input: LweVector): Promise<LweVector> {
    const rows = queryRows(this.circuit, input);
    const { nodes } = this.circuit;
    let current = input.slice(0, input.length);
    try {
      this.addShifts(0, current, rows);
      for (let k = 1; k < nodes.length; k++) {
        const node = nodes[k]!;
        const next = node.op === "linear"
          ? this.linear(node, current, rows)
          : node.op === "lookup" ? await this.lookup(k, node, current, rows) : current;
        if (next !== current) current.free();
        current = next;
        this.addShifts(k, current, rows);
      }
      return current;
    } catch (e) {
      current.free();
      throw e;
    }
  }

  /** W·x row by row (the matrix product takes one row's vector). */
  private linear(node: CompiledLinear, input: LweVector, rows: number): LweVector {
    if (rows === 1) return this.evaluator.linear(input, node.weights, node.rows, node.cols);
    const outputs: LweVector[] = [];
    try {
      for (let r = 0; r < rows; r++) {
        using row = input.slice(r * node.cols, (r + 1) * node.cols);
        outputs.push(this.evaluator.linear(row, node.weights, node.rows, node.cols));
      }
      return concatenateVectors(this.evaluator, outputs);
    } finally {
      outputs.forEach((o) => o.free());
    }
  }

  /** One share per worker of the node's elements over all rows; shares rejoin in order. */
  private async lookup(k: number, node: CompiledLookup, input: LweVector, rows: number): Promise<LweVector> {
    const { pool, circuit, keys } = this.binding;
    const bytes = input.toBytes();
    const shares = evenRanges(rows * node.source.length, pool.size).map(([from, to]) =>
      pool.bootstrap({ circuit, keys, node: k, input: bytes, keyKind: input.keyKind, from, to }));
    return this.evaluator.vectorFromBytes(joinBytes(await Promise.all(shares)), "big");
  }

  /** Node k's plaintexts (bias and shifts, see nodePlaintexts), the same for every row. */
  private addShifts(k: number, vector: LweVector, rows: number): void {
    if (!this.plaintexts.has(k)) this.plaintexts.set(k, nodePlaintexts(this.circuit, k));
    const row = this.plaintexts.get(k);
    if (row) this.evaluator.addPlaintextsAssign(vector, rows === 1 ? row : repeated(row, rows));
  }
}

/** Registers a circuit and a key set with a pool: what ParallelCircuitExecutor runs on. */
export async function bindPool(pool: BootstrapPool, circuit: CompiledCircuit, keys: ExpandedKeys): Promise<PoolBinding> {
  const circuitHandle = await pool.addCircuit(circuit);
  try {
    return { pool, circuit: circuitHandle, keys: await pool.addKeys(circuit.parameterSet, keys) };
  } catch (e) {
    await pool.remove(circuitHandle);
    throw e;
  }
}

/** [0, total) cut into at most `parts` contiguous ranges whose sizes differ by at most one. */
export function evenRanges(total: number, parts: number): [number, number][] {
  const n = Math.max(1, Math.min(parts, total));
  return Array.from({ length: n }, (_, i) => [Math.floor((i * total) / n), Math.floor(((i + 1) * total) / n)]);
}

function joinBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function repeated(row: BigUint64Array, times: number): BigUint64Array {
  const out = new BigUint64Array(row.length * times);
  for (let r = 0; r < times; r++) out.set(row, r * row.length);
  return out;
}

/** The module with Node's pool, named through a variable so browser bundlers do not follow it. */
const NODE_POOL_MODULE = "../node/worker-pool.js";

function isNode(): boolean {
  return typeof process !== "undefined" && typeof process.versions?.node === "string";
}

/**
 * A pool of `workers` threads for this runtime: Node's worker_threads. (The one place the ML layer
 * reaches for a runtime-specific module; elsewhere, pass a BootstrapPool in.)
 */
export async function createBootstrapPool(workers: number): Promise<BootstrapPool> {
  checkWorkerCount(workers);
  if (!isNode()) throw new WorkerError("Worker threads are built in for Node only; in a browser, pass a BootstrapPool over Web Workers.");
  const module = (await import(/* @vite-ignore */ /* webpackIgnore: true */ NODE_POOL_MODULE)) as typeof import("../node/worker-pool.js");
  return module.createWorkerPool({ workers });
}

export function checkWorkerCount(workers: number): void {
  if (!Number.isInteger(workers) || workers < 1) throw new InvalidArgumentError(`A worker count is a positive integer, got ${workers}.`);
}
