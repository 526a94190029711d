// MLPClassifier: a fully connected ReLU network trained with quantization-aware training
// (train/mlp.ts) and compiled so that each hidden neuron costs ONE programmable bootstrap:
//   acc_j = Σ_i w_ji·(u_i − z) + round(b_j / (s_u·s_w))          (leveled, integer weights)
//   u'_j  = quantize(max(0, s_u·s_w·acc_j))                      (one bootstrap, table over acc)
// The accumulator is encoded with its calibrated range filling the torus, so the bootstrap reads
// its top bits (free rounding); the compiler keeps `rounding` bits and accounts for the rest as
// noise. The last layer stays leveled: the client decrypts the logits and takes the argmax.
import type { DenseMatrix, MlpParams, QuantizedMlp, UniformQuantizer } from "../types.js";
import { quantize } from "../types.js";
import { trainQuantizedMlp, floatMlpForward, quantizeMlp } from "../train/mlp.js";
import type { TrainMlpOptions } from "../train/mlp.js";
import { applyStandardizer } from "../data.js";
import type { Standardizer } from "../data.js";
import { FheModel, asMatrix } from "../model.js";
import type { BuiltCircuit, InputTransform, ModelCompileOptions, OutputTransform, Rows } from "../model.js";
import type { GraphNode } from "../circuit.js";
import { ModelStateError } from "../errors.js";
import { labelIndices } from "./labels.js";

export interface MlpClassifierOptions extends Omit<TrainMlpOptions, "nClasses"> {
  /**
   * Scale each feature to [0, 1] by its training min/max before the (per-tensor) input quantizer
   * (default true), so that every feature uses all input levels. Pass false for data already on
   * one scale (MNIST pixels).
   */
  standardize?: boolean;
}

export class MLPClassifier extends FheModel {
  readonly modelName = "MLPClassifier";
  readonly task = "classification" as const;
  private quantized?: QuantizedMlp;
  private float?: MlpParams;
  private standardizer?: Standardizer;

  constructor(private readonly options: MlpClassifierOptions = { hidden: [64] }) {
    super();
  }

  /** Quantization-aware training (bit widths are fixed here: inputBits, weightBits, activationBits). */
  fit(X: Rows, y: ArrayLike<number>): this {
    const matrix = this.prepare(asMatrix(X), true);
    const { indices, classes } = labelIndices(y);
    this.classes = classes;
    const result = trainQuantizedMlp(matrix, indices, { ...this.options, nClasses: classes.length });
    this.quantized = result.quantized;
    this.float = result.float;
    this.compiled = undefined;
    return this;
  }

  /** Uses an already trained float network (e.g. imported from ONNX): post-training quantization. */
  fromFloat(float: MlpParams, calibration: Rows, classes: number[], bits: { inputBits: number; weightBits: number; activationBits: number }): this {
    const matrix = this.prepare(asMatrix(calibration), false);
    this.float = float;
    this.classes = classes;
    this.quantized = quantizeMlp(float, matrix, bits);
    this.compiled = undefined;
    return this;
  }

  /** The integer network (read-only). */
  get quantizedNetwork(): QuantizedMlp {
    return this.trained().quantized;
  }

  floatScores(X: Rows): Float64Array[] {
    const { float } = this.trained();
    const out = floatMlpForward(float, this.prepare(asMatrix(X), false));
    return Array.from({ length: out.rows }, (_, r) => out.data.slice(r * out.cols, (r + 1) * out.cols));
  }

  protected floatOutputKind() {
    return "softmax" as const;
  }

  protected buildCircuit(X: DenseMatrix, _options: ModelCompileOptions): BuiltCircuit {
    const { quantized } = this.trained();
    const nodes: GraphNode[] = [{ op: "input", size: quantized.layers[0]!.cols, lo: 0, hi: 2 ** quantized.input.bits - 1 }];
    let inQ: UniformQuantizer = quantized.input;
    quantized.layers.forEach((layer, l) => {
      const accScale = inQ.scale * layer.weightScale;
      const bias = Float64Array.from(layer.bias, (b, j) => {
        let rowSum = 0;
        for (let i = 0; i < layer.cols; i++) rowSum += layer.weights[j * layer.cols + i]!;
        return (Math.round(b / accScale) || 0) - inQ.zeroPoint * rowSum;
      });
      nodes.push({ op: "linear", input: nodes.length - 1, rows: layer.rows, cols: layer.cols, weights: layer.weights, bias });
      if (l < quantized.layers.length - 1) {
        const act = quantized.activations[l]!;
        nodes.push({
          op: "lookup", input: nodes.length - 1, mode: "approximate",
          source: Int32Array.from({ length: layer.rows }, (_, j) => j), table: new Int32Array(layer.rows),
          functions: [(acc: number) => quantize(Math.max(0, accScale * acc), act)],
        });
        inQ = act;
      }
    });
    const last = quantized.layers[quantized.layers.length - 1]!;
    const output: OutputTransform = { scale: inQ.scale * last.weightScale, offset: new Float64Array(last.rows), kind: "softmax", classes: this.classes };
    return { graph: { nodes, outputMode: "approximate" }, input: this.inputTransform(quantized.input, X.cols), output };
  }

  /** Standardization (if any) and the per-tensor input quantizer as one affine map per feature. */
  private inputTransform(q: UniformQuantizer, features: number): InputTransform {
    const mean = this.standardizer?.mean ?? new Float64Array(features);
    const std = this.standardizer?.std ?? new Float64Array(features).fill(1);
    return {
      scale: Float64Array.from(std, (s) => 1 / (s * q.scale)),
      offset: Float64Array.from(mean, (m, c) => -m / (std[c]! * q.scale) + q.zeroPoint),
      lo: 0, hi: 2 ** q.bits - 1,
    };
  }

  private prepare(X: DenseMatrix, fitting: boolean): DenseMatrix {
    if (this.options.standardize === false) return X;
    if (fitting || !this.standardizer) this.standardizer = minMaxScaler(X);
    return applyStandardizer(this.standardizer, X);
  }

  private trained(): { quantized: QuantizedMlp; float: MlpParams } {
    if (!this.quantized || !this.float) throw new ModelStateError("MLPClassifier is not fitted: call fit(X, y) first.");
    return { quantized: this.quantized, float: this.float };
  }
}

/** (x − min)/(max − min) per feature, as a Standardizer (mean = min, std = max − min). */
function minMaxScaler(X: DenseMatrix): Standardizer {
  const mean = new Float64Array(X.cols).fill(Infinity), hi = new Float64Array(X.cols).fill(-Infinity);
  for (let r = 0; r < X.rows; r++) {
    for (let c = 0; c < X.cols; c++) {
      const v = X.data[r * X.cols + c]!;
      if (v < mean[c]!) mean[c] = v;
      if (v > hi[c]!) hi[c] = v;
    }
  }
  return { mean, std: hi.map((h, c) => (h > mean[c]! ? h - mean[c]! : 1)) };
}
