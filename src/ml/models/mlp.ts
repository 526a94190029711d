// MLPClassifier: a fully connected ReLU network trained with quantization-aware training
// (train/mlp.ts) and compiled so that each hidden neuron costs ONE programmable bootstrap:
//   acc_j = Σ_i w_ji·(u_i − z) + round(b_j / (s_u·s_w))          (leveled, integer weights)
//   u'_j  = quantize(max(0, s_u·s_w·acc_j))                      (one bootstrap, table over acc)
// The accumulator is encoded with its calibrated range filling the torus, so the bootstrap reads
// its top bits (free rounding); the compiler keeps `rounding` bits and accounts for the rest as
// noise. The last layer stays leveled: the client decrypts the logits and takes the argmax.
import type { DenseMatrix, MlpParams, QuantizedMlp, UniformQuantizer } from "../types.js";
import { denseMatrix, quantize } from "../types.js";
import { trainQuantizedMlp, floatMlpForward, quantizeMlp } from "../train/mlp.js";
import type { TrainMlpOptions } from "../train/mlp.js";
import { applyStandardizer } from "../data.js";
import type { Standardizer } from "../data.js";
import { FheModel, asMatrix, bitWidths, quantizeRows } from "../model.js";
import type { BuiltCircuit, InputTransform, ModelCompileOptions, OutputTransform, Rows } from "../model.js";
import type { GraphNode, LinearNode, LookupNode } from "../circuit.js";
import { applyLinear } from "../compile.js";
import { ModelStateError } from "../errors.js";
import { labelIndices } from "./labels.js";

export interface MlpClassifierOptions extends Omit<TrainMlpOptions, "nClasses"> {
  /**
   * Scale each feature to [0, 1] by its training min/max before the (per-tensor) input quantizer
   * (default true), so that every feature uses all input levels. Pass false for data already on
   * one scale (MNIST pixels).
   */
  standardize?: boolean;
  /** Scale each hidden neuron's accumulator to fill the layer's encoding (default true; see neuronShifts). */
  neuronScaling?: boolean;
}

/**
 * Post-training quantization's default bit widths. 5 bits: 98.6 % (digits) and 100 % (breast
 * cancer) agreement with the float networks of the ONNX fixtures, and the last layer's output
 * noise stays within the compiler's default maxOutputNoise (6 bits exceeds it on breast cancer).
 */
const POST_TRAINING_BITS = { inputs: 5, weights: 5, activations: 5 };

export class MLPClassifier extends FheModel {
  readonly modelName = "MLPClassifier";
  readonly task = "classification" as const;
  private quantized?: QuantizedMlp;
  private float?: MlpParams;
  private standardizer?: Standardizer;
  /** The raw-feature float network that compile() quantizes (fromFloatNetwork only). */
  private postTraining?: MlpParams;

  constructor(private readonly options: MlpClassifierOptions = { hidden: [64] }) {
    super();
  }

  /** Quantization-aware training (bit widths are fixed here: inputBits, weightBits, activationBits). */
  fit(X: Rows, y: ArrayLike<number>): this {
    const matrix = this.prepare(asMatrix(X));
    const { indices, classes } = labelIndices(y);
    this.classes = classes;
    const result = trainQuantizedMlp(matrix, indices, { ...this.options, nClasses: classes.length });
    this.postTraining = undefined;
    this.quantized = result.quantized;
    this.float = result.float;
    this.compiled = undefined;
    return this;
  }

  /**
   * Uses an already trained float network (e.g. imported from ONNX): post-training quantization
   * on `calibration`, now. `float` takes the raw features; with `standardize` on (the default) the
   * min-max scaler of `calibration` is folded into its first layer, so the network still computes
   * the same function while the per-tensor input quantizer sees every feature on [0, 1].
   */
  fromFloat(float: MlpParams, calibration: Rows, classes: number[], bits: { inputBits: number; weightBits: number; activationBits: number }): this {
    this.postTraining = undefined;
    this.classes = classes;
    this.quantizeFloat(float, asMatrix(calibration), bits);
    return this;
  }

