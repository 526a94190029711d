// Running a compiled circuit under encryption. The client encrypts quantized inputs (v·Δ, seeded:
// 8 bytes a value) and decrypts outputs; the server, holding only evaluation keys, applies the
// circuit: linear nodes as cleartext-integer matrix products on ciphertext vectors, lookups as one
// programmable bootstrap per element. The shifts that centre each value in its table (or in the
// output's decoding range) are plaintexts the server adds; they depend only on the circuit.
import type { ClientKey, Evaluator, LookupTable, LweVector, SeededLweVector } from "../engine/index.js";
import { wordsPerCiphertext } from "../engine/index.js";
import type { CircuitInterface, CompiledCircuit, CompiledLookup, ValueEncoding } from "./circuit.js";
import { nodeSize } from "./circuit.js";
import { checkInputRow, tableSlot } from "./compile.js";
import { ModelMismatchError } from "./errors.js";

const MASK64 = (1n << 64n) - 1n;

/** v·2^d mod 2^64 for an integer v (negative wraps). */
export function scaled(v: number, deltaLog2: number): bigint {
  return (BigInt(v) << BigInt(deltaLog2)) & MASK64;
}

/** Client: the seeded encryption of `rows` (each a quantized input vector), concatenated. */
export function encryptRows(ck: ClientKey, circuit: CircuitInterface, rows: readonly ArrayLike<number>[]): SeededLweVector {
  checkKeyMatches(ck.params.set.name, circuit.parameterSet);
  const { size, lo, hi, encoding } = circuit.input;
  const plaintexts = new BigUint64Array(rows.length * size);
  rows.forEach((row, r) => {
    checkInputRow(row, size, lo, hi, r).forEach((v, i) => {
      plaintexts[r * size + i] = scaled(v, encoding.deltaLog2);
    });
  });
  return ck.encryptPlaintexts(plaintexts, encoding.key);
}

/** Client: decrypts the output vector (rows × outputs, concatenated) into integers per row. */
export function decryptRows(ck: ClientKey, circuit: CircuitInterface, output: LweVector): Float64Array[] {
  checkKeyMatches(ck.params.set.name, circuit.parameterSet);
  const { size, encoding } = circuit.output;
  if (output.length % size !== 0 || output.keyKind !== "big") {
    throw new ModelMismatchError(`The result holds ${output.length} ${output.keyKind}-key values; this model outputs ${size} big-key values per row.`);
  }
  const phases = ck.phases(output);
  const rows: Float64Array[] = [];
  for (let r = 0; r < output.length / size; r++) {
    rows.push(Float64Array.from({ length: size }, (_, i) => decodeScaled(phases[r * size + i]!, encoding)));
  }
  return rows;
}

/** round(φ/Δ) on the signed circle of 2^(bits+1) steps, plus lo. */
export function decodeScaled(phase: bigint, enc: ValueEncoding): number {
  const d = BigInt(enc.deltaLog2);
  const rounded = ((phase + (1n << (d - 1n))) & MASK64) >> d; // in [0, 2^(bits+1))
  const steps = 1n << BigInt(enc.bits + 1);
  let t = rounded % steps;
  if (t >= steps / 2n) t -= steps;
  return enc.lo + Number(t);
}

export function checkKeyMatches(setName: string, circuitSet: string): void {
  if (setName !== circuitSet) {
    throw new ModelMismatchError(`This model runs on parameter set "${circuitSet}"; the key is for "${setName}".`);
  }
}

/** Server-side evaluation of one circuit with one evaluator (tables built once, reused). */
export class CircuitExecutor {
  readonly circuit: CompiledCircuit;
  readonly evaluator: Evaluator;
  private readonly tables = new Map<number, LookupTable[]>();
  private readonly plaintexts = new Map<number, BigUint64Array | undefined>();

