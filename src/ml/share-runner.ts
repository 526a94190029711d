// The worker side of a bootstrap pool, independent of how messages travel (worker_threads in
// Node, Web Workers in browsers): one engine, the registered circuits with their lookup tables
// (built once per circuit) and the registered key sets (each copied into this engine once, no
// transforms redone), and the bootstrapping of one share.
import { InvalidArgumentError, PARAMETER_SETS, wordsPerCiphertext } from "../engine/index.js";
import type { Engine, Evaluator, ExpandedKeys, LookupTable, ParameterSet } from "../engine/index.js";
import { lookupTables } from "./fhe.js";
import type { BootstrapShare, PoolHandle, WorkerCircuit, WorkerLookup } from "./parallel.js";

interface RegisteredCircuit {
  readonly parameterSet: string;
  readonly lookups: ReadonlyMap<number, { readonly node: WorkerLookup; readonly tables: LookupTable[] }>;
}

export class ShareRunner {
  readonly engine: Engine;
  private readonly circuits = new Map<PoolHandle, RegisteredCircuit>();
  private readonly evaluators = new Map<PoolHandle, Evaluator>();

  constructor(engine: Engine) {
    this.engine = engine;
  }

  /** Bytes of this engine's wasm memory (it grows, never shrinks). */
  get memoryBytes(): number {
    return this.engine.memoryBytes;
  }

  addCircuit(handle: PoolHandle, circuit: WorkerCircuit): void {
    // tables are plaintext: a keyless evaluator builds them, and any key set of the set reads them
    using tableMaker = this.engine.createLeveledEvaluator(namedSet(circuit.parameterSet));
    const lookups = new Map(circuit.lookups.map((node) => [node.node, { node, tables: lookupTables(tableMaker, node.lookup, node.output) }]));
    this.remove(handle);
    this.circuits.set(handle, { parameterSet: circuit.parameterSet, lookups });
  }

  addKeys(handle: PoolHandle, parameterSet: string, keys: ExpandedKeys): void {
    const evaluator = this.engine.createEvaluatorFromExpanded(namedSet(parameterSet), keys);
    this.remove(handle);
    this.evaluators.set(handle, evaluator);
  }

  remove(handle: PoolHandle): void {
    this.circuits.get(handle)?.lookups.forEach(({ tables }) => tables.forEach((t) => t.free()));
    this.circuits.delete(handle);
    this.evaluators.get(handle)?.free();
    this.evaluators.delete(handle);
  }

  /** Bootstraps the share's elements; returns their big-key ciphertexts' bytes in order. */
  bootstrap(share: BootstrapShare): Uint8Array {
    const { evaluator, node, tables } = this.resolve(share);
    const ctBytes = wordsPerCiphertext(evaluator.params, share.keyKind) * 8;
    const rowBytes = node.inputSize * ctBytes;
    const size = node.lookup.source.length;
    const rows = share.input.length / rowBytes;
    if (!Number.isInteger(rows)) throw new InvalidArgumentError(`The input of lookup node ${node.node} is ${share.input.length} bytes, not whole rows of ${node.inputSize} ${share.keyKind}-key ciphertexts.`);
    const { from, to } = share;
    if (!Number.isInteger(from) || !Number.isInteger(to) || from < 0 || to < from || to > rows * size) {
      throw new InvalidArgumentError(`Share [${from}, ${to}) is outside lookup node ${node.node}'s ${rows * size} elements.`);
    }
    if (to === from) return new Uint8Array(0);
    // copy only the rows this share reads into the engine
    const firstRow = Math.floor(from / size);
    const endRow = Math.floor((to - 1) / size) + 1;
    using input = evaluator.vectorFromBytes(share.input.subarray(firstRow * rowBytes, endRow * rowBytes), share.keyKind);
    const { source, table } = shareIndices(node, firstRow, from, to);
    using output = evaluator.bootstrapVector(input, tables, table, source);
    return output.toBytes();
  }

  /** Frees every circuit and key set. */
  free(): void {
    for (const handle of [...this.circuits.keys(), ...this.evaluators.keys()]) this.remove(handle);
  }

  private resolve(share: BootstrapShare): { evaluator: Evaluator; node: WorkerLookup; tables: LookupTable[] } {
    const circuit = this.circuits.get(share.circuit);
    if (!circuit) throw new InvalidArgumentError(`No circuit is registered as ${share.circuit} in this worker.`);
    const evaluator = this.evaluators.get(share.keys);
    if (!evaluator) throw new InvalidArgumentError(`No key set is registered as ${share.keys} in this worker.`);
    if (evaluator.params.set.name !== circuit.parameterSet) {
      throw new InvalidArgumentError(`Key set ${share.keys} is for "${evaluator.params.set.name}"; the circuit runs on "${circuit.parameterSet}".`);
    }
    const lookup = circuit.lookups.get(share.node);
    if (!lookup) throw new InvalidArgumentError(`Node ${share.node} of the circuit is not a lookup.`);
    return { evaluator, node: lookup.node, tables: lookup.tables };
  }
}

/** Per share element: which table, and which ciphertext of the copied rows (from firstRow on). */
function shareIndices(node: WorkerLookup, firstRow: number, from: number, to: number): { source: Int32Array; table: Int32Array } {
  const { source, table } = node.lookup;
  const size = source.length;
  const out = { source: new Int32Array(to - from), table: new Int32Array(to - from) };
  for (let i = from; i < to; i++) {
    const row = Math.floor(i / size) - firstRow;
    const j = i % size;
    out.source[i - from] = row * node.inputSize + source[j]!;
    out.table[i - from] = table[j]!;
  }
  return out;
}

function namedSet(name: string): ParameterSet {
  const set = (PARAMETER_SETS as Record<string, ParameterSet>)[name];
  if (!set) throw new InvalidArgumentError(`Unknown parameter set "${name}".`);
  return set;
}