  /**
   * A trained float network (raw features in, one logit per class out) whose post-training
   * quantization waits for compile(X, { nBits }): X is then the calibration set, and the bit widths
   * default to 5 (inputs, weights, activations). Recompiling quantizes again.
   */
  static fromFloatNetwork(float: MlpParams, classes: number[], options: Omit<MlpClassifierOptions, "hidden"> = {}): MLPClassifier {
    const last = float.layers[float.layers.length - 1];
    if (!last || last.weights.rows !== classes.length) {
      throw new ModelStateError(`The network has ${last?.weights.rows ?? 0} outputs for ${classes.length} classes.`);
    }
    const model = new MLPClassifier({ ...options, hidden: float.layers.slice(0, -1).map((l) => l.weights.rows) });
    model.postTraining = float;
    model.float = float;
    model.classes = classes;
    return model;
  }

  override compile(X: Rows, options: ModelCompileOptions = {}): this {
    if (this.postTraining) {
      const bits = bitWidths(options.nBits, POST_TRAINING_BITS);
      this.quantizeFloat(this.postTraining, asMatrix(X), { inputBits: bits.inputs, weightBits: bits.weights, activationBits: bits.activations });
    }
    return super.compile(X, options);
  }

  private quantizeFloat(float: MlpParams, calibration: DenseMatrix, bits: { inputBits: number; weightBits: number; activationBits: number }): void {
    const matrix = this.prepare(calibration);
    this.float = this.standardizer ? foldScaler(float, this.standardizer) : float;
    this.quantized = quantizeMlp(this.float, matrix, bits);
    this.compiled = undefined;
  }

  /** The integer network (read-only). */
  get quantizedNetwork(): QuantizedMlp {
    return this.trained().quantized;
  }

  floatScores(X: Rows): Float64Array[] {
    // A network awaiting post-training quantization has no scaler yet: it takes raw features.
    if (!this.float) throw new ModelStateError("MLPClassifier is not fitted: call fit(X, y) first.");
    const matrix = asMatrix(X);
    const out = floatMlpForward(this.float, this.standardizer ? applyStandardizer(this.standardizer, matrix) : matrix);
    return Array.from({ length: out.rows }, (_, r) => out.data.slice(r * out.cols, (r + 1) * out.cols));
  }

  protected floatOutputKind() {
    return "softmax" as const;
  }

