// The model base class: scikit-learn-like fit / compile / predict with three modes
//   "disable"  – the quantized integer circuit in the clear (what FHE computes, noiselessly),
//   "simulate" – the same with the modelled noise of every FHE step (no encryption, fast),
//   "execute"  – real encryption: keys, encrypted inputs, the circuit on ciphertexts, decryption.
// A model is split into what the client runs (input quantization, output post-processing:
// ClientSpec) and what the server runs (the compiled circuit). Both are plain data.
import type { Graph, CompiledCircuit, CircuitInterface } from "./circuit.js";
import { circuitInterface } from "./circuit.js";
import type { CompileOptions } from "./compile.js";
import { compileGraph } from "./compile.js";
import { runClear } from "./evaluate.js";
import type { DenseMatrix } from "./types.js";
import { toDenseMatrix } from "./types.js";
import { ModelStateError } from "./errors.js";
import { FheSession } from "./session.js";

export type FheMode = "disable" | "simulate" | "execute";
export type Rows = DenseMatrix | readonly ArrayLike<number>[];

/** q_i = clamp(round(x_i·scale_i + offset_i), lo, hi): the client's float → integer step. */
export interface InputTransform {
  readonly scale: Float64Array;
  readonly offset: Float64Array;
  readonly lo: number;
  readonly hi: number;
}

/**
 * score_j = scale·out_j + offset_j from the circuit's integer outputs, then:
 * "identity" (regression), "sigmoid" (binary, one score), "softmax", "argmax" (decision scores or
 * votes), "sign" (binary decision function: class 1 iff score > 0).
 */
export interface OutputTransform {
  readonly scale: number;
  readonly offset: Float64Array;
  readonly kind: "identity" | "sigmoid" | "softmax" | "argmax" | "sign";
  /** Class labels in output order (classifiers). */
  readonly classes?: readonly number[];
}

/** Everything the client needs: no weights, no tables. */
export interface ClientSpec {
  readonly model: string;
  readonly task: "classification" | "regression";
  readonly features: number;
  readonly input: InputTransform;
  readonly output: OutputTransform;
  readonly circuit: CircuitInterface;
}

export interface BitWidths {
  inputs?: number;
  weights?: number;
  activations?: number;
}

export interface ModelCompileOptions extends CompileOptions {
  /** Bits of inputs and weights (and activations where it applies), or one number for all. */
  nBits?: number | BitWidths;
}

export interface PredictOptions {
  fhe?: FheMode;
  /** Simulate mode: the uniform source of the noise (default Math.random). */
  random?: () => number;
  /** Execute mode: threads that bootstrap (default 1, in this thread; Node's worker_threads beyond). */
  workers?: number;
}

export interface BuiltCircuit {
  readonly graph: Graph;
  readonly input: InputTransform;
  readonly output: OutputTransform;
}

export abstract class FheModel {
  /** Class name, recorded in artifacts. */
  abstract readonly modelName: string;
  abstract readonly task: "classification" | "regression";
  protected compiled?: { circuit: CompiledCircuit; spec: ClientSpec };
  private session?: FheSession;

  /** Trains on plaintext data. */
  abstract fit(X: Rows, y: ArrayLike<number>): this;
  /** Float (unquantized) scores of the trained model, the baseline of every accuracy table. */
  abstract floatScores(X: Rows): Float64Array[];
  /** Quantizes the trained model into a circuit graph (calibration rows in float). */
  protected abstract buildCircuit(X: DenseMatrix, options: ModelCompileOptions): BuiltCircuit;

  /** Quantizes and compiles: fixes bit widths, encodings and the parameter set. */
  compile(X: Rows, options: ModelCompileOptions = {}): this {
    const matrix = asMatrix(X);
    const built = this.buildCircuit(matrix, options);
    const calibration = quantizeRows(built.input, matrix);
    const circuit = compileGraph(built.graph, calibration, options);
    this.compiled = {
      circuit,
      spec: { model: this.modelName, task: this.task, features: matrix.cols, input: built.input, output: built.output, circuit: circuitInterface(circuit) },
    };
    this.session?.free();
    this.session = undefined;
    return this;
  }

  get isCompiled(): boolean {
    return this.compiled !== undefined;
  }
  get circuit(): CompiledCircuit {
    return this.requireCompiled().circuit;
  }
  get clientSpec(): ClientSpec {
    return this.requireCompiled().spec;
  }

  /** Post-processed scores (dequantized circuit outputs) per row, in the given mode. */
  scores(X: Rows, options: PredictOptions & { fhe: "execute" }): Promise<Float64Array[]>;
  scores(X: Rows, options?: PredictOptions): Float64Array[];
  scores(X: Rows, options: PredictOptions = {}): Float64Array[] | Promise<Float64Array[]> {
    const { circuit, spec } = this.requireCompiled();
    const q = quantizeRows(spec.input, asMatrix(X));
    if (options.fhe === "execute") {
      this.session ??= new FheSession(circuit);
      return this.session.run(q, { workers: options.workers }).then((outs) => outs.map((o) => dequantize(spec.output, o)));
    }
    const outs = runClear(circuit, q, { noise: options.fhe === "simulate", random: options.random });
    return outs.map((o) => dequantize(spec.output, o));
  }