  constructor(evaluator: Evaluator, circuit: CompiledCircuit) {
    checkKeyMatches(evaluator.params.set.name, circuit.parameterSet);
    this.evaluator = evaluator;
    this.circuit = circuit;
  }

  /** Runs every row of a (possibly multi-row) input vector; returns the concatenated outputs. */
  run(input: LweVector): LweVector {
    const rows = queryRows(this.circuit, input);
    const size = nodeSize(this.circuit.nodes[0]!);
    if (rows === 1) return this.runRow(input);
    const outputs: LweVector[] = [];
    try {
      for (let r = 0; r < rows; r++) outputs.push(this.runOwned(input.slice(r * size, (r + 1) * size)));
      return concatenateVectors(this.evaluator, outputs);
    } finally {
      outputs.forEach((o) => o.free());
    }
  }

  /** One row through every node; the caller's input vector is left unchanged. */
  runRow(input: LweVector): LweVector {
    return this.runOwned(input.slice(0, input.length));
  }

  /** One row, consuming `input`. Intermediate vectors are freed as soon as they are consumed. */
  private runOwned(input: LweVector): LweVector {
    const { nodes } = this.circuit;
    let current = this.addShifts(0, input);
    for (let k = 1; k < nodes.length; k++) {
      const node = nodes[k]!;
      const next = node.op === "linear"
        ? this.evaluator.linear(current, node.weights, node.rows, node.cols)
        : node.op === "lookup"
          ? this.lookup(k, node, current)
          : current;
      if (next !== current) current.free();
      current = this.addShifts(k, next);
    }
    return current;
  }

  /** Bootstraps the elements of one lookup node (a range of them, for a worker's share). */
  lookup(k: number, node: CompiledLookup, input: LweVector, from = 0, to = node.source.length): LweVector {
    return this.evaluator.bootstrapVector(input, this.tablesOf(k, node), node.table, node.source, from, to);
  }

  /** Node k's plaintexts: its bias (linear) plus the shift its consumer needs. */
  private addShifts(k: number, vector: LweVector): LweVector {
    if (!this.plaintexts.has(k)) this.plaintexts.set(k, nodePlaintexts(this.circuit, k)); // per circuit, not per row
    const plaintexts = this.plaintexts.get(k);
    if (plaintexts) this.evaluator.addPlaintextsAssign(vector, plaintexts);
    return vector;
  }

  private tablesOf(k: number, node: CompiledLookup): LookupTable[] {
    let luts = this.tables.get(k);
    if (!luts) {
      luts = lookupTables(this.evaluator, node, this.circuit.encodings[k]!);
      this.tables.set(k, luts);
    }
    return luts;
  }

  free(): void {
    for (const luts of this.tables.values()) luts.forEach((l) => l.free());
    this.tables.clear();
  }
}

/**
 * Plaintexts the server adds after node k (undefined if none): a linear node's bias, and, if node
 * k feeds a lookup or is the output, the shift (−lo + (1 − S)/2)·Δ that puts its values where the
 * table (or the client's decoding) expects them; S = input values per rounding step.
 */
export function nodePlaintexts(circuit: CompiledCircuit, k: number): BigUint64Array | undefined {
  const node = circuit.nodes[k]!;
  const enc = circuit.encodings[k]!;
  const size = nodeSize(node);
  const consumer = circuit.nodes.find((n) => n.op === "lookup" && n.input === k) as CompiledLookup | undefined;
  const isOutput = k === circuit.nodes.length - 1;
  const bias = node.op === "linear" ? node.bias : undefined;
  if (!bias && !consumer && !isOutput) return undefined;
  const d = enc.deltaLog2;
  const stepValues = consumer ? 2 ** (enc.bits - consumer.precision) : 1;
  // (1 − S)/2 · Δ = (1 − S)·2^(d−1): exact, since Δ ≥ 2
  const centring = consumer && stepValues > 1 ? (BigInt(1 - stepValues) << BigInt(d - 1)) & MASK64 : 0n;
  const shiftsToo = consumer !== undefined || isOutput;
  return BigUint64Array.from({ length: size }, (_, i) => {
    const integer = (bias ? bias[i]! : 0) - (shiftsToo ? enc.lo : 0);
    return (scaled(integer, d) + centring) & MASK64;
  });
}

