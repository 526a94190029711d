// Running a compiled circuit in the clear: "disable" mode (noiseless: exactly what the FHE circuit
// computes when no noise crosses a step) and "simulate" mode (the same, with Gaussian noise of the
// model's variance added where the real circuit adds it: fresh encryption, linear growth Σ w²σ²,
// keyswitch and modulus switch before each bootstrap, the bootstrap's output noise). Values are
// integers held in float64 (exact below 2^53).
import { keyswitchVariance, modulusSwitchVariance, pbsOutputVariance, freshLweVariance, PARAMETER_SETS } from "../engine/index.js";
import type { ParameterSet } from "../engine/index.js";
import type { CompiledCircuit, CompiledLinear, CompiledLookup, ValueEncoding } from "./circuit.js";
import { applyLinear, checkInputRow, lookupSlotValue } from "./compile.js";

export interface ClearRunOptions {
  /** Add the modelled noise (simulate mode). */
  noise?: boolean;
  /** Uniform [0, 1) source for the noise (default Math.random). */
  random?: () => number;
}

export function parameterSetOf(circuit: CompiledCircuit): ParameterSet {
  return (PARAMETER_SETS as Record<string, ParameterSet>)[circuit.parameterSet]!;
}

/** Evaluates every row; returns the decoded integer outputs per row. */
export function runClear(circuit: CompiledCircuit, rows: readonly ArrayLike<number>[], options: ClearRunOptions = {}): Float64Array[] {
  const set = parameterSetOf(circuit);
  const gauss = options.noise ? gaussian(options.random ?? Math.random) : () => 0;
  return rows.map((row, index) => runRow(circuit, set, row, index, options.noise === true, gauss));
}

function runRow(circuit: CompiledCircuit, set: ParameterSet, row: ArrayLike<number>, index: number, noisy: boolean, gauss: () => number): Float64Array {
  const { nodes, encodings } = circuit;
  const log2N = Math.log2(set.polynomialSize);
  const values: Float64Array[] = [];
  const noises: Float64Array[] = []; // torus units, per element
  for (let k = 0; k < nodes.length; k++) {
    const node = nodes[k]!;
    if (node.op === "input") {
      values.push(checkInputRow(row, node.size, node.lo, node.hi, index));
      const sd = Math.sqrt(freshLweVariance(encodings[k]!.key === "big" ? set.glweNoise : set.lweNoise));
      noises.push(noisy ? Float64Array.from({ length: node.size }, () => sd * gauss()) : new Float64Array(node.size));
    } else if (node.op === "linear") {
      values.push(applyLinear(node, values[node.input]!));
      noises.push(noisy ? propagateNoise(node, noises[node.input]!) : new Float64Array(node.rows));
    } else {
      const enc = encodings[node.input]!;
      const extraSd = Math.sqrt((enc.key === "big" ? keyswitchVariance(set) : 0) + modulusSwitchVariance(set));
      values.push(runLookup(node, values[node.input]!, noises[node.input]!, enc, log2N, noisy ? () => extraSd * gauss() : () => 0));
      const outSd = Math.sqrt(pbsOutputVariance(set));
      noises.push(noisy ? Float64Array.from({ length: node.source.length }, () => outSd * gauss()) : new Float64Array(node.source.length));
    }
  }
  const last = nodes.length - 1;
  return decodeOutputs(values[last]!, noises[last]!, encodings[last]!);
}

function runLookup(node: CompiledLookup, x: Float64Array, noise: Float64Array, enc: ValueEncoding, log2N: number, extra: () => number): Float64Array {
  const out = new Float64Array(node.source.length);
  for (let i = 0; i < out.length; i++) {
    const s = node.source[i]!;
    out[i] = lookupSlotValue(node, i, x[s]!, enc, log2N, noise[s]! + extra());
  }
  return out;
}

function propagateNoise(node: CompiledLinear, noise: Float64Array): Float64Array {
  const out = new Float64Array(node.rows);
  for (let r = 0; r < node.rows; r++) {
    let e = 0;
    for (let c = 0; c < node.cols; c++) e += node.weights[r * node.cols + c]! * noise[c]!;
    out[r] = e;
  }
  return out;
}

/**
 * What the client's decryption returns: (v − lo)·Δ + e rounded to a multiple of Δ, read on the
 * signed circle of 2^(bits+1) steps, plus lo. Without noise and within range this is v itself.
 */
export function decodeOutputs(values: Float64Array, noise: Float64Array, enc: ValueEncoding): Float64Array {
  const steps = 2 ** (enc.bits + 1);
  return values.map((v, i) => {
    let t = Math.round(v - enc.lo + noise[i]! * steps) % steps;
    if (t >= steps / 2) t -= steps;
    if (t < -steps / 2) t += steps;
    return enc.lo + t;
  });
}

/** Standard normal samples (Box–Muller) from a uniform source. */
export function gaussian(random: () => number): () => number {
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    const u = 1 - random(), v = random();
    const radius = Math.sqrt(-2 * Math.log(u));
    spare = radius * Math.sin(2 * Math.PI * v);
    return radius * Math.cos(2 * Math.PI * v);
  };
}
