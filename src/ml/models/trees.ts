// Tree models: DecisionTreeClassifier / Regressor, RandomForestClassifier / Regressor,
// GradientBoostingClassifier / Regressor. They compile to two bootstrap layers, as concrete-ml's
// tree-to-tensor (Hummingbird GEMM) form:
//
//   q ─ lookup ─ e ─ linear ─ s ─ lookup ─ a ─ linear ─ scores
//
//  1. q: the features, each quantized to nBits (default 5) on its training min/max. The trees are
//     FIT ON THESE INTEGERS (thresholds then normalized to k + ½), so the comparisons are exact;
//     a second ensemble fit on the raw floats with the same options is the float baseline.
//     Trees given by fromTrees (e.g. imported from ONNX) are that float baseline; compile(X)
//     quantizes the features on X and moves each threshold onto the half-integer grid instead.
//  2. e_j = [q_f > t] for every distinct (feature f, threshold t) of the whole ensemble (exact
//     lookups, one bootstrap each, one table per distinct threshold). "Goes right" rather than
//     "goes left" keeps f(0) = 0, so the compiler's guaranteed range of e is [0, 1], not [−1, 1].
//  3. s_ℓ = Σ over the nodes on leaf ℓ's path of (1 − e_j if the path goes left, e_j if right):
//     s_ℓ ∈ [0, depth ℓ], and s_ℓ = depth ℓ iff the row reaches ℓ.
//  4. a_ℓ = f(s_ℓ) = v_ℓ if s_ℓ = depth ℓ else 0 (exact lookups on ⌈log2(maxDepth + 1)⌉ bits): the
//     leaf's integer value folded into the table when the leaf feeds one output (regression,
//     boosting, hard votes), else 1 and the value goes into the next linear map (soft votes).
//  5. scores_o = Σ_ℓ W_oℓ·a_ℓ + bias_o; the client applies scale and offset (and argmax, sigmoid,
//     softmax or identity).
// Leaf values: classifiers' trees vote ("hard": one vote for the leaf's majority class, the
// default of a single tree; "soft": the leaf's class probabilities on leafBits bits, the default
// of forests); regressors and boosting quantize the leaf values with one scale shared by the
// ensemble (the output scale undoes it, the offset adds the ensemble's base).
// Savings: a subtree whose leaves hold equal integer values is one leaf (siblings voting alike);
// each single-output tree is shifted by the median of its integer leaf values (into the bias), so
// its leaves at the median cost no bootstrap and the output's guaranteed range is narrowest; only
// comparisons on the paths of the remaining leaves enter the circuit.
// Output decoding is exact when it fits at the target p_fail, else "approximate" (compile()
// tries exact, then approximate, on each parameter set, cheapest first).
import type { DenseMatrix, TreeEnsembleParams, TreeParams } from "../types.js";
import { denseMatrix } from "../types.js";
import { fitDecisionTree, fitRandomForest, fitGradientBoosting, predictEnsemble } from "../train/tree.js";
import type { MaxFeatures } from "../train/tree.js";
import { FheModel, asMatrix, quantizeRows } from "../model.js";
import type { BuiltCircuit, InputTransform, ModelCompileOptions, OutputTransform, Rows } from "../model.js";
import type { Graph, GraphNode } from "../circuit.js";
import { DEFAULT_CANDIDATES } from "../compile.js";
import { CompileError, ModelStateError } from "../errors.js";
import { labelIndices } from "./labels.js";

/** Options every tree model takes (scikit-learn names, camelCased). */
export interface TreeOptions {
  /** Maximum tree depth (default: unlimited for single trees, 4 for forests, 3 for boosting). */
  maxDepth?: number;
  minSamplesLeaf?: number;
  minSamplesSplit?: number;
  /** Features examined per split (default all; forest classifiers "sqrt"). */
  maxFeatures?: MaxFeatures;
  /** Bits of each quantized input feature (default 5). Fixed at fit(): the trees are fit on them. */
  nBits?: number;
  /** Bits of the quantized leaf values (regression, boosting, soft votes); default 5 (soft votes 3). */
  leafBits?: number;
  /** Output decoding: "auto" (default: exact if it fits, else approximate), "exact" or "approximate". */
  outputMode?: "auto" | "exact" | "approximate";
}

export interface ForestOptions extends TreeOptions {
  /** Number of trees (default 20). */
  nEstimators?: number;
  /** Seed of the bootstrap samples and feature draws (default 0). */
  seed?: number;
  /** Bootstrap samples per tree (default true). */
  bootstrap?: boolean;
}

export interface BoostingOptions extends TreeOptions {
  /** Boosting rounds (default 20; multiclass: one tree per class per round). */
  nEstimators?: number;
  /** Shrinkage (default 0.1). */
  learningRate?: number;
  /** Fraction of rows per round (default 1). */
  subsample?: number;
  seed?: number;
}

