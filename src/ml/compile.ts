// The compiler: Graph + calibration inputs → CompiledCircuit. For each candidate parameter set
// (cheapest first) it walks the graph once over the calibration rows and fixes, node by node:
//   - the value range [lo, hi] and so the encoding (bits, Δ = 2^(63 − bits));
//   - the noise variance (fresh → Σ w²·σ² through linear maps → + KS + MS at a bootstrap →
//     the bootstrap's output variance), from the engine's noise model (docs/SPEC.md §5);
//   - each lookup's precision and failure probability, and its materialized tables.
// The first set on which every lookup and the output meet their requirements wins; if none
// does, CompileError names the value that is too wide and what to change.
import {
  PARAMETER_SETS, freshLweVariance, keyswitchVariance, modulusSwitchVariance, pbsOutputVariance, log2Erfc,
} from "../engine/index.js";
import type { ParameterSet } from "../engine/index.js";
import type {
  Graph, GraphNode, CompiledCircuit, CompiledNode, ValueEncoding, LookupNode, LinearNode, LookupReport,
} from "./circuit.js";
import { bitsForRange, nodeSize } from "./circuit.js";
import { CompileError } from "./errors.js";

export interface CompileOptions {
  /** Target failure probability of one exact lookup (default 2^−40, as concrete-ml). */
  pFail?: number;
  /** Bits an approximate lookup keeps of its input (default 7). */
  rounding?: number;
  /** Candidate parameter sets, cheapest first (default: 1_1, 2_2, 2_2_L2, 3_3). */
  parameterSets?: readonly string[];
  /** Widening of calibrated ranges (fraction of the range on each side; default 0.1). */
  rangeMargin?: number;
  /** Approximate outputs: clean bits required above the noise at the target p_fail (default 2). */
  minOutputBits?: number;
  /**
   * Approximate outputs: the largest noise σ allowed, in output units (integer steps of the
   * quantized circuit). Default 1: FHE's noise stays below the clear circuit's own quantization
   * grain, so decisions (argmax) agree with the quantized model on nearly every row. Infinity
   * accepts the cheapest set whose output keeps `minOutputBits` clean bits.
   */
  maxOutputNoise?: number;
}

/**
 * Measured KS-PBS cost order on our engine (BENCHMARKS.md): 1_1 18 ms, 2_2 22 ms, 2_2_L2 ≈ 36 ms
 * (the same keys with a two-level bootstrap: 2^7 less output noise), 3_3 197 ms.
 */
export const DEFAULT_CANDIDATES: readonly string[] = ["1_1", "2_2", "2_2_L2", "3_3"];
const DEFAULT_MAX_OUTPUT_NOISE = 1;
const DEFAULT_P_FAIL = 2 ** -40;
const DEFAULT_ROUNDING = 7;

export function compileGraph(graph: Graph, calibration: readonly ArrayLike<number>[], options: CompileOptions = {}): CompiledCircuit {
  validateGraph(graph);
  if (calibration.length === 0) throw new CompileError("Compilation needs at least one calibration row.");
  const candidates = options.parameterSets ?? DEFAULT_CANDIDATES;
  const failures: string[] = [];
  const setIndependent = new Map<number, Float64Array[]>(); // calibration values before any lookup, shared by every set
  for (const name of candidates) {
    const set = (PARAMETER_SETS as Record<string, ParameterSet>)[name];
    if (!set) throw new CompileError(`Unknown parameter set "${name}".`);
    const attempt = compileForSet(graph, calibration, set, options, setIndependent);
    if (typeof attempt !== "string") return attempt;
    failures.push(`set ${name}: ${attempt}`);
  }
  throw new CompileError(`No parameter set fits this circuit.\n  ${failures.join("\n  ")}`);
}

