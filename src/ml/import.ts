// importOnnx: an ONNX model (parseOnnx) becomes the matching native model class, ready for
// compile(X) → predict / predictProba / scores in all three fhe modes, like a trained one.
//
//   dense network (Gemm / MatMul / Relu …)      → MLPClassifier.fromFloatNetwork (post-training
//                                                  quantization when compile(X) gives calibration)
//   LinearRegressor                             → LinearRegression
//   LinearClassifier LOGISTIC / SOFTMAX         → LogisticRegression
//   LinearClassifier NONE                       → LinearSVC (decision scores)
//   TreeEnsembleRegressor, one tree             → DecisionTreeRegressor
//   TreeEnsembleRegressor AVERAGE               → RandomForestRegressor
//   TreeEnsembleRegressor SUM                   → GradientBoostingRegressor (base_values kept)
//   TreeEnsembleClassifier NONE, probabilities  → DecisionTreeClassifier (one tree) / RandomForestClassifier
//   TreeEnsembleClassifier otherwise            → GradientBoostingClassifier (scores + base_values)
//
// Every model keeps the ONNX graph's input: raw features, no scaler to apply beforehand.
import { parseOnnx, OnnxImportError } from "./onnx.js";
import type { ImportedModel } from "./onnx.js";
import type { LinearParams, MlpParams, TreeEnsembleParams, TreeParams } from "./types.js";
import { denseMatrix } from "./types.js";
import type { FheModel } from "./model.js";
import { LinearRegression, LinearSVC, LogisticRegression } from "./models/linear.js";
import { MLPClassifier } from "./models/mlp.js";
import {
  DecisionTreeClassifier, DecisionTreeRegressor, GradientBoostingClassifier, GradientBoostingRegressor,
  RandomForestClassifier, RandomForestRegressor,
} from "./models/trees.js";
import type { ClassifierVoting, TreeOptions } from "./models/trees.js";

export interface ImportOnnxOptions {
  /** Labels of a network's output columns (default 0 … n − 1); ai.onnx.ml classifiers carry theirs. */
  classes?: number[];
  /**
   * Networks: scale each feature to [0, 1] on the calibration rows before the per-tensor input
   * quantizer, folded into the first layer (default true; false when all features share one scale).
   */
  standardize?: boolean;
  /** Tree ensembles: the tree models' options (nBits, leafBits, voting, outputMode). */
  trees?: TreeOptions & ClassifierVoting;
}

/**
 * Imports ONNX model bytes as a native model: call compile(X) on calibration rows, then predict.
 * Throws OnnxImportError (UNSUPPORTED_OPERATOR naming the operator, UNSUPPORTED_GRAPH, MALFORMED).
 */
export function importOnnx(bytes: Uint8Array, options: ImportOnnxOptions = {}): FheModel {
  return modelFromImported(parseOnnx(bytes), options);
}

/** The native model of an already parsed ONNX model (see importOnnx). */
export function modelFromImported(imported: ImportedModel, options: ImportOnnxOptions = {}): FheModel {
  switch (imported.kind) {
    case "mlp": return mlpModel(imported.params, options);
    case "linear": return imported.task === "regression" ? linearRegressor(imported.params) : linearClassifier(imported);
    case "tree-ensemble": return imported.task === "regression" ? treeRegressor(imported, options) : treeClassifier(imported, options);
  }
}

function unsupported(message: string): OnnxImportError {
  return new OnnxImportError("UNSUPPORTED_GRAPH", message);
}

// ---- networks -------------------------------------------------------------------------------

/**
 * One output column is a binary logit (Sigmoid head or none): a zero logit for class 0 in front
 * makes it two softmax columns, since softmax([0, z])[1] = σ(z). Several columns behind a Sigmoid
 * keep their argmax (σ is increasing); only predictProba then differs from the graph.
 */
function mlpModel(params: MlpParams, options: ImportOnnxOptions): MLPClassifier {
  const layers = [...params.layers];
  const last = layers[layers.length - 1]!;
  if (last.activation !== "identity") throw unsupported("The network ends in Relu; only networks ending in a linear layer (logits, Sigmoid or Softmax) can be classified.");
  if (last.weights.rows === 1) {
    const { cols, data } = last.weights;
    const weights = new Float64Array(2 * cols);
    weights.set(data, cols);
    layers[layers.length - 1] = { ...last, weights: denseMatrix(2, cols, weights), bias: Float64Array.of(0, last.bias[0]!) };
  }
  const outputs = layers[layers.length - 1]!.weights.rows;
  const classes = options.classes ?? Array.from({ length: outputs }, (_, k) => k);
  return MLPClassifier.fromFloatNetwork({ layers }, classes, options.standardize === undefined ? {} : { standardize: options.standardize });
}

// ---- linear models ----------------------------------------------------------------------------