export interface ClassifierVoting {
  /**
   * How classifier trees vote: "hard" (one vote per tree for its leaf's majority class: the
   * default of a single tree, whose decision it does not change) or "soft" (the leaf's class
   * probabilities on leafBits bits, default 3: the default of forests, which average
   * probabilities as scikit-learn; hard votes of a few trees over many classes tie too often).
   */
  voting?: "hard" | "soft";
}

/** The integer model the circuit computes, for inspection and clear references. */
export interface QuantizedTreeModel {
  /** The client's float → integer feature map (also the trees' training features). */
  readonly input: InputTransform;
  /** The ensemble fit on the quantized features (float leaf values). */
  readonly ensemble: TreeEnsembleParams;
  /** Per tree: integer leaf values (nodes × outputs; internal nodes 0). */
  readonly leafValues: readonly DenseMatrix[];
  /** score_o = scale·Σ_t leafValues[t][leaf_t, o] + offset[o]. */
  readonly scale: number;
  readonly offset: Float64Array;
}

const DEFAULT_INPUT_BITS = 5;
const DEFAULT_LEAF_BITS = 5;
const DEFAULT_SOFT_VOTE_BITS = 3;

type Target = { task: "classification"; indices: Int32Array; nClasses: number } | { task: "regression"; values: Float64Array };

abstract class TreeModel extends FheModel {
  protected abstract readonly leafKind: "votes" | "values";
  /** Classifiers: the voting used when the options name none. */
  protected defaultVoting: "hard" | "soft" = "hard";
  private quantizedEnsemble?: TreeEnsembleParams;
  private floatEnsemble?: TreeEnsembleParams;
  private input?: InputTransform;
  private modeOfNextBuild: "exact" | "approximate" = "exact";
  /** Trees on raw features given to fromTrees(): compile(X) quantizes them on X. */
  private importedEnsemble?: TreeEnsembleParams;
  /** Bits of the features the quantized ensemble reads. */
  private featureBits?: number;

  constructor(protected readonly options: TreeOptions & ClassifierVoting) {
    super();
  }

  /** Trains one ensemble (called twice: on the quantized features and on the raw floats). */
  protected abstract train(X: DenseMatrix, target: Target): TreeEnsembleParams;

  fit(X: Rows, y: ArrayLike<number>): this {
    const matrix = asMatrix(X);
    if (matrix.rows === 0) throw new ModelStateError(`${this.modelName} needs at least one training row.`);
    if (y.length !== matrix.rows) throw new ModelStateError(`X has ${matrix.rows} rows but y has ${y.length} values.`);
    let target: Target;
    if (this.task === "classification") {
      const { indices, classes } = labelIndices(y);
      this.classes = classes;
      target = { task: "classification", indices, nClasses: classes.length };
    } else {
      target = { task: "regression", values: Float64Array.from(y as ArrayLike<number>) };
    }
    const bits = this.inputBits();
    this.importedEnsemble = undefined;
    this.featureBits = bits;
    this.input = featureQuantizer(matrix, bits);
    const q = quantizeRows(this.input, matrix);
    const Xq = denseMatrix(matrix.rows, matrix.cols, new Float64Array(matrix.rows * matrix.cols));
    q.forEach((row, r) => Xq.data.set(row, r * matrix.cols));
    this.quantizedEnsemble = onHalfIntegers(this.train(Xq, target));
    this.floatEnsemble = this.train(matrix, target);
    this.compiled = undefined;
    return this;
  }

  /**
   * Uses given trees on the raw features (e.g. imported from ONNX) instead of fit(). compile(X)
   * quantizes each feature to nBits (compile's nBits, else the constructor's) on X's range and
   * moves each threshold to the nearest half-integer of the quantized scale, so a row goes where
   * the float trees send it unless a feature lies within half a quantization step of a threshold.
   * `classes`: a classifier's labels in output order. Single trees and forests (leafKind "votes")
   * need one class-probability column per class; boosting one score column per class, or one for
   * two classes (the positive class's logit).
   */
  fromTrees(ensemble: TreeEnsembleParams, classes?: number[]): this {
    const outputs = ensemble.base.length;
    if (ensemble.trees.length === 0) throw new ModelStateError(`${this.modelName} needs at least one tree.`);
    if (ensemble.trees.some((t) => t.value.cols !== outputs)) throw new ModelStateError(`Every tree must have ${outputs} output columns (the length of base).`);
    if (this.task === "regression") {
      if (outputs !== 1 || classes) throw new ModelStateError(`${this.modelName} takes one output column and no classes.`);
    } else {
      const n = classes?.length ?? 0;
      const binaryScore = this.leafKind === "values" && outputs === 1 && n === 2;
      if (n < 2 || (outputs !== n && !binaryScore)) throw new ModelStateError(`${this.modelName}: ${outputs} output columns do not fit ${n} classes.`);
      this.classes = [...classes!];
    }
    this.importedEnsemble = ensemble;
    this.floatEnsemble = ensemble;
    this.quantizedEnsemble = undefined;
    this.input = undefined;
    this.compiled = undefined;
    return this;
  }