/** Checks the graph's shape: topological order, one consumer per value, a single input first. */
export function validateGraph(graph: Graph): void {
  const { nodes } = graph;
  if (nodes.length < 2 || nodes[0]!.op !== "input") throw new CompileError("A circuit starts with its input node and has at least one operation.");
  const consumers = new Array<number>(nodes.length).fill(0);
  nodes.forEach((node, k) => {
    if (k > 0 && node.op === "input") throw new CompileError(`Node ${k}: a circuit has exactly one input node (node 0).`);
    if (node.op === "input") return;
    if (!(node.input >= 0 && node.input < k)) throw new CompileError(`Node ${k} reads node ${node.input}, which does not precede it.`);
    consumers[node.input]!++;
    const inputSize = nodeSize(nodes[node.input]!);
    if (node.op === "linear") {
      if (node.cols !== inputSize) throw new CompileError(`Node ${k}: ${node.cols} weight columns for an input of ${inputSize}.`);
      if (node.weights.length !== node.rows * node.cols || node.bias.length !== node.rows) {
        throw new CompileError(`Node ${k}: weights must be ${node.rows}×${node.cols} and bias ${node.rows} long.`);
      }
      if (!node.bias.every(Number.isSafeInteger)) throw new CompileError(`Node ${k}: biases must be integers.`);
    } else {
      if (node.table.length !== node.source.length) throw new CompileError(`Node ${k}: source and table lengths differ.`);
      if (node.source.some((s) => s < 0 || s >= inputSize)) throw new CompileError(`Node ${k}: a source index is outside its input of ${inputSize}.`);
      if (node.table.some((t) => t < 0 || t >= node.functions.length)) throw new CompileError(`Node ${k}: a table index names no function.`);
    }
  });
  consumers.forEach((count, k) => {
    if (count > 1) throw new CompileError(`Node ${k} feeds ${count} nodes; each value feeds one (duplicate it with a linear node).`);
    if (count === 0 && k !== nodes.length - 1) throw new CompileError(`Node ${k} is never used.`);
  });
}

/** The key a node's values live under: inputs bound for a bootstrap use the small key (no KS). */
function keyOf(graph: Graph, k: number): "big" | "small" {
  const node = graph.nodes[k]!;
  if (node.op === "lookup") return "big";
  if (node.op === "linear") return keyOf(graph, node.input);
  // the input: small if the first non-linear consumer is a lookup
  let at = k;
  for (;;) {
    const next = graph.nodes.findIndex((n) => n.op !== "input" && n.input === at);
    if (next < 0) return "big";
    if (graph.nodes[next]!.op === "lookup") return "small";
    at = next;
  }
}

interface Walk {
  values: Float64Array[][]; // per node, per calibration row
}