function linearRegressor(params: LinearParams): LinearRegression {
  if (params.coef.rows !== 1) throw unsupported(`The LinearRegressor has ${params.coef.rows} targets; only one is supported.`);
  return new LinearRegression().fromCoefficients(params);
}

function linearClassifier(imported: Extract<ImportedModel, { kind: "linear" }>): LogisticRegression | LinearSVC {
  const classes = imported.classLabels!;
  const params = classes.length === 2 && imported.params.coef.rows === 2 ? differenceRow(imported.params) : imported.params;
  // LOGISTIC over several classes (one-vs-rest) keeps its argmax under softmax; SOFTMAX is softmax.
  const model = imported.postTransform === "none" ? new LinearSVC() : new LogisticRegression();
  return model.fromCoefficients(params, classes);
}

/** Two score rows [a; b] of a binary model → the one row b − a: class 1 iff b > a. */
function differenceRow({ coef, intercept }: LinearParams): LinearParams {
  const cols = coef.cols;
  const row = Float64Array.from({ length: cols }, (_, k) => coef.data[cols + k]! - coef.data[k]!);
  return { coef: denseMatrix(1, cols, row), intercept: Float64Array.of(intercept[1]! - intercept[0]!) };
}

// ---- tree ensembles ---------------------------------------------------------------------------

type ImportedTrees = Extract<ImportedModel, { kind: "tree-ensemble" }>;

function treeRegressor(imported: ImportedTrees, options: ImportOnnxOptions): FheModel {
  const { params, postTransform } = imported;
  if (params.base.length !== 1) throw unsupported(`The TreeEnsembleRegressor has ${params.base.length} targets; only one is supported.`);
  if (postTransform !== "none") throw unsupported(`The TreeEnsembleRegressor's post_transform ${postTransform.toUpperCase()} is not supported on regression values.`);
  const o = options.trees ?? {};
  const single = params.trees.length === 1 && (params.aggregate === "average" || params.base[0] === 0);
  if (single) return new DecisionTreeRegressor(o).fromTrees(params);
  if (params.aggregate === "average") return new RandomForestRegressor(o).fromTrees(params);
  return new GradientBoostingRegressor(o).fromTrees(params);
}

function treeClassifier(imported: ImportedTrees, options: ImportOnnxOptions): FheModel {
  const classes = imported.classLabels!;
  const o = options.trees ?? {};
  const probabilities = leafProbabilities(imported);
  if (probabilities) {
    return probabilities.trees.length === 1
      ? new DecisionTreeClassifier(o).fromTrees(probabilities, classes)
      : new RandomForestClassifier(o).fromTrees(probabilities, classes);
  }
  // Boosting: class 1 iff the score is positive (LOGISTIC, or NONE's [−s, s]); argmax of the
  // per-class scores otherwise — the decisions of every post-transform the importer accepts.
  return new GradientBoostingClassifier(o).fromTrees(imported.params, classes);
}

/**
 * A NONE classifier with non-negative leaves and no base holds summed class probabilities (skl2onnx
 * writes a forest's leaves divided by its number of trees T, a single tree's as they are). The
 * same ensemble with each tree's probabilities averaged, as the vote models take it; binary
 * single-score trees (P(class 1)) get the column 1 − p in front. Undefined if not of this form.
 */
function leafProbabilities(imported: ImportedTrees): TreeEnsembleParams | undefined {
  const { params } = imported;
  const T = params.trees.length;
  const values = params.trees.flatMap((t) => Array.from(t.value.data));
  if (imported.postTransform !== "none" || params.base.some((b) => b !== 0) || values.some((v) => v < 0)) return undefined;
  // Leaves already divided by T sum to at most 1 after multiplying back.
  const tolerance = 1e-6;
  const scale = values.every((v) => v * T <= 1 + tolerance) ? T : 1;
  const binary = params.base.length === 1;
  const trees = params.trees.map((tree) => (binary ? twoColumns(tree, scale) : scaleLeaves(tree, scale)));
  return { trees, aggregate: "average", base: new Float64Array(binary ? 2 : params.base.length) };
}

function scaleLeaves(tree: TreeParams, scale: number): TreeParams {
  return { ...tree, value: { ...tree.value, data: tree.value.data.map((v) => v * scale) } };
}

/** [1 − p, p] per node from the positive class's probability p = scale·value (leaves only). */
function twoColumns(tree: TreeParams, scale: number): TreeParams {
  const nodes = tree.value.rows;
  const data = new Float64Array(2 * nodes);
  for (let node = 0; node < nodes; node++) {
    if (tree.feature[node]! >= 0) continue;
    const p = scale * tree.value.data[node]!;
    data[2 * node] = 1 - p;
    data[2 * node + 1] = p;
  }
  return { ...tree, value: denseMatrix(nodes, 2, data) };
}