  /** Quantizes the features on X and the imported trees' thresholds with them. */
  private quantizeImported(ensemble: TreeEnsembleParams, X: DenseMatrix, bits: number): void {
    if (X.rows === 0) throw new ModelStateError(`${this.modelName} needs at least one calibration row.`);
    const input = featureQuantizer(X, bits);
    const lows = Float64Array.from({ length: X.cols }, (_, c) => X.data[c]!);
    for (let k = 0; k < X.data.length; k++) lows[k % X.cols] = Math.min(lows[k % X.cols]!, X.data[k]!);
    this.input = input;
    this.featureBits = bits;
    this.quantizedEnsemble = {
      ...ensemble,
      trees: ensemble.trees.map((tree) => ({
        ...tree,
        threshold: tree.threshold.map((t, node) => {
          const f = tree.feature[node]!;
          return f >= 0 ? integerThreshold(t, input.scale[f]!, input.offset[f]!, lows[f]!, input) : t;
        }),
      })),
    };
  }

  floatScores(X: Rows): Float64Array[] {
    if (!this.floatEnsemble) throw new ModelStateError(`${this.modelName} is not fitted: call fit(X, y) first.`);
    const out = predictEnsemble(this.floatEnsemble, asMatrix(X));
    return Array.from({ length: out.rows }, (_, r) => out.data.slice(r * out.cols, (r + 1) * out.cols));
  }

  /** The ensemble fit on the raw float features (the float baseline). */
  get floatModel(): TreeEnsembleParams {
    return this.trained().float;
  }

  /** The integer model the circuit computes: quantizer, trees on integer features, integer leaves. */
  quantizedModel(options: { leafBits?: number } = {}): QuantizedTreeModel {
    const { quantized, input } = this.trained();
    const leaves = this.encodeLeaves(quantized, options.leafBits ?? this.leafBits());
    return { input, ensemble: quantized, leafValues: leaves.values, scale: leaves.scale, offset: leaves.offset };
  }

  /**
   * Compiles on each candidate set, cheapest first: exact output decoding, else (outputMode
   * "auto") approximate on the same set.
   *
   * The output range: the compiler bounds a linear map by interval arithmetic, which cannot see
   * that each tree reaches exactly one leaf (for T trees of L leaves it bounds the votes by ~L·T/2
   * instead of T). The range that holds for every input is [Σ_t min_ℓ v_tℓ, Σ_t max_ℓ v_tℓ]; unless
   * options.rangeMargin is given, the margin is chosen so that the compiler's widened calibrated
   * range covers it (calibration gets two extra rows, all features at their minimum and maximum),
   * and the compiled range is checked to cover it (else recompiled on the interval bound).
   */
  override compile(X: Rows, options: ModelCompileOptions = {}): this {
    const given = asMatrix(X);
    if (this.importedEnsemble) this.quantizeImported(this.importedEnsemble, given, this.inputBits(requestedInputBits(options)));
    const { input } = this.trained();
    const d = given.cols;
    const data = new Float64Array((given.rows + 2) * d);
    data.set(given.data);
    for (let c = 0; c < d; c++) {
      const s = input.scale[c]!, o = input.offset[c]!;
      data[given.rows * d + c] = s !== 0 ? (input.lo - o) / s : 0;
      data[(given.rows + 1) * d + c] = s !== 0 ? (input.hi - o) / s : 0;
    }
    const matrix = denseMatrix(given.rows + 2, d, data);
    const bound = this.outputBound(matrix, options);
    const sets = options.parameterSets ?? DEFAULT_CANDIDATES;
    const wanted = this.options.outputMode ?? "auto";
    const modes: ("exact" | "approximate")[] = wanted === "auto" ? ["exact", "approximate"] : [wanted];
    const failures: string[] = [];
    for (const set of sets) {
      for (const mode of modes) {
        this.modeOfNextBuild = mode;
        try {
          super.compile(matrix, { ...options, rangeMargin: options.rangeMargin ?? bound.margin, parameterSets: [set] });
          const enc = this.circuit.encodings[this.circuit.encodings.length - 1]!;
          if (options.rangeMargin === undefined && (enc.lo > bound.lo || enc.hi < bound.hi)) {
            super.compile(matrix, { ...options, rangeMargin: 1e6, parameterSets: [set] });
          }
          return this;
        } catch (error) {
          if (!(error instanceof CompileError)) throw error;
          failures.push(`${mode} output: ${error.message.replace(/^No parameter set fits this circuit\.\n\s*/, "")}`);
        }
      }
    }
    throw new CompileError(`No parameter set fits this ${this.modelName}.\n  ${failures.join("\n  ")}`);
  }