/** Compiles for one parameter set, or returns why it does not fit. */
function compileForSet(
  graph: Graph, calibration: readonly ArrayLike<number>[], set: ParameterSet, options: CompileOptions, setIndependent: Map<number, Float64Array[]>,
): CompiledCircuit | string {
  const pFail = options.pFail ?? DEFAULT_P_FAIL;
  const log2Target = Math.log2(pFail);
  const margin = options.rangeMargin ?? 0.1;
  const log2N = Math.log2(set.polynomialSize);
  const nodes: CompiledNode[] = [];
  const encodings: ValueEncoding[] = [];
  const lookups: LookupReport[] = [];
  const variances: Float64Array[] = []; // per node, per element
  const intervals: [Float64Array, Float64Array][] = []; // guaranteed per-element bounds
  const walk: Walk = { values: [] };
  let bootstraps = 0, keyswitches = 0, log2Exact = -Infinity;

  for (let k = 0; k < graph.nodes.length; k++) {
    const node = graph.nodes[k]!;
    const key = keyOf(graph, k);
    if (node.op === "input") {
      const rows = calibration.map((row, r) => checkInputRow(row, node.size, node.lo, node.hi, r));
      walk.values.push(rows);
      const v = freshLweVariance(key === "big" ? set.glweNoise : set.lweNoise);
      variances.push(new Float64Array(node.size).fill(v));
      intervals.push([new Float64Array(node.size).fill(node.lo), new Float64Array(node.size).fill(node.hi)]);
      nodes.push({ ...node });
      encodings.push(placeholderEncoding(key)); // fixed once its consumer's range is known
      continue;
    }
    if (node.op === "linear") {
      const inputs = walk.values[node.input]!;
      const upstreamOfLookups = !graph.nodes.slice(0, k).some((n) => n.op === "lookup");
      const values = (upstreamOfLookups && setIndependent.get(k)) || inputs.map((x) => applyLinear(node, x));
      if (upstreamOfLookups) setIndependent.set(k, values);
      walk.values.push(values);
      const outVar = linearVariances(node, variances[node.input]!);
      variances.push(outVar);
      intervals.push(linearInterval(node, intervals[node.input]!));
      nodes.push({ ...node, variances: outVar });
      encodings.push(placeholderEncoding(key));
      continue;
    }
    // lookup: fix the encoding of its input chain from the input's range
    const inputNode = node.input;
    const [lo, hi] = lookupInputRange(node, walk.values[inputNode]!, intervals[inputNode]!, margin);
    const bits = bitsForRange(lo, hi);
    const inputVar = maxOf(variances[inputNode]!) + (encodings[inputNode]!.key === "big" ? keyswitchVariance(set) : 0) + modulusSwitchVariance(set);
    const sigma = Math.sqrt(inputVar);
    let precision: number;
    if (node.mode === "exact") {
      if (bits > log2N) return `lookup node ${k} needs ${bits} exact input bits; this set's bootstrap resolves ${log2N}.`;
      precision = bits;
    } else {
      precision = Math.min(bits, node.rounding ?? options.rounding ?? DEFAULT_ROUNDING, log2N);
    }
    const step = 2 ** -(precision + 1); // torus length of one rounded input value
    const log2P = node.mode === "exact" ? log2Erfc(step / 2 / (sigma * Math.SQRT2)) : log2Erfc(step / (sigma * Math.SQRT2));
    if (node.mode === "exact" && log2P > log2Target) {
      return `lookup node ${k} (${bits}-bit input): noise σ = 2^${Math.log2(sigma).toFixed(2)} gives p_fail 2^${log2P.toFixed(1)} > 2^${log2Target.toFixed(1)}` +
        ` (${noiseBreakdown(variances[inputNode]!, encodings[inputNode]!.key === "big", set)}); use fewer input bits or smaller weights.`;
    }
    if (node.mode === "approximate" && sigma > step / 2) {
      return `lookup node ${k}: noise σ = 2^${Math.log2(sigma).toFixed(2)} exceeds half a step at ${precision} bits; lower the rounding bits.`;
    }
    setChainEncoding(graph, encodings, inputNode, lo, hi, bits, variances);
    const stepValues = 2 ** (bits - precision);
    const tables = node.functions.map((f, t) => materializeTable(f, lo, stepValues, precision, k, t));
    const compiled = { op: "lookup" as const, input: inputNode, source: node.source, table: node.table, mode: node.mode, precision, tables, noiseSteps: sigma / step, log2PFail: log2P };
    nodes.push(compiled);
    const size = node.source.length;
    bootstraps += size;
    if (encodings[inputNode]!.key === "big") keyswitches += size;
    if (node.mode === "exact") log2Exact = log2Add(log2Exact, log2P + Math.log2(size));
    lookups.push({ node: k, elements: size, mode: node.mode, inputBits: bits, precision, noiseSteps: sigma / step, log2PFail: log2P });
    const enc = encodings[inputNode]!;
    walk.values.push(walk.values[inputNode]!.map((x) => applyLookupClear(compiled, x, enc, log2N)));
    variances.push(new Float64Array(size).fill(pbsOutputVariance(set)));
    intervals.push(tableInterval(compiled));
    encodings.push(placeholderEncoding("big"));
  }

  // the output: the client decrypts it; its range comes from calibration (margin) within the interval bound
  const last = graph.nodes.length - 1;
  const [lo, hi] = outputRange(walk.values[last]!, intervals[last]!, margin);
  const bits = bitsForRange(lo, hi);
  if (bits > 62) return `the output needs ${bits} bits; the torus holds 62 with padding.`;
  setChainEncoding(graph, encodings, last, lo, hi, bits, variances);
  const outSigma = Math.sqrt(maxOf(variances[last]!));
  const log2POut = log2Erfc(2 ** -(bits + 2) / (outSigma * Math.SQRT2));
  const outputMode = graph.outputMode ?? "exact";
  const outputNoise = outSigma * 2 ** (bits + 1); // in output units
  const z = Math.sqrt(2) * inverseErfc(pFail);
  const headroomBits = Math.log2((hi - lo + 1) / (2 * z * outputNoise));
  if (outputMode === "approximate" && headroomBits < (options.minOutputBits ?? 2)) {
    return `the output's noise (σ = ${outputNoise.toFixed(1)} units over a range of ${hi - lo + 1}) leaves ${headroomBits.toFixed(1)} clean bits at p_fail ${pFail}; use fewer weight bits in the last layer.`;
  }
  const maxOutputNoise = options.maxOutputNoise ?? DEFAULT_MAX_OUTPUT_NOISE;
  if (outputMode === "approximate" && outputNoise > maxOutputNoise) {
    return `the output's noise σ = ${outputNoise.toFixed(2)} units exceeds maxOutputNoise = ${maxOutputNoise} (raise it to accept more noise for speed).`;
  }
  if (outputMode === "exact" && log2POut > log2Target) {
    return `the output (${bits} bits, range [${lo}, ${hi}]) has noise σ = 2^${Math.log2(outSigma).toFixed(2)}: p_fail 2^${log2POut.toFixed(1)} > 2^${log2Target.toFixed(1)}; use fewer weight bits or a narrower output.`;
  }
  const unresolved = encodings.findIndex((e) => e.bits === 0);
  if (unresolved >= 0) return `node ${unresolved} has no encoding (internal error).`;
  return {
    nodes, encodings, parameterSet: set.name,
    report: {
      parameterSet: set.name, bootstraps, keyswitches, lookups, log2PFailExact: log2Exact, log2PFailOutput: log2POut, outputMode, outputNoise,
      inputBits: encodings[0]!.bits, outputBits: bits,
    },
  };
}

