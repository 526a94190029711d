// Plaintext model descriptions shared by the trainers (src/ml/train), the ONNX importer and the
// compiler. They hold float parameters only: quantization and encryption happen later, in the
// compiler. Everything here is plain data (typed arrays and numbers) so it serializes as JSON.

/** A dense row-major matrix: element (r, c) is data[r * cols + c]. */
export interface DenseMatrix {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;
}

export function denseMatrix(rows: number, cols: number, data: Float64Array = new Float64Array(rows * cols)): DenseMatrix {
  if (data.length !== rows * cols) throw new RangeError(`A ${rows}×${cols} matrix needs ${rows * cols} values, got ${data.length}.`);
  return { rows, cols, data };
}

/** Turns rows of numbers into a DenseMatrix, checking that every row has the same length. */
export function toDenseMatrix(rows: readonly (ArrayLike<number>)[]): DenseMatrix {
  const cols = rows.length === 0 ? 0 : rows[0]!.length;
  const data = new Float64Array(rows.length * cols);
  rows.forEach((row, r) => {
    if (row.length !== cols) throw new RangeError(`Row ${r} has ${row.length} values; row 0 has ${cols}.`);
    for (let c = 0; c < cols; c++) data[r * cols + c] = row[c]!;
  });
  return { rows: rows.length, cols, data };
}

/** y = coef · x + intercept, one row of coef per output (one output for regression / binary). */
export interface LinearParams {
  readonly coef: DenseMatrix; // outputs × features
  readonly intercept: Float64Array; // outputs
}

/**
 * One decision tree as parallel arrays indexed by node; node 0 is the root.
 * Internal node i: go to left[i] if x[feature[i]] <= threshold[i], else right[i].
 * Leaf i: feature[i] = -1, left[i] = right[i] = -1; its outputs are row i of `value`.
 */
export interface TreeParams {
  readonly feature: Int32Array;
  readonly threshold: Float64Array;
  readonly left: Int32Array;
  readonly right: Int32Array;
  readonly value: DenseMatrix; // nodes × outputs (class probabilities, a regression value, or a boosting leaf weight)
}

/**
 * A tree ensemble: raw[o] = base[o] + combine_t(tree_t.value[leaf_t(x)][o]) with combine = mean
 * ("average", random forests, single trees) or sum ("sum", gradient boosting).
 */
export interface TreeEnsembleParams {
  readonly trees: readonly TreeParams[];
  readonly aggregate: "average" | "sum";
  readonly base: Float64Array; // outputs
}

/** A fully connected network: h_{l+1} = act_l(W_l h_l + b_l). */
export interface MlpLayerParams {
  readonly weights: DenseMatrix; // out × in
  readonly bias: Float64Array; // out
  readonly activation: "relu" | "identity";
}
export interface MlpParams {
  readonly layers: readonly MlpLayerParams[];
}

/**
 * A uniform affine quantizer: q = clamp(round(x / scale) + zeroPoint, qmin, qmax) with
 * [qmin, qmax] = [0, 2^bits − 1] (unsigned) or [−2^(bits−1) + 1, 2^(bits−1) − 1] (signed,
 * symmetric); x ≈ scale · (q − zeroPoint).
 */
export interface UniformQuantizer {
  readonly bits: number;
  readonly scale: number;
  readonly zeroPoint: number;
  readonly signed: boolean;
}

export function quantizerRange(q: UniformQuantizer): [number, number] {
  return q.signed ? [-(2 ** (q.bits - 1)) + 1, 2 ** (q.bits - 1) - 1] : [0, 2 ** q.bits - 1];
}

export function quantize(x: number, q: UniformQuantizer): number {
  const [lo, hi] = quantizerRange(q);
  const v = Math.round(x / q.scale) + q.zeroPoint;
  return v < lo ? lo : v > hi ? hi : v;
}

export function dequantize(v: number, q: UniformQuantizer): number {
  return q.scale * (v - q.zeroPoint);
}

/**
 * A quantization-aware-trained MLP, in the form the compiler consumes. Integer reference forward
 * (the "quantized clear" model; the FHE circuit computes exactly this, up to accumulator rounding):
 *   u_0 = quantize(x, input)                      (per-tensor input quantizer, unsigned)
 *   layer l, with input quantizer Q_l (= input for l = 0, activations[l−1] after):
 *     acc_j = Σ_i weights[j,i] · (u_i − Q_l.zeroPoint) + round(bias[j] / (Q_l.scale · weightScale[l]))
 *     hidden layer: u_{l+1,j} = quantize(max(0, Q_l.scale · weightScale[l] · acc_j), activations[l])
 *     last layer:   output_j = Q_l.scale · weightScale[l] · acc_j   (logits; argmax / softmax on the client)
 * weights are signed symmetric integers of weightBits[l] bits; activations are unsigned (zeroPoint 0).
 */
export interface QuantizedMlp {
  readonly input: UniformQuantizer;
  readonly layers: readonly {
    readonly weights: Int32Array; // out × in, row-major
    readonly rows: number; // out
    readonly cols: number; // in
    readonly weightBits: number;
    readonly weightScale: number;
    readonly bias: Float64Array; // float bias, quantized by the formula above
  }[];
  readonly activations: readonly UniformQuantizer[]; // one per hidden layer
}
