// Leveled linear models: LinearRegression, LogisticRegression, LinearSVC. The server computes
// only W·q + b on encrypted inputs (no bootstrap, so no evaluation keys); the client decrypts the
// integer scores and applies sigmoid / softmax / argmax itself.
//
// Quantization: features are standardized, then each is quantized on its calibrated range
// x_i ≈ m_i + s_i·q_i with q_i ∈ [0, 2^bits − 1]. The scale folds into the weights:
//   score_j = Σ_i c_ji·x_i + b_j = Σ_i (c_ji·s_i)·q_i + (b_j + Σ_i c_ji·m_i)
// and the effective weights c_ji·s_i are quantized symmetrically with one scale s_w, so the
// circuit's integer output acc_j = Σ_i w_ji·q_i + round(bias_j / s_w) gives score_j ≈ s_w·acc_j.
import type { LinearParams, DenseMatrix } from "../types.js";
import { fitLinearRegression, fitLogisticRegression, fitLinearSVC, predictLinear } from "../train/linear.js";
import { fitStandardizer, applyStandardizer } from "../data.js";
import type { Standardizer } from "../data.js";
import { FheModel, asMatrix, bitWidths } from "../model.js";
import type { BuiltCircuit, InputTransform, ModelCompileOptions, OutputTransform, Rows } from "../model.js";
import { ModelStateError } from "../errors.js";
import { labelIndices } from "./labels.js";

abstract class LinearModel extends FheModel {
  protected params?: LinearParams;
  protected standardizer?: Standardizer;

  protected fitStandardized(X: Rows, train: (Xs: DenseMatrix) => LinearParams): this {
    const matrix = asMatrix(X);
    this.standardizer = fitStandardizer(matrix);
    this.params = train(applyStandardizer(this.standardizer, matrix));
    this.compiled = undefined;
    return this;
  }

  /**
   * Uses given coefficients on the raw features (e.g. imported from ONNX) instead of fit():
   * coef has one row per output (regression and binary classifiers: one row, the positive class's
   * score), `classes` the labels of a classifier in output order. Ready for compile(X).
   */
  fromCoefficients(params: LinearParams, classes?: number[]): this {
    const { rows, cols } = params.coef;
    if (params.intercept.length !== rows) throw new ModelStateError(`${rows} coefficient rows need ${rows} intercepts, got ${params.intercept.length}.`);
    if (this.task === "regression") {
      if (rows !== 1) throw new ModelStateError(`${this.modelName} predicts one target; the coefficients have ${rows} rows.`);
    } else {
      const n = classes?.length ?? 0;
      if (n < 2 || !(rows === n || (rows === 1 && n === 2))) throw new ModelStateError(`${this.modelName}: ${rows} coefficient rows do not fit ${n} classes (one row for two classes, else one per class).`);
      this.classes = [...classes!];
    }
    this.params = params;
    // The identity standardizer: the coefficients apply to raw features; compile() still
    // quantizes each feature on its own calibrated range.
    this.standardizer = { mean: new Float64Array(cols), std: new Float64Array(cols).fill(1) };
    this.compiled = undefined;
    return this;
  }

  floatScores(X: Rows): Float64Array[] {
    const { params, standardizer } = this.trained();
    const out = predictLinear(params, applyStandardizer(standardizer, asMatrix(X)));
    return Array.from({ length: out.rows }, (_, r) => out.data.slice(r * out.cols, (r + 1) * out.cols));
  }

  /** The float coefficients on standardized features (read-only view). */
  get coefficients(): LinearParams {
    return this.trained().params;
  }

  protected buildCircuit(X: DenseMatrix, options: ModelCompileOptions): BuiltCircuit {
    const { params, standardizer } = this.trained();
    const bits = bitWidths(options.nBits, { inputs: 8, weights: 8, activations: 8 });
    const Xs = applyStandardizer(standardizer, X);
    const { input, lows, steps } = perFeatureInputTransform(Xs, standardizer, bits.inputs);
    const outputs = params.coef.rows, d = params.coef.cols;
    const effective = new Float64Array(outputs * d);
    const bias = new Float64Array(outputs);
    for (let j = 0; j < outputs; j++) {
      let b = params.intercept[j]!;
      for (let i = 0; i < d; i++) {
        const c = params.coef.data[j * d + i]!;
        effective[j * d + i] = c * steps[i]!;
        b += c * lows[i]!;
      }
      bias[j] = b;
    }
    const { weights, scale } = quantizeSymmetric(effective, bits.weights);
    const graph = {
      outputMode: "exact" as const,
      nodes: [
        { op: "input" as const, size: d, lo: 0, hi: 2 ** bits.inputs - 1 },
        { op: "linear" as const, input: 0, rows: outputs, cols: d, weights, bias: bias.map((b) => Math.round(b / scale)) },
      ],
    };
    const output: OutputTransform = { scale, offset: new Float64Array(outputs), kind: this.floatOutputKind(), classes: this.classes };
    return { graph, input, output };
  }