function placeholderEncoding(key: "big" | "small"): ValueEncoding {
  return { lo: 0, hi: 0, bits: 0, deltaLog2: 0, key, variance: 0 };
}

/**
 * Gives node k and the linear chain feeding it one scale Δ = 2^(63 − bits): linear maps keep Δ,
 * so the chain's first value (the client's input or a bootstrap's output) is encoded with it.
 */
function setChainEncoding(graph: Graph, encodings: ValueEncoding[], k: number, lo: number, hi: number, bits: number, variances: Float64Array[]): void {
  const deltaLog2 = 63 - bits;
  let at = k;
  encodings[at] = { lo, hi, bits, deltaLog2, key: encodings[at]!.key, variance: maxOf(variances[at]!) };
  while (graph.nodes[at]!.op === "linear") {
    at = (graph.nodes[at] as LinearNode).input;
    const prev = encodings[at]!;
    // upstream values are encoded unshifted (v·Δ); the server adds the shift at node k only
    encodings[at] = { lo: 0, hi: 0, bits, deltaLog2, key: prev.key, variance: maxOf(variances[at]!) };
  }
}

/** Input rows must be integer vectors of the right size within the declared range. */
export function checkInputRow(row: ArrayLike<number>, size: number, lo: number, hi: number, index: number): Float64Array {
  if (row.length !== size) throw new CompileError(`Row ${index} has ${row.length} values; the circuit takes ${size}.`);
  const out = Float64Array.from(row as ArrayLike<number>);
  for (const v of out) {
    if (!Number.isInteger(v) || v < lo || v > hi) throw new CompileError(`Row ${index}: input value ${v} is not an integer in [${lo}, ${hi}].`);
  }
  return out;
}