  /** Predictions: class labels (classifiers) or values (regressors). */
  predict(X: Rows, options: PredictOptions & { fhe: "execute" }): Promise<number[]>;
  predict(X: Rows, options?: PredictOptions): number[];
  predict(X: Rows, options: PredictOptions = {}): number[] | Promise<number[]> {
    const out = this.scoresEither(X, options);
    const spec = this.requireCompiled().spec;
    return out instanceof Promise ? out.then((s) => s.map((row: Float64Array) => decide(spec.output, row))) : out.map((row: Float64Array) => decide(spec.output, row));
  }

  /** Class probabilities (sigmoid / softmax models; normalized votes for argmax models). */
  predictProba(X: Rows, options: PredictOptions & { fhe: "execute" }): Promise<number[][]>;
  predictProba(X: Rows, options?: PredictOptions): number[][];
  predictProba(X: Rows, options: PredictOptions = {}): number[][] | Promise<number[][]> {
    const spec = this.requireCompiled().spec;
    if (spec.task !== "classification") throw new ModelStateError(`${this.modelName} is a regressor: it has no class probabilities.`);
    const out = this.scoresEither(X, options);
    return out instanceof Promise ? out.then((s) => s.map((row: Float64Array) => probabilities(spec.output, row))) : out.map((row: Float64Array) => probabilities(spec.output, row));
  }

  /** Float-model predictions (no quantization), for comparison. */
  predictFloat(X: Rows): number[] {
    const output: OutputTransform = { scale: 1, offset: new Float64Array(0), kind: this.floatOutputKind(), classes: this.classes };
    return this.floatScores(X).map((row) => decide(output, row));
  }

  private scoresEither(X: Rows, options: PredictOptions): Float64Array[] | Promise<Float64Array[]> {
    return (this.scores as (X: Rows, o: PredictOptions) => Float64Array[] | Promise<Float64Array[]>).call(this, X, options);
  }

  /** Releases the keys of execute mode. */
  free(): void {
    this.session?.free();
    this.session = undefined;
  }

  protected abstract floatOutputKind(): OutputTransform["kind"];
  protected classes?: number[];

  protected requireCompiled(): { circuit: CompiledCircuit; spec: ClientSpec } {
    if (!this.compiled) throw new ModelStateError(`${this.modelName} is not compiled: call fit() then compile(X) first.`);
    return this.compiled;
  }
}

export function asMatrix(X: Rows): DenseMatrix {
  return "data" in X && "rows" in X && "cols" in X ? (X as DenseMatrix) : toDenseMatrix(X as readonly ArrayLike<number>[]);
}

/** The client's quantization of float rows into circuit inputs. */
export function quantizeRows(t: InputTransform, X: DenseMatrix): Float64Array[] {
  if (X.cols !== t.scale.length) throw new ModelStateError(`Rows have ${X.cols} features; the model takes ${t.scale.length}.`);
  const rows: Float64Array[] = [];
  for (let r = 0; r < X.rows; r++) {
    const q = new Float64Array(X.cols);
    for (let c = 0; c < X.cols; c++) {
      const x = X.data[r * X.cols + c]!;
      if (!Number.isFinite(x)) throw new ModelStateError(`Row ${r}, feature ${c} is not a finite number (${x}).`);
      const v = Math.round(x * t.scale[c]! + t.offset[c]!);
      q[c] = v < t.lo ? t.lo : v > t.hi ? t.hi : v;
    }
    rows.push(q);
  }
  return rows;
}

export function dequantize(t: OutputTransform, out: ArrayLike<number>): Float64Array {
  return Float64Array.from(out as ArrayLike<number>, (v, j) => t.scale * v + (t.offset[j] ?? 0));
}

/** Scores → one prediction. */
export function decide(t: OutputTransform, scores: ArrayLike<number>): number {
  const classes = t.classes ?? [];
  switch (t.kind) {
    case "identity": return scores[0]!;
    case "sigmoid":
    case "sign": return classes[scores[0]! > 0 ? 1 : 0] ?? (scores[0]! > 0 ? 1 : 0);
    case "softmax":
    case "argmax": {
      let best = 0;
      for (let j = 1; j < scores.length; j++) if (scores[j]! > scores[best]!) best = j;
      return classes[best] ?? best;
    }
  }
}

/** Scores → class probabilities. */
export function probabilities(t: OutputTransform, scores: ArrayLike<number>): number[] {
  switch (t.kind) {
    case "sigmoid":
    case "sign": {
      const p = 1 / (1 + Math.exp(-scores[0]!));
      return [1 - p, p];
    }
    case "softmax": {
      const m = Math.max(...Array.from(scores));
      const e = Array.from(scores, (s) => Math.exp(s - m));
      const z = e.reduce((a, b) => a + b, 0);
      return e.map((v) => v / z);
    }
    case "argmax": {
      const clipped = Array.from(scores, (s) => Math.max(0, s));
      const z = clipped.reduce((a, b) => a + b, 0);
      return z > 0 ? clipped.map((v) => v / z) : clipped.map(() => 1 / clipped.length);
    }
    case "identity": return [scores[0]!];
  }
}

/** Resolves nBits into per-role bit widths with defaults. */
export function bitWidths(nBits: ModelCompileOptions["nBits"], defaults: Required<BitWidths>): Required<BitWidths> {
  if (nBits === undefined) return defaults;
  if (typeof nBits === "number") return { inputs: nBits, weights: nBits, activations: nBits };
  return { inputs: nBits.inputs ?? defaults.inputs, weights: nBits.weights ?? defaults.weights, activations: nBits.activations ?? defaults.activations };
}
