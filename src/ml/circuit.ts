// The circuit IR every model compiles to: integer vectors flowing through leveled linear maps with
// cleartext integer weights and through table lookups (one programmable bootstrap per element).
//
//   input (client-encrypted integers) ─ linear ─ lookup ─ linear ─ … ─ output (client-decrypted)
//
// A Graph is what a model builds (lookups as functions); compile() (compile.ts) turns it into a
// CompiledCircuit: plain data with value ranges, encodings, materialized tables, the parameter
// set and the noise / failure-probability report. Evaluation (clear, simulated, FHE) works on the
// compiled form only, so the three modes share one definition of every value.

/** Encrypted input vector of `size` integers, each in [lo, hi] (quantized features). */
export interface InputNode {
  readonly op: "input";
  readonly size: number;
  readonly lo: number;
  readonly hi: number;
}

/** y_r = Σ_c weights[r·cols + c]·x_c + bias[r]: weights and bias are cleartext integers. */
export interface LinearNode {
  readonly op: "linear";
  readonly input: number;
  readonly rows: number;
  readonly cols: number;
  readonly weights: Int32Array;
  readonly bias: Float64Array; // integers
}

/**
 * y_i = f_{table[i]}(x_{source[i]}): one bootstrap per output element.
 * - "exact": every input value has its own table entry; the compiler must find parameters where
 *   the noise stays below half a value step at the target failure probability.
 * - "approximate": the input is rounded down to its top `rounding` bits (the bootstrap reads only
 *   the top bits of the phase: free rounding); f sees the centre of each rounding step.
 */
export interface LookupNode {
  readonly op: "lookup";
  readonly input: number;
  readonly source: Int32Array;
  readonly table: Int32Array;
  readonly functions: readonly ((v: number) => number)[];
  readonly mode: "exact" | "approximate";
  /** Approximate lookups: input bits kept (default: the compile option `rounding`). */
  readonly rounding?: number;
}

export type GraphNode = InputNode | LinearNode | LookupNode;

/**
 * Nodes in topological order (node 0 is the input); the last node is the output.
 * outputMode "exact" (default): every output must decrypt exactly at the target p_fail (leveled
 * models, vote counts). "approximate": outputs are scores whose low bits may carry noise (the
 * logits after a bootstrapped layer); the compiler then requires only that the noise at the target
 * p_fail stays below the output range by `minOutputBits` bits, and reports the noise.
 */
export interface Graph {
  readonly nodes: readonly GraphNode[];
  readonly outputMode?: "exact" | "approximate";
}

/** Number of values a node produces. */
export function nodeSize(node: GraphNode | CompiledNode): number {
  switch (node.op) {
    case "input": return node.size;
    case "linear": return node.rows;
    case "lookup": return node.source.length;
  }
}

// ---- compiled form ------------------------------------------------------------------------

/**
 * How the values of one node travel: integers v ∈ [lo, hi] as the torus plaintext
 * (v − lo)·2^deltaLog2 (+ a fixed shift before approximate lookups), under the big or small key.
 * bits = ⌈log2(hi − lo + 1)⌉ and deltaLog2 = 63 − bits: the top torus bit stays free (padding),
 * which is what lets a bootstrap apply any function, and what lets the client decrypt signed
 * sums without ambiguity.
 */
export interface ValueEncoding {
  readonly lo: number;
  readonly hi: number;
  readonly bits: number;
  readonly deltaLog2: number;
  readonly key: "big" | "small";
  /** Largest noise variance over the node's elements, torus units (the torus has length 1). */
  readonly variance: number;
}

export interface CompiledInput extends InputNode {}
export interface CompiledLinear extends LinearNode {
  /** Noise variance of each output element (Σ_c w² · input variance). */
  readonly variances: Float64Array;
}
export interface CompiledLookup {
  readonly op: "lookup";
  readonly input: number;
  readonly source: Int32Array;
  readonly table: Int32Array;
  readonly mode: "exact" | "approximate";
  /** Input bits the table resolves (R); 2^R entries per table. */
  readonly precision: number;
  /** tables[t][r] = output for rounded input r ∈ [0, 2^R). */
  readonly tables: readonly Int32Array[];
  /** Noise standard deviation at the bootstrap input, in rounding steps. */
  readonly noiseSteps: number;
  /** log2 of the probability that one element errs: exact → any error, approximate → by > 1 step. */
  readonly log2PFail: number;
}
export type CompiledNode = CompiledInput | CompiledLinear | CompiledLookup;

export interface CompiledCircuit {
  readonly nodes: readonly CompiledNode[];
  readonly encodings: readonly ValueEncoding[];
  /** Name of a named set of the engine (PARAMETER_SETS). */
  readonly parameterSet: string;
  readonly report: CircuitReport;
}

export interface LookupReport {
  readonly node: number;
  readonly elements: number;
  readonly mode: "exact" | "approximate";
  readonly inputBits: number;
  readonly precision: number;
  readonly noiseSteps: number;
  readonly log2PFail: number;
}

export interface CircuitReport {
  readonly parameterSet: string;
  readonly bootstraps: number;
  readonly keyswitches: number;
  readonly lookups: readonly LookupReport[];
  /** log2 of the union bound over every exact lookup element: P(any exact lookup errs). */
  readonly log2PFailExact: number;
  /** Output decoding: log2 P(an output value decrypts off by ≥ 1). */
  readonly log2PFailOutput: number;
  readonly outputMode: "exact" | "approximate";
  /** Output noise standard deviation in output units (integers). */
  readonly outputNoise: number;
  readonly inputBits: number;
  readonly outputBits: number;
}

/** 2^k as a number. */
export function pow2(k: number): number {
  return 2 ** k;
}

/** Bits needed for hi − lo + 1 distinct values (at least 1). */
export function bitsForRange(lo: number, hi: number): number {
  return Math.max(1, Math.ceil(Math.log2(hi - lo + 1)));
}

/**
 * What a client needs of a circuit (no weights, no tables): the parameter set, the input's size,
 * range and encoding, the output's size and encoding. The model owner's circuit stays on the server.
 */
export interface CircuitInterface {
  readonly parameterSet: string;
  readonly input: { readonly size: number; readonly lo: number; readonly hi: number; readonly encoding: ValueEncoding };
  readonly output: { readonly size: number; readonly encoding: ValueEncoding };
  /** Whether the circuit bootstraps (else the server needs no evaluation keys). */
  readonly bootstraps: boolean;
}

export function circuitInterface(circuit: CompiledCircuit): CircuitInterface {
  const input = circuit.nodes[0] as CompiledInput;
  const last = circuit.nodes.length - 1;
  return {
    parameterSet: circuit.parameterSet,
    input: { size: input.size, lo: input.lo, hi: input.hi, encoding: circuit.encodings[0]! },
    output: { size: nodeSize(circuit.nodes[last]!), encoding: circuit.encodings[last]! },
    bootstraps: circuit.report.bootstraps > 0,
  };
}