export function applyLinear(node: LinearNode, x: Float64Array): Float64Array {
  const { rows, cols, weights, bias } = node;
  const y = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let acc = bias[r]!;
    const base = r * cols;
    for (let c = 0; c < cols; c++) acc += weights[base + c]! * x[c]!;
    y[r] = acc;
  }
  return y;
}

function linearVariances(node: LinearNode, input: Float64Array): Float64Array {
  const out = new Float64Array(node.rows);
  for (let r = 0; r < node.rows; r++) {
    let v = 0;
    for (let c = 0; c < node.cols; c++) v += node.weights[r * node.cols + c]! ** 2 * input[c]!;
    out[r] = v;
  }
  return out;
}

function linearInterval(node: LinearNode, [lo, hi]: [Float64Array, Float64Array]): [Float64Array, Float64Array] {
  const outLo = new Float64Array(node.rows), outHi = new Float64Array(node.rows);
  for (let r = 0; r < node.rows; r++) {
    let a = node.bias[r]!, b = node.bias[r]!;
    for (let c = 0; c < node.cols; c++) {
      const w = node.weights[r * node.cols + c]!;
      if (w >= 0) { a += w * lo[c]!; b += w * hi[c]!; } else { a += w * hi[c]!; b += w * lo[c]!; }
    }
    outLo[r] = a; outHi[r] = b;
  }
  return [outLo, outHi];
}

function tableInterval(node: { source: Int32Array; table: Int32Array; tables: readonly Int32Array[] }): [Float64Array, Float64Array] {
  // each table's values, widened to include 0; −f(0) (what a wrapped phase reads) is added per element
  const ranges = node.tables.map((t) => [Math.min(...t, 0), Math.max(...t, 0)] as const);
  const lo = new Float64Array(node.table.length), hi = new Float64Array(node.table.length);
  node.table.forEach((t, i) => {
    const neg = -node.tables[t]![0]!;
    lo[i] = Math.min(ranges[t]![0], neg);
    hi[i] = Math.max(ranges[t]![1], neg);
  });
  return [lo, hi];
}

/** Exact lookups take the guaranteed interval; approximate ones the calibrated range, widened. */
function lookupInputRange(node: LookupNode, values: Float64Array[], [ilo, ihi]: [Float64Array, Float64Array], margin: number): [number, number] {
  const guaranteed: [number, number] = [minOf(ilo), maxOf(ihi)];
  if (node.mode === "exact") return guaranteed;
  return widen(observedRange(values), guaranteed, margin);
}

function outputRange(values: Float64Array[], [ilo, ihi]: [Float64Array, Float64Array], margin: number): [number, number] {
  const guaranteed: [number, number] = [minOf(ilo), maxOf(ihi)];
  // a guaranteed range at most 4× wider than what calibration saw costs ≤ 2 bits: take it
  const [olo, ohi] = observedRange(values);
  if (guaranteed[1] - guaranteed[0] <= 4 * Math.max(ohi - olo, 1)) return guaranteed;
  return widen([olo, ohi], guaranteed, margin);
}

function observedRange(values: Float64Array[]): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (const row of values) for (const v of row) { if (v < lo) lo = v; if (v > hi) hi = v; }
  return [lo, hi];
}

function widen([lo, hi]: [number, number], [glo, ghi]: [number, number], margin: number): [number, number] {
  const extra = Math.ceil((hi - lo) * margin) + 1;
  return [Math.max(glo, lo - extra), Math.min(ghi, hi + extra)];
}

/**
 * Table t of lookup node k: entry r (the rounded input r ∈ [0, 2^R)) holds f at the centre of the
 * inputs that round down to r: v = lo + r·S + (S − 1)/2 with S = 2^(bits − R) input values per step.
 */