  /** The output range every input stays in, and the compile margin that covers it from calibration. */
  private outputBound(X: DenseMatrix, options: ModelCompileOptions): { lo: number; hi: number; margin: number } {
    const { quantized, input } = this.trained();
    const leaves = this.encodeLeaves(quantized, this.compileLeafBits(options)).values;
    const outputs = quantized.base.length;
    const sumLo = new Float64Array(outputs), sumHi = new Float64Array(outputs);
    quantized.trees.forEach((tree, t) => {
      for (let o = 0; o < outputs; o++) {
        let lo = Infinity, hi = -Infinity;
        for (let node = 0; node < tree.value.rows; node++) {
          if (!isLeaf(tree, node)) continue;
          const v = leaves[t]!.data[node * outputs + o]!;
          lo = Math.min(lo, v);
          hi = Math.max(hi, v);
        }
        sumLo[o] = sumLo[o]! + lo;
        sumHi[o] = sumHi[o]! + hi;
      }
    });
    const lo = Math.min(...sumLo), hi = Math.max(...sumHi);
    let olo = Infinity, ohi = -Infinity;
    for (const row of quantizeRows(input, X)) {
      const sums = new Float64Array(outputs);
      quantized.trees.forEach((tree, t) => {
        const leaf = leafOf(tree, row);
        for (let o = 0; o < outputs; o++) sums[o] = sums[o]! + leaves[t]!.data[leaf * outputs + o]!;
      });
      for (const v of sums) { olo = Math.min(olo, v); ohi = Math.max(ohi, v); }
    }
    // the compiler widens the calibrated range by ⌈(ohi − olo)·margin⌉ + 1 on each side
    const needed = Math.max(olo - lo, hi - ohi, 1);
    return { lo, hi, margin: ohi > olo ? (needed - 1) / (ohi - olo) : 1e6 };
  }

  protected buildCircuit(_X: DenseMatrix, options: ModelCompileOptions): BuiltCircuit {
    const { quantized, input } = this.trained();
    const inputBits = requestedInputBits(options);
    if (inputBits !== undefined && inputBits !== this.featureBits) {
      throw new ModelStateError(`${this.modelName} was fit on ${this.featureBits}-bit features; set nBits in the constructor and fit again to change it.`);
    }
    const leaves = this.encodeLeaves(quantized, this.compileLeafBits(options));
    const graph = treeGraph(quantized, leaves.values, input, this.modeOfNextBuild);
    const output: OutputTransform = { scale: leaves.scale, offset: leaves.offset, kind: this.outputKind(), classes: this.classes };
    return { graph, input, output };
  }

  protected floatOutputKind(): OutputTransform["kind"] {
    return this.outputKind();
  }

  protected outputKind(): OutputTransform["kind"] {
    return this.task === "regression" ? "identity" : "argmax";
  }

  private encodeLeaves(ensemble: TreeEnsembleParams, leafBits: number): LeafEncoding {
    if (this.leafKind === "votes") {
      return this.voting() === "soft" ? softVotes(ensemble, leafBits) : hardVotes(ensemble);
    }
    return quantizeLeafValues(ensemble, leafBits);
  }

  /** Leaf bits: compile's nBits.weights if given, else the constructor's leafBits. */
  private compileLeafBits(options: ModelCompileOptions): number {
    return (typeof options.nBits === "object" ? options.nBits.weights : undefined) ?? this.leafBits();
  }

  private voting(): "hard" | "soft" {
    return this.options.voting ?? this.defaultVoting;
  }

  /** The feature bits: `requested` (compile's nBits, imported trees only), else the constructor's. */
  private inputBits(requested?: number): number {
    const bits = requested ?? this.options.nBits ?? DEFAULT_INPUT_BITS;
    if (!Number.isInteger(bits) || bits < 1 || bits > 16) throw new ModelStateError(`nBits must be an integer in [1, 16], got ${bits}.`);
    return bits;
  }

  private leafBits(): number {
    const bits = this.options.leafBits ?? (this.leafKind === "votes" && this.voting() === "soft" ? DEFAULT_SOFT_VOTE_BITS : DEFAULT_LEAF_BITS);
    if (!Number.isInteger(bits) || bits < 2 || bits > 24) throw new ModelStateError(`leafBits must be an integer in [2, 24], got ${bits}.`);
    return bits;
  }

  private trained(): { quantized: TreeEnsembleParams; float: TreeEnsembleParams; input: InputTransform } {
    if (!this.quantizedEnsemble || !this.floatEnsemble || !this.input) throw new ModelStateError(`${this.modelName} is not fitted: call fit(X, y) first.`);
    return { quantized: this.quantizedEnsemble, float: this.floatEnsemble, input: this.input };
  }
}