  protected buildCircuit(X: DenseMatrix, _options: ModelCompileOptions): BuiltCircuit {
    const { quantized } = this.trained();
    const input = this.inputTransform(quantized.input, X.cols);
    const nodes: GraphNode[] = [{ op: "input", size: quantized.layers[0]!.cols, lo: 0, hi: 2 ** quantized.input.bits - 1 }];
    let inQ: UniformQuantizer = quantized.input;
    let values = quantizeRows(input, X); // calibration values entering the layer (the transform standardizes)
    quantized.layers.forEach((layer, l) => {
      const accScale = inQ.scale * layer.weightScale;
      const bias = Float64Array.from(layer.bias, (b, j) => {
        let rowSum = 0;
        for (let i = 0; i < layer.cols; i++) rowSum += layer.weights[j * layer.cols + i]!;
        return (Math.round(b / accScale) || 0) - inQ.zeroPoint * rowSum;
      });
      const linear: LinearNode = { op: "linear", input: nodes.length - 1, rows: layer.rows, cols: layer.cols, weights: layer.weights, bias };
      if (l === quantized.layers.length - 1) {
        nodes.push(linear);
        return;
      }
      const act = quantized.activations[l]!;
      const accumulators = values.map((x) => applyLinear(linear, x)); // unscaled, on the calibration rows
      const shifts = this.options.neuronScaling === false ? new Int32Array(layer.rows) : neuronShifts(accumulators);
      nodes.push(scaleRows(linear, shifts));
      // neuron j's table reads its accumulator scaled by 2^shift_j: one function per distinct shift
      const functions = Array.from({ length: Math.max(...shifts) + 1 }, (_, s) => (acc: number) => quantize(Math.max(0, (accScale * acc) / 2 ** s), act));
      const lookup: LookupNode = { op: "lookup", input: nodes.length - 1, mode: "approximate", source: Int32Array.from({ length: layer.rows }, (_, j) => j), table: shifts, functions };
      nodes.push(lookup);
      // the next layer's calibration inputs (a scaled accumulator ÷ 2^s is the unscaled one)
      if (l + 2 < quantized.layers.length) values = accumulators.map((a) => a.map((acc) => functions[0]!(acc)));
      inQ = act;
    });
    const last = quantized.layers[quantized.layers.length - 1]!;
    const output: OutputTransform = { scale: inQ.scale * last.weightScale, offset: new Float64Array(last.rows), kind: "softmax", classes: this.classes };
    return { graph: { nodes, outputMode: "approximate" }, input, output };
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

  /** Fits the min-max scaler on X (unless standardize is false) and returns X scaled. */
  private prepare(X: DenseMatrix): DenseMatrix {
    if (this.options.standardize === false) return X;
    this.standardizer = minMaxScaler(X);
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

/**
 * The network on scaled features u = (x − mean)/std that computes what `float` computes on x:
 * W·x + b = (W·diag(std))·u + (b + W·mean).
 */
function foldScaler(float: MlpParams, scaler: Standardizer): MlpParams {
  const [first, ...rest] = float.layers;
  if (!first) throw new ModelStateError("The network has no layers.");
  const { rows, cols, data } = first.weights;
  if (cols !== scaler.mean.length) throw new ModelStateError(`The network takes ${cols} features; the calibration rows have ${scaler.mean.length}.`);
  const weights = new Float64Array(rows * cols);
  const bias = Float64Array.from(first.bias);
  for (let j = 0; j < rows; j++) {
    for (let i = 0; i < cols; i++) {
      const w = data[j * cols + i]!;
      weights[j * cols + i] = w * scaler.std[i]!;
      bias[j] = bias[j]! + w * scaler.mean[i]!;
    }
  }
  return { layers: [{ ...first, weights: denseMatrix(rows, cols, weights), bias }, ...rest] };
}

/** The largest neuron scaling shift allowed (weights grow by 2^shift: 3 bits more at most). */
const MAX_NEURON_SHIFT = 3;

/**
 * Per-neuron scaling of an accumulator layer. The layer's accumulators share one encoding, sized
 * for the widest neuron; a neuron whose calibrated range is 2^s times narrower would get 2^s times
 * fewer table slots per value, so the modulus-switch noise of the bootstrap (fixed in torus units)
 * would blur it 2^s times more. Multiplying its weight row and bias by 2^s (exact on integers)
 * and dividing inside its table gives it the whole encoding. shift_j is the largest s ≤ 3 with
 * 2^s·[lo_j, hi_j] inside the layer's overall [lo, hi].
 */
export function neuronShifts(accumulators: readonly Float64Array[]): Int32Array {
  const size = accumulators[0]?.length ?? 0;
  const lo = new Float64Array(size).fill(Infinity), hi = new Float64Array(size).fill(-Infinity);
  for (const row of accumulators) {
    row.forEach((v, j) => {
      if (v < lo[j]!) lo[j] = v;
      if (v > hi[j]!) hi[j] = v;
    });
  }
  const LO = Math.min(0, ...lo), HI = Math.max(0, ...hi);
  return Int32Array.from(lo, (l, j) => {
    let s = 0;
    while (s < MAX_NEURON_SHIFT && 2 ** (s + 1) * l >= LO && 2 ** (s + 1) * hi[j]! <= HI) s++;
    return s;
  });
}

/** The linear node with row j (weights and bias) multiplied by 2^shift_j. */
function scaleRows(node: LinearNode, shifts: Int32Array): LinearNode {
  const weights = Int32Array.from(node.weights, (w, i) => w * 2 ** shifts[Math.floor(i / node.cols)]!);
  const bias = Float64Array.from(node.bias, (b, j) => b * 2 ** shifts[j]!);
  return { ...node, weights, bias };
}