/** Memory one chunk of expanded query rows may take (the seeded query is 8 B a value; expanded, 7–16 KB). */
export const CHUNK_BYTES = 64 * 2 ** 20;

/**
 * Runs a seeded multi-row query chunk by chunk: each chunk of rows is expanded (masks regenerated
 * from the seed), evaluated by `run` and freed, so a large batch never holds all its expanded
 * ciphertexts at once (1,000 rows of 70 big-key values would be 1.1 GB). Returns the outputs of
 * every row in order, as one vector.
 */
export async function runSeededInChunks(
  evaluator: Evaluator, circuit: CompiledCircuit, query: SeededLweVector,
  run: (input: LweVector) => LweVector | Promise<LweVector>, chunkBytes = CHUNK_BYTES,
): Promise<LweVector> {
  const size = nodeSize(circuit.nodes[0]!);
  const rows = query.bodies.length / size;
  if (!Number.isInteger(rows) || rows < 1) throw new ModelMismatchError(`The query holds ${query.bodies.length} values; this model takes ${size} per row.`);
  const valueBytes = wordsPerCiphertext(evaluator.params, query.keyKind) * 8;
  const rowsPerChunk = Math.max(1, Math.floor(chunkBytes / (size * valueBytes)));
  const outputs: LweVector[] = [];
  try {
    for (let row = 0; row < rows; row += rowsPerChunk) {
      const count = Math.min(rowsPerChunk, rows - row);
      using input = evaluator.expandVector(query, row * size, count * size);
      outputs.push(await run(input));
    }
    return outputs.length === 1 ? outputs.pop()! : concatenateVectors(evaluator, outputs);
  } finally {
    outputs.forEach((o) => o.free());
  }
}

/** Rows in a query vector, after checking its size and key against the circuit's input. */
export function queryRows(circuit: CompiledCircuit, input: LweVector): number {
  const size = nodeSize(circuit.nodes[0]!);
  const rows = input.length / size;
  if (!Number.isInteger(rows) || rows < 1) throw new ModelMismatchError(`The query holds ${input.length} values; this model takes ${size} per row.`);
  if (input.keyKind !== circuit.encodings[0]!.key) throw new ModelMismatchError(`The query is under the ${input.keyKind} key; this model expects the ${circuit.encodings[0]!.key} key.`);
  return rows;
}

/**
 * The tables of a lookup node whose outputs are encoded `out`, in an evaluator's engine. Any
 * evaluator of the circuit's set will do, even a leveled one: tables are plaintext coefficients.
 */
export function lookupTables(evaluator: Evaluator, node: CompiledLookup, out: ValueEncoding): LookupTable[] {
  const N = evaluator.params.set.polynomialSize;
  const encoding = evaluator.encodingFor(2 ** (out.bits + 1), 1n << BigInt(out.deltaLog2));
  return node.tables.map((table) => {
    const coefficients = new BigUint64Array(N);
    for (let j = 0; j < N; j++) coefficients[j] = scaled(tableSlot(table, j, N, node.precision), out.deltaLog2);
    return evaluator.lookupTableFromCoefficients(coefficients, encoding);
  });
}

/** The vectors' ciphertexts back to back in one new vector (all of one key kind). */
export function concatenateVectors(evaluator: Evaluator, parts: readonly LweVector[]): LweVector {
  const total = parts.reduce((n, p) => n + p.byteLength, 0);
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    bytes.set(p.toBytes(), at);
    at += p.byteLength;
  }
  return evaluator.vectorFromBytes(bytes, parts[0]!.keyKind);
}