/** Input bits named by compile's nBits (a number, or its `inputs`), if any. */
function requestedInputBits(options: ModelCompileOptions): number | undefined {
  return typeof options.nBits === "number" ? options.nBits : options.nBits?.inputs;
}

/**
 * The half-integer threshold on q = clamp(round(x·scale + offset), lo, hi) nearest to x <= t:
 * q <= ⌊t·scale + offset⌋ + ½. Thresholds outside the range clamp to lo − ½ (every row goes
 * right) or hi + ½ (left); on a constant feature (scale 0) the calibration value decides.
 */
function integerThreshold(t: number, scale: number, offset: number, low: number, input: InputTransform): number {
  if (scale === 0) return low <= t ? input.hi + 0.5 : input.lo - 0.5;
  const z = Math.min(Math.max(t * scale + offset, input.lo - 0.5), input.hi + 0.5);
  return Math.floor(z) + 0.5;
}

// ---- the six models ----------------------------------------------------------------------

function single(tree: TreeParams): TreeEnsembleParams {
  return { trees: [tree], aggregate: "average", base: new Float64Array(tree.value.cols) };
}

function growth(o: TreeOptions) {
  return { maxDepth: o.maxDepth, minSamplesLeaf: o.minSamplesLeaf, minSamplesSplit: o.minSamplesSplit, maxFeatures: o.maxFeatures };
}

export class DecisionTreeClassifier extends TreeModel {
  readonly modelName = "DecisionTreeClassifier";
  readonly task = "classification" as const;
  protected readonly leafKind = "votes" as const;
  constructor(options: TreeOptions & ClassifierVoting = {}) {
    super(options);
  }
  protected train(X: DenseMatrix, target: Target): TreeEnsembleParams {
    if (target.task !== "classification") throw new ModelStateError("internal: classifier without classes");
    return single(fitDecisionTree(X, target.indices, { task: "classification", nClasses: target.nClasses, ...growth(this.options) }));
  }
}

export class DecisionTreeRegressor extends TreeModel {
  readonly modelName = "DecisionTreeRegressor";
  readonly task = "regression" as const;
  protected readonly leafKind = "values" as const;
  constructor(options: TreeOptions = {}) {
    super(options);
  }
  protected train(X: DenseMatrix, target: Target): TreeEnsembleParams {
    if (target.task !== "regression") throw new ModelStateError("internal: regressor with classes");
    return single(fitDecisionTree(X, target.values, { task: "regression", ...growth(this.options) }));
  }
}

export class RandomForestClassifier extends TreeModel {
  readonly modelName = "RandomForestClassifier";
  readonly task = "classification" as const;
  protected readonly leafKind = "votes" as const;
  protected override defaultVoting = "soft" as const;
  constructor(protected override readonly options: ForestOptions & ClassifierVoting = {}) {
    super(options);
  }
  protected train(X: DenseMatrix, target: Target): TreeEnsembleParams {
    if (target.task !== "classification") throw new ModelStateError("internal: classifier without classes");
    const o = this.options;
    return fitRandomForest(X, target.indices, {
      task: "classification", nClasses: target.nClasses, ...growth(o), maxDepth: o.maxDepth ?? 4,
      nEstimators: o.nEstimators ?? 20, seed: o.seed ?? 0, bootstrap: o.bootstrap,
    });
  }
}

export class RandomForestRegressor extends TreeModel {
  readonly modelName = "RandomForestRegressor";
  readonly task = "regression" as const;
  protected readonly leafKind = "values" as const;
  constructor(protected override readonly options: ForestOptions = {}) {
    super(options);
  }
  protected train(X: DenseMatrix, target: Target): TreeEnsembleParams {
    if (target.task !== "regression") throw new ModelStateError("internal: regressor with classes");
    const o = this.options;
    return fitRandomForest(X, target.values, {
      task: "regression", ...growth(o), maxDepth: o.maxDepth ?? 4, nEstimators: o.nEstimators ?? 20, seed: o.seed ?? 0, bootstrap: o.bootstrap,
    });
  }
}

export class GradientBoostingClassifier extends TreeModel {
  readonly modelName = "GradientBoostingClassifier";
  readonly task = "classification" as const;
  protected readonly leafKind = "values" as const;
  constructor(protected override readonly options: BoostingOptions = {}) {
    super(options);
  }
  protected train(X: DenseMatrix, target: Target): TreeEnsembleParams {
    if (target.task !== "classification") throw new ModelStateError("internal: classifier without classes");
    const o = this.options;
    return fitGradientBoosting(X, target.indices, {
      task: "classification", nClasses: target.nClasses, ...growth(o), maxDepth: o.maxDepth ?? 3,
      nEstimators: o.nEstimators ?? 20, learningRate: o.learningRate ?? 0.1, subsample: o.subsample, seed: o.seed ?? 0,
    });
  }
  protected override outputKind(): OutputTransform["kind"] {
    return (this.classes?.length ?? 2) > 2 ? "softmax" : "sigmoid";
  }
}