function materializeTable(f: (v: number) => number, lo: number, stepValues: number, precision: number, k: number, t: number): Int32Array {
  const out = new Int32Array(2 ** precision);
  for (let r = 0; r < out.length; r++) {
    const v = lo + r * stepValues + (stepValues - 1) / 2;
    const y = f(v);
    if (!Number.isSafeInteger(y) || Math.abs(y) >= 2 ** 31) throw new CompileError(`Lookup node ${k}, table ${t}: f(${v}) = ${y} is not a 32-bit integer.`);
    out[r] = y;
  }
  return out;
}

/**
 * The noiseless value of a lookup element, as the bootstrap computes it: the phase position
 * (v − lo) + (1 − S)/2 in input units (the shift centres each rounding step in its table box) is
 * switched to one of 2N slots; slot j < N reads V[j], slot j ≥ N reads −V[j − N] (negacyclic).
 * The same function with noise added is the simulator (evaluate.ts).
 */
export function applyLookupClear(node: { source: Int32Array; table: Int32Array; tables: readonly Int32Array[]; precision: number }, x: Float64Array, enc: ValueEncoding, log2N: number): Float64Array {
  const out = new Float64Array(node.source.length);
  for (let i = 0; i < out.length; i++) out[i] = lookupSlotValue(node, i, x[node.source[i]!]!, enc, log2N, 0);
  return out;
}

/** One element: input value v, extra phase noise `noise` in torus units. */
export function lookupSlotValue(
  node: { table: Int32Array; tables: readonly Int32Array[]; precision: number }, i: number, v: number, enc: ValueEncoding, log2N: number, noise: number,
): number {
  const S = 2 ** (enc.bits - node.precision);
  const position = v - enc.lo + (1 - S) / 2; // in input units; the torus holds 2^(bits+1) of them
  const twoN = 2 ** (log2N + 1);
  const slotsPerUnit = twoN / 2 ** (enc.bits + 1);
  let slot = Math.round(position * slotsPerUnit + noise * twoN) % twoN;
  if (slot < 0) slot += twoN;
  const N = twoN / 2;
  const table = node.tables[node.table[i]!]!;
  return slot < N ? tableSlot(table, slot, N, node.precision) : -tableSlot(table, slot - N, N, node.precision);
}

/** V[j]: slot j of N stands for the rounded input round(j / w), w = N / 2^R slots per entry. */
export function tableSlot(table: Int32Array, j: number, N: number, precision: number): number {
  const w = N / 2 ** precision;
  const r = Math.round(j / w);
  return r >= table.length ? -table[0]! : table[r]!; // the last half box: a slightly negative 0
}

function noiseBreakdown(inputVariances: Float64Array, keyswitched: boolean, set: ParameterSet): string {
  const lin = maxOf(inputVariances), ks = keyswitched ? keyswitchVariance(set) : 0, ms = modulusSwitchVariance(set);
  const total = lin + ks + ms;
  const pct = (x: number) => `${Math.round((100 * x) / total)} %`;
  return `inputs·weights ${pct(lin)}, keyswitch ${pct(ks)}, modulus switch ${pct(ms)}`;
}

/** x with erfc(x) = p, by bisection (p in (0, 1)). */
export function inverseErfc(p: number): number {
  let lo = 0, hi = 40;
  const target = Math.log2(p);
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (log2Erfc(mid) > target) lo = mid; else hi = mid;
  }
  return (lo + hi) / 2;
}

function maxOf(a: ArrayLike<number>): number {
  let m = -Infinity;
  for (let i = 0; i < a.length; i++) if (a[i]! > m) m = a[i]!;
  return m;
}
function minOf(a: ArrayLike<number>): number {
  let m = Infinity;
  for (let i = 0; i < a.length; i++) if (a[i]! < m) m = a[i]!;
  return m;
}
function log2Add(a: number, b: number): number {
  if (a === -Infinity) return b;
  const hi = Math.max(a, b), lo = Math.min(a, b);
  return hi + Math.log2(1 + 2 ** (lo - hi));
}

export type { GraphNode };