  protected trained(): { params: LinearParams; standardizer: Standardizer } {
    if (!this.params || !this.standardizer) throw new ModelStateError(`${this.modelName} is not fitted: call fit(X, y) first.`);
    return { params: this.params, standardizer: this.standardizer };
  }
}

export class LinearRegression extends LinearModel {
  readonly modelName = "LinearRegression";
  readonly task = "regression" as const;
  constructor(private readonly options: { l2?: number } = {}) {
    super();
  }
  fit(X: Rows, y: ArrayLike<number>): this {
    return this.fitStandardized(X, (Xs) => fitLinearRegression(Xs, Float64Array.from(y as ArrayLike<number>), this.options));
  }
  protected floatOutputKind() {
    return "identity" as const;
  }
}

export class LogisticRegression extends LinearModel {
  readonly modelName = "LogisticRegression";
  readonly task = "classification" as const;
  constructor(private readonly options: { l2?: number; maxIter?: number } = {}) {
    super();
  }
  fit(X: Rows, y: ArrayLike<number>): this {
    const { indices, classes } = labelIndices(y);
    this.classes = classes;
    return this.fitStandardized(X, (Xs) => fitLogisticRegression(Xs, indices, { ...this.options, nClasses: classes.length }));
  }
  protected floatOutputKind() {
    return (this.classes?.length ?? 2) > 2 ? ("softmax" as const) : ("sigmoid" as const);
  }
}

export class LinearSVC extends LinearModel {
  readonly modelName = "LinearSVC";
  readonly task = "classification" as const;
  constructor(private readonly options: { C?: number; maxIter?: number } = {}) {
    super();
  }
  fit(X: Rows, y: ArrayLike<number>): this {
    const { indices, classes } = labelIndices(y);
    this.classes = classes;
    return this.fitStandardized(X, (Xs) => fitLinearSVC(Xs, indices, { ...this.options, nClasses: classes.length }));
  }
  protected floatOutputKind() {
    return (this.classes?.length ?? 2) > 2 ? ("argmax" as const) : ("sign" as const);
  }
}

/**
 * Per-feature unsigned quantizers on the calibrated range of standardized features, folded with
 * the standardization into one affine map of the raw feature: q = round(x·scale + offset).
 */
export function perFeatureInputTransform(Xs: DenseMatrix, standardizer: Standardizer, bits: number): { input: InputTransform; lows: Float64Array; steps: Float64Array } {
  const d = Xs.cols, levels = 2 ** bits - 1;
  const lows = new Float64Array(d).fill(Infinity), highs = new Float64Array(d).fill(-Infinity);
  for (let r = 0; r < Xs.rows; r++) {
    for (let c = 0; c < d; c++) {
      const v = Xs.data[r * d + c]!;
      if (v < lows[c]!) lows[c] = v;
      if (v > highs[c]!) highs[c] = v;
    }
  }
  const steps = lows.map((lo, c) => (highs[c]! > lo ? (highs[c]! - lo) / levels : 1));
  // q = (x_std − m)/s = ((x − μ)/σ − m)/s = x/(σ s) − (μ/σ + m)/s
  const scale = steps.map((s, c) => 1 / (standardizer.std[c]! * s));
  const offset = steps.map((s, c) => -(standardizer.mean[c]! / standardizer.std[c]! + lows[c]!) / s);
  return { input: { scale, offset, lo: 0, hi: levels }, lows, steps };
}

/** w ≈ scale·q with q ∈ [−(2^(bits−1) − 1), 2^(bits−1) − 1] (one scale for the whole tensor). */
export function quantizeSymmetric(values: Float64Array, bits: number): { weights: Int32Array; scale: number } {
  const maxAbs = values.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const levels = 2 ** (bits - 1) - 1;
  const scale = maxAbs > 0 ? maxAbs / levels : 1;
  return { weights: Int32Array.from(values, (v) => Math.round(v / scale)), scale };
}