export class GradientBoostingRegressor extends TreeModel {
  readonly modelName = "GradientBoostingRegressor";
  readonly task = "regression" as const;
  protected readonly leafKind = "values" as const;
  constructor(protected override readonly options: BoostingOptions = {}) {
    super(options);
  }
  protected train(X: DenseMatrix, target: Target): TreeEnsembleParams {
    if (target.task !== "regression") throw new ModelStateError("internal: regressor with classes");
    const o = this.options;
    return fitGradientBoosting(X, target.values, {
      task: "regression", ...growth(o), maxDepth: o.maxDepth ?? 3,
      nEstimators: o.nEstimators ?? 20, learningRate: o.learningRate ?? 0.1, subsample: o.subsample, seed: o.seed ?? 0,
    });
  }
}

// ---- quantization -----------------------------------------------------------------------

/** q = round((x − min)/step) on [0, 2^bits − 1], per feature (a constant feature maps to 0). */
export function featureQuantizer(X: DenseMatrix, bits: number): InputTransform {
  const d = X.cols, levels = 2 ** bits - 1;
  const lo = new Float64Array(d).fill(Infinity), hi = new Float64Array(d).fill(-Infinity);
  for (let r = 0; r < X.rows; r++) {
    for (let c = 0; c < d; c++) {
      const v = X.data[r * d + c]!;
      if (!Number.isFinite(v)) throw new ModelStateError(`Row ${r}, feature ${c} is not a finite number (${v}).`);
      if (v < lo[c]!) lo[c] = v;
      if (v > hi[c]!) hi[c] = v;
    }
  }
  const scale = lo.map((l, c) => (hi[c]! > l ? levels / (hi[c]! - l) : 0));
  const offset = lo.map((l, c) => -l * scale[c]!);
  return { scale, offset, lo: 0, hi: levels };
}

interface LeafEncoding {
  /** Per tree: nodes × outputs integer leaf values (internal nodes 0). */
  readonly values: DenseMatrix[];
  readonly scale: number;
  readonly offset: Float64Array;
}

function isLeaf(tree: TreeParams, node: number): boolean {
  return tree.feature[node]! < 0;
}

/**
 * The same ensemble with every threshold moved to ⌊t⌋ + ½: identical on integer inputs (a split
 * midway between q = 19 and q = 21 sits at 20, i.e. q <= 20.5), and equal comparisons of
 * different trees become one comparison in the circuit.
 */
function onHalfIntegers(ensemble: TreeEnsembleParams): TreeEnsembleParams {
  return {
    ...ensemble,
    trees: ensemble.trees.map((tree) => ({
      ...tree,
      threshold: tree.threshold.map((t, node) => (tree.feature[node]! >= 0 ? Math.floor(t) + 0.5 : t)),
    })),
  };
}

/** The leaf a (quantized) row reaches. */
function leafOf(tree: TreeParams, row: ArrayLike<number>): number {
  let node = 0;
  while (!isLeaf(tree, node)) node = row[tree.feature[node]!]! <= tree.threshold[node]! ? tree.left[node]! : tree.right[node]!;
  return node;
}

/** One vote per tree for its leaf's majority class (ties: the lowest class); scores are vote shares. */
function hardVotes(ensemble: TreeEnsembleParams): LeafEncoding {
  const outputs = ensemble.base.length;
  const values = ensemble.trees.map((tree) => {
    const out = denseMatrix(tree.value.rows, outputs);
    for (let node = 0; node < tree.value.rows; node++) {
      if (!isLeaf(tree, node)) continue;
      const row = tree.value.data.subarray(node * outputs, (node + 1) * outputs);
      let best = 0;
      for (let o = 1; o < outputs; o++) if (row[o]! > row[best]!) best = o;
      out.data[node * outputs + best] = 1;
    }
    return out;
  });
  return { values, scale: 1 / Math.max(1, ensemble.trees.length), offset: new Float64Array(outputs) };
}

/** Leaf class probabilities on `bits` bits: round(p·(2^bits − 1)); scores ≈ mean probabilities. */
function softVotes(ensemble: TreeEnsembleParams, bits: number): LeafEncoding {
  const outputs = ensemble.base.length, levels = 2 ** bits - 1;
  const values = ensemble.trees.map((tree) => {
    const out = denseMatrix(tree.value.rows, outputs);
    for (let node = 0; node < tree.value.rows; node++) {
      if (!isLeaf(tree, node)) continue;
      for (let o = 0; o < outputs; o++) out.data[node * outputs + o] = Math.round(tree.value.data[node * outputs + o]! * levels);
    }
    return out;
  });
  return { values, scale: 1 / (levels * Math.max(1, ensemble.trees.length)), offset: new Float64Array(outputs) };
}

/**
 * Leaf values v (of the trees that write output o) ≈ c_o + s·q with c_o the midpoint of their
 * range and one scale s for the ensemble, q ∈ [−(2^(bits−1) − 1), 2^(bits−1) − 1]. Then
 * score_o = agg·Σ_t v_t + base_o = agg·s·Σ_t q_t + base_o + agg·n_o·c_o (agg = 1/T or 1).
 */
function quantizeLeafValues(ensemble: TreeEnsembleParams, bits: number): LeafEncoding {
  const outputs = ensemble.base.length;
  const { trees } = ensemble;
  const writes = trees.map((tree) => {
    const w = new Uint8Array(outputs);
    for (let node = 0; node < tree.value.rows; node++) {
      if (!isLeaf(tree, node)) continue;
      for (let o = 0; o < outputs; o++) if (tree.value.data[node * outputs + o] !== 0) w[o] = 1;
    }
    return w;
  });
  const lo = new Float64Array(outputs).fill(Infinity), hi = new Float64Array(outputs).fill(-Infinity);
  trees.forEach((tree, t) => {
    for (let node = 0; node < tree.value.rows; node++) {
      if (!isLeaf(tree, node)) continue;
      for (let o = 0; o < outputs; o++) {
        if (!writes[t]![o]) continue;
        const v = tree.value.data[node * outputs + o]!;
        if (v < lo[o]!) lo[o] = v;
        if (v > hi[o]!) hi[o] = v;
      }
    }
  });
  const center = lo.map((l, o) => (l <= hi[o]! ? (l + hi[o]!) / 2 : 0));
  let maxDev = 0;
  for (let o = 0; o < outputs; o++) if (lo[o]! <= hi[o]!) maxDev = Math.max(maxDev, (hi[o]! - lo[o]!) / 2);
  const levels = 2 ** (bits - 1) - 1;
  const s = maxDev > 0 ? maxDev / levels : 1;
  const values = trees.map((tree, t) => {
    const out = denseMatrix(tree.value.rows, outputs);
    for (let node = 0; node < tree.value.rows; node++) {
      if (!isLeaf(tree, node)) continue;
      for (let o = 0; o < outputs; o++) {
        if (writes[t]![o]) out.data[node * outputs + o] = Math.round((tree.value.data[node * outputs + o]! - center[o]!) / s);
      }
    }
    return out;
  });
  const agg = ensemble.aggregate === "average" ? 1 / Math.max(1, trees.length) : 1;
  const offset = Float64Array.from(ensemble.base, (b, o) => {
    let n = 0;
    for (const w of writes) n += w[o]!;
    return b + agg * n * center[o]!;
  });
  return { values, scale: agg * s, offset };
}

// ---- the circuit ---------------------------------------------------------------------------

interface LeafElement {
  /** (comparison index, goes left) per node of the path. */
  readonly path: readonly (readonly [number, boolean])[];
  /** Table value at s = depth. */
  readonly tableValue: number;
  /** Output weights of this element (outputs long). */
  readonly weights: Int32Array;
}

/** The five-node graph of the file comment, from trees on integer features and integer leaves. */
export function treeGraph(ensemble: TreeEnsembleParams, leafValues: readonly DenseMatrix[], input: InputTransform, outputMode: "exact" | "approximate"): Graph {
  const features = input.scale.length;
  const outputs = ensemble.base.length;
  const bias = new Float64Array(outputs);
  const comparisons = new Map<string, { index: number; feature: number; threshold: number }>();
  const elements: LeafElement[] = [];
  const compare = (feature: number, threshold: number): number => {
    const key = `${feature}|${threshold}`;
    let c = comparisons.get(key);
    if (!c) {
      c = { index: comparisons.size, feature, threshold };
      comparisons.set(key, c);
    }
    return c.index;
  };

  ensemble.trees.forEach((tree, t) => {
    const values = leafValues[t]!;
    const leaves: { node: number; path: [number, boolean][] }[] = []; // path: (tree node, goes left)
    const row = (node: number) => values.data.subarray(node * outputs, (node + 1) * outputs);
    // A subtree whose leaves all hold the same integer values is one leaf (e.g. siblings voting alike).
    const uniform = new Map<number, string | null>();
    const uniformKey = (node: number): string | null => {
      let key = uniform.get(node);
      if (key !== undefined) return key;
      if (isLeaf(tree, node)) key = row(node).join(",");
      else {
        const left = uniformKey(tree.left[node]!);
        key = left !== null && left === uniformKey(tree.right[node]!) ? left : null;
      }
      uniform.set(node, key);
      return key;
    };
    const walk = (node: number, path: [number, boolean][]): void => {
      if (uniformKey(node) !== null) {
        let leaf = node;
        while (!isLeaf(tree, leaf)) leaf = tree.left[leaf]!;
        leaves.push({ node: leaf, path });
        return;
      }
      const f = tree.feature[node]!, th = tree.threshold[node]!;
      if (!(f >= 0 && f < features)) throw new ModelStateError(`A tree splits on feature ${f}; the model has ${features}.`);
      walk(tree.left[node]!, [...path, [node, true]]);
      walk(tree.right[node]!, [...path, [node, false]]);
    };
    walk(0, []);
    // A tree writing one output only is shifted by the median of its leaf values there.
    const columns = new Set<number>();
    for (const { node } of leaves) row(node).forEach((v, o) => { if (v !== 0) columns.add(o); });
    const shift = new Int32Array(outputs);
    if (columns.size === 1) {
      const o = [...columns][0]!;
      const sorted = leaves.map(({ node }) => row(node)[o]!).sort((a, b) => a - b);
      shift[o] = sorted[(sorted.length - 1) >> 1]!;
    }
    for (let o = 0; o < outputs; o++) bias[o] = bias[o]! + shift[o]!;
    for (const { node, path } of leaves) {
      const v = Int32Array.from(row(node), (x, o) => x - shift[o]!);
      const nonzero = v.reduce((n, x) => n + (x !== 0 ? 1 : 0), 0);
      if (nonzero === 0) continue;
      if (path.length === 0) {
        // a single-leaf tree: a constant
        for (let o = 0; o < outputs; o++) bias[o] = bias[o]! + v[o]!;
        continue;
      }
      // only the comparisons on the paths of kept leaves enter the circuit
      const resolved = path.map(([at, left]) => [compare(tree.feature[at]!, tree.threshold[at]!), left] as const);
      if (nonzero === 1) {
        const o = v.findIndex((x) => x !== 0);
        const weights = new Int32Array(outputs);
        weights[o] = 1;
        elements.push({ path: resolved, tableValue: v[o]!, weights });
      } else {
        elements.push({ path: resolved, tableValue: 1, weights: v });
      }
    }
  });

  const inputNode: GraphNode = { op: "input", size: features, lo: input.lo, hi: input.hi };
  if (elements.length === 0) {
    // every tree is constant: a leveled circuit that ignores its input
    return {
      outputMode: "exact",
      nodes: [inputNode, { op: "linear", input: 0, rows: outputs, cols: features, weights: new Int32Array(outputs * features), bias }],
    };
  }

  // 1. comparisons e_j = [q_f > t], one table per distinct threshold
  const comps = [...comparisons.values()];
  const thresholdIndex = new Map<number, number>();
  const compareFunctions: ((v: number) => number)[] = [];
  const compareTable = Int32Array.from(comps, ({ threshold }) => {
    let k = thresholdIndex.get(threshold);
    if (k === undefined) {
      k = compareFunctions.length;
      thresholdIndex.set(threshold, k);
      compareFunctions.push((v: number) => (v > threshold ? 1 : 0));
    }
    return k;
  });
  // 2. path sums s_ℓ
  const m = elements.length, n = comps.length;
  const pathWeights = new Int32Array(m * n);
  const pathBias = new Float64Array(m);
  elements.forEach(({ path }, l) => {
    for (const [j, left] of path) {
      if (left) {
        pathWeights[l * n + j] = pathWeights[l * n + j]! - 1;
        pathBias[l] = pathBias[l]! + 1;
      } else {
        pathWeights[l * n + j] = pathWeights[l * n + j]! + 1;
      }
    }
  });
  // 3. leaf tables: value at s = depth, else 0
  const leafIndex = new Map<string, number>();
  const leafFunctions: ((s: number) => number)[] = [];
  const leafTable = Int32Array.from(elements, ({ path, tableValue }) => {
    const depth = path.length;
    const key = `${depth}|${tableValue}`;
    let k = leafIndex.get(key);
    if (k === undefined) {
      k = leafFunctions.length;
      leafIndex.set(key, k);
      leafFunctions.push((s: number) => (s === depth ? tableValue : 0));
    }
    return k;
  });
  // 4. outputs
  const outWeights = new Int32Array(outputs * m);
  elements.forEach(({ weights }, l) => weights.forEach((w, o) => { outWeights[o * m + l] = w; }));

  return {
    outputMode,
    nodes: [
      inputNode,
      { op: "lookup", input: 0, mode: "exact", source: Int32Array.from(comps, (c) => c.feature), table: compareTable, functions: compareFunctions },
      { op: "linear", input: 1, rows: m, cols: n, weights: pathWeights, bias: pathBias },
      { op: "lookup", input: 2, mode: "exact", source: Int32Array.from({ length: m }, (_, l) => l), table: leafTable, functions: leafFunctions },
      { op: "linear", input: 3, rows: outputs, cols: m, weights: outWeights, bias },
    ],
  };
}
