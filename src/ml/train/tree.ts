// Float trainers of tree models (scikit-learn-like): CART decision trees (gini / squared error),
// random forests, and gradient boosting with Newton leaf values. They return the shared
// TreeParams / TreeEnsembleParams of ../types.ts.
//
// Split search is exact, as in scikit-learn: every feature is argsorted once (shared by all the
// trees of an ensemble), and every node owns one contiguous range of each feature's sorted sample
// list. Splitting a node stably partitions those ranges, so each node scans its samples in sorted
// order without sorting again: O(rows × features) per tree level.

import { denseMatrix, type DenseMatrix, type TreeEnsembleParams, type TreeParams } from "../types.js";
import { checkClassIndices, inferClassCount } from "./linear.js";
import { deriveSeed, randomIndex, seededRandom, type RandomSource } from "./random.js";

export type TreeTask = "classification" | "regression";

/**
 * Features examined per split: "sqrt" / "log2" of the feature count, a count (a number ≥ 1), or a
 * fraction of the features (a number in (0, 1)). Default: all features.
 */
export type MaxFeatures = number | "sqrt" | "log2";

export interface DecisionTreeOptions {
  readonly task: TreeTask;
  /** Classification only; default max(y) + 1. */
  readonly nClasses?: number;
  /** Default unlimited. */
  readonly maxDepth?: number;
  /** Minimum number of samples in each leaf; default 1. */
  readonly minSamplesLeaf?: number;
  /** Minimum number of samples in a node to consider splitting it; default 2. */
  readonly minSamplesSplit?: number;
  readonly maxFeatures?: MaxFeatures;
  /** Non-negative weights; samples of weight 0 are left out. Default all 1. */
  readonly sampleWeight?: Float64Array;
  /** Draws the features examined at each node when maxFeatures is below the feature count. */
  readonly random?: RandomSource;
}

/**
 * A CART decision tree. Classification: gini impurity, and each node's value row is the
 * (weighted) class probability vector (nClasses columns). Regression: squared error, and the
 * value is the (weighted) mean target (one column). Thresholds lie midway between consecutive
 * distinct feature values; a sample goes left when x[feature] <= threshold.
 */
export function fitDecisionTree(X: DenseMatrix, y: ArrayLike<number>, opts: DecisionTreeOptions): TreeParams {
  const target = makeTarget(opts.task, y, X.rows, opts.nClasses);
  const weights = opts.sampleWeight ?? new Float64Array(X.rows).fill(1);
  checkWeights(weights, X.rows);
  const sorted = sortFeatures(X);
  const grown = growTree(sorted, target, weights, growthSettings(opts, X.cols, opts.random));
  return treeParamsFromNodes(grown, grown.nodeValues);
}

export interface RandomForestOptions {
  readonly task: TreeTask;
  readonly nClasses?: number;
  /** Number of trees; default 50. */
  readonly nEstimators?: number;
  readonly maxDepth?: number;
  readonly minSamplesLeaf?: number;
  readonly minSamplesSplit?: number;
  /** Default "sqrt" for classification, all features for regression (as scikit-learn ≥ 1.1). */
  readonly maxFeatures?: MaxFeatures;
  /** Seed of the bootstrap samples and feature draws; default 0. */
  readonly seed?: number;
  /** Train each tree on n rows drawn with replacement; default true. */
  readonly bootstrap?: boolean;
}

/**
 * A random forest: trees on bootstrap samples with random feature subsets per split, averaged.
 * Classification outputs are mean class probabilities (nClasses columns), regression outputs the
 * mean prediction. Returns aggregate "average" with zero base.
 */
export function fitRandomForest(X: DenseMatrix, y: ArrayLike<number>, opts: RandomForestOptions): TreeEnsembleParams {
  const target = makeTarget(opts.task, y, X.rows, opts.nClasses);
  const nEstimators = opts.nEstimators ?? 50;
  const random = seededRandom(opts.seed ?? 0);
  const maxFeatures = opts.maxFeatures ?? (opts.task === "classification" ? "sqrt" : undefined);
  const sorted = sortFeatures(X);
  const trees: TreeParams[] = [];
  for (let t = 0; t < nEstimators; t++) {
    // Drawn in a fixed order from one generator, so tree t is the same whatever nEstimators is.
    const weights = opts.bootstrap === false ? new Float64Array(X.rows).fill(1) : bootstrapCounts(X.rows, random);
    const treeRandom = seededRandom(deriveSeed(random));
    const settings = growthSettings({ ...opts, maxFeatures }, X.cols, treeRandom);
    const grown = growTree(sorted, target, weights, settings);
    trees.push(treeParamsFromNodes(grown, grown.nodeValues));
  }
  return { trees, aggregate: "average", base: new Float64Array(outputCount(target)) };
}

export interface GradientBoostingOptions {
  readonly task: TreeTask;
  readonly nClasses?: number;
  /** Boosting rounds; default 50. */
  readonly nEstimators?: number;
  /** Shrinkage, already multiplied into the leaf values; default 0.1. */
  readonly learningRate?: number;
  /** Default 3. */
  readonly maxDepth?: number;
  readonly minSamplesLeaf?: number;
  readonly minSamplesSplit?: number;
  readonly maxFeatures?: MaxFeatures;
  /** Fraction of the rows drawn (without replacement) for each round; default 1 (no sampling). */
  readonly subsample?: number;
  /** Seed of the row subsamples and feature draws; default 0. */
  readonly seed?: number;
}

/**
 * Gradient-boosted regression trees (aggregate "sum"), as scikit-learn's GradientBoosting*:
 * trees fit the negative gradient with squared error and their leaves take a Newton step.
 *  - regression: squared error; base = mean(y); leaf = learningRate · mean residual.
 *  - two classes: one output, the log-odds of class 1; base = prior log-odds;
 *    leaf = learningRate · Σ(y − p) / Σ p(1 − p).
 *  - K ≥ 3 classes: softmax over K outputs, base = log class priors, one tree per class per round;
 *    a class-k tree has K value columns, zero except column k, holding
 *    learningRate · (K−1)/K · Σ(y_k − p_k) / Σ p_k(1 − p_k).
 * Internal nodes of boosting trees carry zero values (only leaves are ever read).
 */
export function fitGradientBoosting(X: DenseMatrix, y: ArrayLike<number>, opts: GradientBoostingOptions): TreeEnsembleParams {
  const target = makeTarget(opts.task, y, X.rows, opts.nClasses);
  const booster = new Booster(X, target, opts);
  for (let round = 0; round < (opts.nEstimators ?? 50); round++) booster.addRound();
  return { trees: booster.trees, aggregate: "sum", base: booster.base };
}

/** Raw outputs of one tree for every row of X (rows × value columns). */
export function predictTree(params: TreeParams, X: DenseMatrix): DenseMatrix {
  const outputs = params.value.cols;
  const out = new Float64Array(X.rows * outputs);
  for (let r = 0; r < X.rows; r++) {
    const leaf = leafOfRow(params, X.data, r * X.cols);
    out.set(params.value.data.subarray(leaf * outputs, (leaf + 1) * outputs), r * outputs);
  }
  return denseMatrix(X.rows, outputs, out);
}

/** Raw outputs of an ensemble (rows × outputs): base + mean or sum of the trees' leaf values. */
export function predictEnsemble(params: TreeEnsembleParams, X: DenseMatrix): DenseMatrix {
  const outputs = params.base.length;
  const out = new Float64Array(X.rows * outputs);
  for (const tree of params.trees) {
    if (tree.value.cols !== outputs) throw new RangeError(`A tree has ${tree.value.cols} outputs; the ensemble has ${outputs}.`);
    for (let r = 0; r < X.rows; r++) {
      const leafOffset = leafOfRow(tree, X.data, r * X.cols) * outputs;
      for (let o = 0; o < outputs; o++) out[r * outputs + o] = out[r * outputs + o]! + tree.value.data[leafOffset + o]!;
    }
  }
  const scale = params.aggregate === "average" && params.trees.length > 0 ? 1 / params.trees.length : 1;
  for (let r = 0; r < X.rows; r++) {
    for (let o = 0; o < outputs; o++) out[r * outputs + o] = out[r * outputs + o]! * scale + params.base[o]!;
  }
  return denseMatrix(X.rows, outputs, out);
}

/** Index of the leaf reached by the row starting at data[offset]. */
function leafOfRow(tree: TreeParams, data: Float64Array, offset: number): number {
  let node = 0;
  while (tree.feature[node]! >= 0) {
    node = data[offset + tree.feature[node]!]! <= tree.threshold[node]! ? tree.left[node]! : tree.right[node]!;
  }
  return node;
}

// ---------------------------------------------------------------------------------------------
// Targets, settings and validation

type SplitTarget =
  | { readonly kind: "classes"; readonly labels: Int32Array; readonly nClasses: number }
  | { readonly kind: "values"; readonly values: Float64Array };

function makeTarget(task: TreeTask, y: ArrayLike<number>, rows: number, nClasses?: number): SplitTarget {
  if (y.length !== rows) throw new RangeError(`X has ${rows} rows but y has ${y.length} values.`);
  if (rows === 0) throw new RangeError("Cannot train on an empty dataset.");
  if (task === "regression") {
    const values = Float64Array.from(y);
    if (!values.every(Number.isFinite)) throw new RangeError("Regression targets must be finite.");
    return { kind: "values", values };
  }
  const classCount = nClasses ?? inferClassCount(y);
  checkClassIndices(y, classCount);
  return { kind: "classes", labels: Int32Array.from(y), nClasses: classCount };
}

function outputCount(target: SplitTarget): number {
  return target.kind === "classes" ? target.nClasses : 1;
}

function checkWeights(weights: Float64Array, rows: number): void {
  if (weights.length !== rows) throw new RangeError(`sampleWeight has ${weights.length} values; X has ${rows} rows.`);
  if (!weights.every((w) => w >= 0 && Number.isFinite(w))) throw new RangeError("Sample weights must be finite and non-negative.");
}

interface GrowthSettings {
  readonly maxDepth: number;
  readonly minSamplesLeaf: number;
  readonly minSamplesSplit: number;
  readonly featuresPerSplit: number;
  readonly random: RandomSource | undefined;
}

function growthSettings(
  opts: { maxDepth?: number; minSamplesLeaf?: number; minSamplesSplit?: number; maxFeatures?: MaxFeatures | undefined },
  featureCount: number,
  random: RandomSource | undefined,
): GrowthSettings {
  const minSamplesLeaf = Math.max(1, Math.floor(opts.minSamplesLeaf ?? 1));
  return {
    maxDepth: opts.maxDepth ?? Infinity,
    minSamplesLeaf,
    minSamplesSplit: Math.max(2, Math.floor(opts.minSamplesSplit ?? 2), 2 * minSamplesLeaf),
    featuresPerSplit: resolveMaxFeatures(opts.maxFeatures, featureCount),
    random,
  };
}

function resolveMaxFeatures(maxFeatures: MaxFeatures | undefined, d: number): number {
  if (maxFeatures === undefined) return d;
  if (maxFeatures === "sqrt") return Math.max(1, Math.floor(Math.sqrt(d)));
  if (maxFeatures === "log2") return Math.max(1, Math.floor(Math.log2(d)));
  if (!(maxFeatures > 0)) throw new RangeError(`maxFeatures must be positive, got ${maxFeatures}.`);
  return maxFeatures < 1 ? Math.max(1, Math.floor(maxFeatures * d)) : Math.min(d, Math.floor(maxFeatures));
}

/** Bootstrap sample as multiplicities: n draws with replacement. */
function bootstrapCounts(n: number, random: RandomSource): Float64Array {
  const counts = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const drawn = randomIndex(random, n);
    counts[drawn] = counts[drawn]! + 1;
  }
  return counts;
}

// ---------------------------------------------------------------------------------------------
// Presorting

/** The training matrix by column, with each column's stable argsort. */
interface SortedFeatures {
  readonly rows: number;
  readonly features: number;
  /** features × rows: columns[f·rows + s] = X[s, f]. */
  readonly columns: Float64Array;
  /** features × rows: per feature, sample indices by increasing value (ties by index). */
  readonly order: Int32Array;
}

function sortFeatures(X: DenseMatrix): SortedFeatures {
  const { rows, cols } = X;
  if (cols === 0) throw new RangeError("Trees need at least one feature.");
  const columns = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let f = 0; f < cols; f++) {
      const v = X.data[r * cols + f]!;
      if (Number.isNaN(v)) throw new RangeError(`X[${r}, ${f}] is NaN; trees need complete data.`);
      columns[f * rows + r] = v;
    }
  }
  const order = new Int32Array(rows * cols);
  const scratch = { ranks: new Int32Array(rows), starts: new Int32Array(rows + 1) };
  for (let f = 0; f < cols; f++) argsortColumn(columns.subarray(f * rows, (f + 1) * rows), order.subarray(f * rows, (f + 1) * rows), scratch);
  return { rows, features: cols, columns, order };
}

/**
 * Stable argsort of one column into `out`. A comparator sort would cost ~n·log n callbacks; here
 * the native numeric sort orders a copy of the values, each sample's rank among the distinct
 * values is found by binary search, and a counting sort by rank places the indices.
 */
function argsortColumn(values: Float64Array, out: Int32Array, scratch: { ranks: Int32Array; starts: Int32Array }): void {
  const n = values.length;
  const distinct = Float64Array.from(values).sort();
  let distinctCount = 0;
  for (let i = 0; i < n; i++) {
    // "!==" also merges −0 with +0, which compare equal at prediction time.
    if (distinctCount === 0 || distinct[i] !== distinct[distinctCount - 1]) distinct[distinctCount++] = distinct[i]!;
  }
  const { ranks, starts } = scratch;
  starts.fill(0, 0, distinctCount + 1);
  for (let s = 0; s < n; s++) {
    const rank = lowerBound(distinct, distinctCount, values[s]!);
    ranks[s] = rank;
    starts[rank + 1] = starts[rank + 1]! + 1;
  }
  for (let k = 0; k < distinctCount; k++) starts[k + 1] = starts[k + 1]! + starts[k]!;
  for (let s = 0; s < n; s++) {
    const rank = ranks[s]!;
    out[starts[rank]!] = s;
    starts[rank] = starts[rank]! + 1;
  }
}

/** First index i < length with sorted[i] >= value. */
function lowerBound(sorted: Float64Array, length: number, value: number): number {
  let low = 0;
  let high = length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (sorted[mid]! < value) low = mid + 1;
    else high = mid;
  }
  return low;
}

// ---------------------------------------------------------------------------------------------
// Growing one tree

interface GrownTree {
  readonly feature: number[];
  readonly threshold: number[];
  readonly left: number[];
  readonly right: number[];
  /** Per node: class probabilities (classification) or weighted mean target (regression). */
  readonly nodeValues: Float64Array[];
  /** Per training sample: the leaf it fell in, or −1 if its weight was 0. */
  readonly leafOfSample: Int32Array;
}

/** A node waiting to be split: its sample range, and the features whose sorted lists are valid there. */
interface PendingNode {
  readonly node: number;
  readonly start: number;
  readonly end: number;
  readonly depth: number;
  readonly validFeatures: Int32Array;
}

interface SplitCandidate {
  score: number;
  feature: number;
  threshold: number;
  leftCount: number;
}

function growTree(sorted: SortedFeatures, target: SplitTarget, weights: Float64Array, settings: GrowthSettings): GrownTree {
  return new TreeGrower(sorted, target, weights, settings).grow();
}

/** Working state of one tree's growth (depth first, explicit stack). */
class TreeGrower {
  private readonly activeCount: number;
  /** features × activeCount: each feature's sorted list restricted to samples of positive weight. */
  private readonly order: Int32Array;
  private readonly goesLeft: Uint8Array;
  private readonly partitionBuffer: Int32Array;
  private readonly totals: Float64Array;
  private readonly leftSums: Float64Array;
  private readonly rightSums: Float64Array;
  private readonly out: GrownTree;
  private readonly random: RandomSource;
  /** Regression: w·y per sample, so the scan does one load instead of two and a multiply. */
  private readonly weightedTargets: Float64Array;

  constructor(
    private readonly sorted: SortedFeatures,
    private readonly target: SplitTarget,
    private readonly weights: Float64Array,
    private readonly settings: GrowthSettings,
  ) {
    const { rows, features } = sorted;
    let active = 0;
    for (let s = 0; s < rows; s++) if (weights[s]! > 0) active++;
    this.activeCount = active;
    this.order = active === rows ? sorted.order.slice() : activeOrder(sorted, weights, active);
    this.weightedTargets = target.kind === "values" ? target.values.map((y, s) => y * weights[s]!) : new Float64Array(0);
    this.goesLeft = new Uint8Array(rows);
    this.partitionBuffer = new Int32Array(active);
    const statCount = target.kind === "classes" ? target.nClasses : 1;
    this.totals = new Float64Array(statCount);
    this.leftSums = new Float64Array(statCount);
    this.rightSums = new Float64Array(statCount);
    this.out = { feature: [], threshold: [], left: [], right: [], nodeValues: [], leafOfSample: new Int32Array(rows).fill(-1) };
    this.random = settings.random ?? seededRandom(0);
  }

  grow(): GrownTree {
    if (this.activeCount === 0) throw new RangeError("Every sample weight is zero.");
    const allFeatures = Int32Array.from({ length: this.sorted.features }, (_, f) => f);
    const stack: PendingNode[] = [{ node: this.createNode(), start: 0, end: this.activeCount, depth: 0, validFeatures: allFeatures }];
    while (stack.length > 0) {
      const pending = stack.pop()!;
      const children = this.processNode(pending);
      if (children) stack.push(children[1], children[0]);
    }
    return this.out;
  }

  private createNode(): number {
    this.out.feature.push(-1);
    this.out.threshold.push(0);
    this.out.left.push(-1);
    this.out.right.push(-1);
    this.out.nodeValues.push(new Float64Array(0));
    return this.out.feature.length - 1;
  }

  /** Records the node's value, then splits it (returning the two children) or makes it a leaf. */
  private processNode(pending: PendingNode): [PendingNode, PendingNode] | undefined {
    const { node, start, end, depth } = pending;
    // Lists of features that were constant in an ancestor are stale; any valid one lists this node's samples.
    const referenceFeature = pending.validFeatures[0]!;
    const { impure, totalWeight, squaredSum } = this.accumulateTotals(referenceFeature, start, end);
    this.out.nodeValues[node] = this.nodeValue(totalWeight);

    const sampleCount = end - start;
    const splittable = impure && depth < this.settings.maxDepth && sampleCount >= this.settings.minSamplesSplit;
    const liveFeatures = splittable ? this.nonConstantFeatures(pending.validFeatures, start, end) : new Int32Array(0);
    const split = liveFeatures.length > 0 ? this.findBestSplit(liveFeatures, start, end, totalWeight, squaredSum) : undefined;
    if (!split) {
      this.makeLeaf(node, referenceFeature, start, end);
      return undefined;
    }
    this.partition(split, liveFeatures, start, end);
    const left = this.createNode();
    const right = this.createNode();
    this.out.feature[node] = split.feature;
    this.out.threshold[node] = split.threshold;
    this.out.left[node] = left;
    this.out.right[node] = right;
    const middle = start + split.leftCount;
    return [
      { node: left, start, end: middle, depth: depth + 1, validFeatures: liveFeatures },
      { node: right, start: middle, end, depth: depth + 1, validFeatures: liveFeatures },
    ];
  }

  /**
   * Fills `totals` (class weights, or [Σ w·y]) over the node and returns its total weight, whether
   * it is impure, and the split-score baseline terms: Σ_k (class weight)² for gini.
   */
  private accumulateTotals(feature: number, start: number, end: number): { impure: boolean; totalWeight: number; squaredSum: number } {
    const base = feature * this.activeCount;
    const totals = this.totals;
    totals.fill(0);
    let totalWeight = 0;
    if (this.target.kind === "classes") {
      const labels = this.target.labels;
      for (let i = start; i < end; i++) {
        const s = this.order[base + i]!;
        totals[labels[s]!] = totals[labels[s]!]! + this.weights[s]!;
        totalWeight += this.weights[s]!;
      }
      let squaredSum = 0;
      let presentClasses = 0;
      for (let k = 0; k < totals.length; k++) {
        squaredSum += totals[k]! ** 2;
        if (totals[k]! > 0) presentClasses++;
      }
      return { impure: presentClasses > 1, totalWeight, squaredSum };
    }
    const values = this.target.values;
    let sum = 0;
    let sumOfSquares = 0;
    for (let i = start; i < end; i++) {
      const s = this.order[base + i]!;
      const w = this.weights[s]!;
      totalWeight += w;
      sum += w * values[s]!;
      sumOfSquares += w * values[s]! ** 2;
    }
    totals[0] = sum;
    const mean = sum / totalWeight;
    const variance = sumOfSquares / totalWeight - mean * mean;
    // Relative tolerance: the subtraction above loses precision when |mean| ≫ spread.
    return { impure: variance > 1e-12 * (mean * mean + 1e-300), totalWeight, squaredSum: 0 };
  }

  private nodeValue(totalWeight: number): Float64Array {
    if (this.target.kind === "classes") return this.totals.map((c) => c / totalWeight);
    return Float64Array.of(this.totals[0]! / totalWeight);
  }

  /** The features of `candidates` taking at least two values in the node (their lists are sorted, so compare the ends). */
  private nonConstantFeatures(candidates: Int32Array, start: number, end: number): Int32Array {
    const { columns, rows } = this.sorted;
    const live: number[] = [];
    for (const f of candidates) {
      const base = f * this.activeCount;
      if (columns[f * rows + this.order[base + start]!] !== columns[f * rows + this.order[base + end - 1]!]) live.push(f);
    }
    return Int32Array.from(live);
  }

  /**
   * Best split over featuresPerSplit features drawn from the non-constant ones (all of them, in
   * index order, when featuresPerSplit covers them, so no randomness is used then).
   */
  private findBestSplit(live: Int32Array, start: number, end: number, totalWeight: number, squaredSum: number): SplitCandidate | undefined {
    const best: SplitCandidate = { score: -Infinity, feature: -1, threshold: 0, leftCount: 0 };
    const examined = Math.min(this.settings.featuresPerSplit, live.length);
    const features = examined < live.length ? live.slice() : live;
    for (let j = 0; j < examined; j++) {
      if (examined < live.length) {
        // Partial Fisher–Yates: features[j] becomes a uniform draw among those not yet examined.
        const pick = j + randomIndex(this.random, features.length - j);
        const tmp = features[j]!;
        features[j] = features[pick]!;
        features[pick] = tmp;
      }
      if (this.target.kind === "classes") this.scanGini(features[j]!, start, end, totalWeight, squaredSum, this.target, best);
      else this.scanSquaredError(features[j]!, start, end, totalWeight, best);
    }
    return best.feature >= 0 ? best : undefined;
  }

  /**
   * Scans the thresholds of one feature for gini. Minimizing the weighted child gini is maximizing
   * Σ_k L_k²/W_L + Σ_k R_k²/W_R (class weights L_k, R_k), whose sums of squares update in O(1).
   */
  private scanGini(
    feature: number,
    start: number,
    end: number,
    totalWeight: number,
    squaredSum: number,
    target: { labels: Int32Array },
    best: SplitCandidate,
  ): void {
    const { order, weights, leftSums, rightSums } = this;
    const { labels } = target;
    const base = feature * this.activeCount;
    const columnBase = feature * this.sorted.rows;
    const columns = this.sorted.columns;
    const minLeaf = this.settings.minSamplesLeaf;
    leftSums.fill(0);
    rightSums.set(this.totals);
    let leftSquares = 0;
    let rightSquares = squaredSum;
    let leftWeight = 0;
    let rightWeight = totalWeight;
    let value = columns[columnBase + order[base + start]!]!;
    for (let i = start; i < end - 1; i++) {
      const s = order[base + i]!;
      const k = labels[s]!;
      const w = weights[s]!;
      leftSquares += w * (2 * leftSums[k]! + w);
      rightSquares += w * (w - 2 * rightSums[k]!);
      leftSums[k] = leftSums[k]! + w;
      rightSums[k] = rightSums[k]! - w;
      leftWeight += w;
      rightWeight -= w;
      const leftCount = i - start + 1;
      if (end - start - leftCount < minLeaf) break;
      const next = columns[columnBase + order[base + i + 1]!]!;
      if (next !== value && leftCount >= minLeaf && rightWeight > 0) {
        const score = leftSquares / leftWeight + rightSquares / rightWeight;
        if (score > best.score) setCandidate(best, score, feature, value, next, leftCount);
      }
      value = next;
    }
  }

  /** Scans one feature for squared error: maximizes S_L²/W_L + S_R²/W_R (S = Σ w·y). */
  private scanSquaredError(feature: number, start: number, end: number, totalWeight: number, best: SplitCandidate): void {
    const { order, weights, weightedTargets } = this;
    const base = feature * this.activeCount;
    const columnBase = feature * this.sorted.rows;
    const columns = this.sorted.columns;
    const minLeaf = this.settings.minSamplesLeaf;
    const totalSum = this.totals[0]!;
    let leftSum = 0;
    let leftWeight = 0;
    let value = columns[columnBase + order[base + start]!]!;
    for (let i = start; i < end - 1; i++) {
      const s = order[base + i]!;
      const w = weights[s]!;
      leftSum += weightedTargets[s]!;
      leftWeight += w;
      const leftCount = i - start + 1;
      if (end - start - leftCount < minLeaf) break;
      const next = columns[columnBase + order[base + i + 1]!]!;
      const rightWeight = totalWeight - leftWeight;
      if (next !== value && leftCount >= minLeaf && rightWeight > 0) {
        const rightSum = totalSum - leftSum;
        const score = (leftSum * leftSum) / leftWeight + (rightSum * rightSum) / rightWeight;
        if (score > best.score) setCandidate(best, score, feature, value, next, leftCount);
      }
      value = next;
    }
  }

  /**
   * Moves the node's first `leftCount` samples in the split feature's order to the front of every
   * live feature's range, keeping each side sorted (a stable partition).
   */
  private partition(split: SplitCandidate, live: Int32Array, start: number, end: number): void {
    const { order, goesLeft, partitionBuffer } = this;
    const splitBase = split.feature * this.activeCount;
    const middle = start + split.leftCount;
    for (let i = start; i < end; i++) goesLeft[order[splitBase + i]!] = i < middle ? 1 : 0;
    for (const f of live) {
      if (f === split.feature) continue;
      const base = f * this.activeCount;
      let leftEnd = base + start;
      let rightCount = 0;
      for (let i = base + start; i < base + end; i++) {
        const s = order[i]!;
        if (goesLeft[s] === 1) order[leftEnd++] = s;
        else partitionBuffer[rightCount++] = s;
      }
      order.set(partitionBuffer.subarray(0, rightCount), leftEnd);
    }
  }

  private makeLeaf(node: number, referenceFeature: number, start: number, end: number): void {
    const base = referenceFeature * this.activeCount;
    for (let i = start; i < end; i++) this.out.leafOfSample[this.order[base + i]!] = node;
  }
}

/** Each feature's sorted list restricted to the samples of positive weight (features × active). */
function activeOrder(sorted: SortedFeatures, weights: Float64Array, active: number): Int32Array {
  const { rows, features } = sorted;
  const order = new Int32Array(active * features);
  for (let f = 0; f < features; f++) {
    let k = f * active;
    for (let i = f * rows; i < (f + 1) * rows; i++) {
      const s = sorted.order[i]!;
      if (weights[s]! > 0) order[k++] = s;
    }
  }
  return order;
}

/** Threshold midway between the two values, as scikit-learn (falling back to the lower one if rounding reaches the upper). */
function setCandidate(best: SplitCandidate, score: number, feature: number, value: number, next: number, leftCount: number): void {
  let threshold = value / 2 + next / 2;
  if (threshold === next || !Number.isFinite(threshold)) threshold = value;
  best.score = score;
  best.feature = feature;
  best.threshold = threshold;
  best.leftCount = leftCount;
}

/** Packs grown nodes into TreeParams with the given per-node value rows. */
function treeParamsFromNodes(grown: GrownTree, values: readonly Float64Array[]): TreeParams {
  const nodes = grown.feature.length;
  const outputs = values.reduce((m, v) => Math.max(m, v.length), 0);
  const valueData = new Float64Array(nodes * outputs);
  values.forEach((row, node) => valueData.set(row, node * outputs));
  return {
    feature: Int32Array.from(grown.feature),
    threshold: Float64Array.from(grown.threshold),
    left: Int32Array.from(grown.left),
    right: Int32Array.from(grown.right),
    value: denseMatrix(nodes, outputs, valueData),
  };
}

// ---------------------------------------------------------------------------------------------
// Gradient boosting

/** Boosting state: the raw training predictions and the trees so far. */
class Booster {
  readonly trees: TreeParams[] = [];
  readonly base: Float64Array;
  private readonly raw: Float64Array; // rows × outputs
  private readonly outputs: number;
  private readonly sorted: SortedFeatures;
  private readonly random: RandomSource;
  private readonly learningRate: number;

  constructor(
    private readonly X: DenseMatrix,
    private readonly target: SplitTarget,
    private readonly opts: GradientBoostingOptions,
  ) {
    this.base = initialPrediction(target);
    this.outputs = this.base.length;
    this.raw = new Float64Array(X.rows * this.outputs);
    for (let r = 0; r < X.rows; r++) this.raw.set(this.base, r * this.outputs);
    this.sorted = sortFeatures(X);
    this.random = seededRandom(opts.seed ?? 0);
    this.learningRate = opts.learningRate ?? 0.1;
  }

  /** One round: one tree (regression, binary) or one tree per class (multiclass). */
  addRound(): void {
    const weights = this.roundWeights();
    const settings = growthSettings({ ...this.opts, maxDepth: this.opts.maxDepth ?? 3 }, this.X.cols, seededRandom(deriveSeed(this.random)));
    if (this.target.kind === "values") {
      this.addTree(this.target.values.map((y, r) => y - this.raw[r]!), new Float64Array(this.X.rows).fill(1), weights, settings, 0, 1);
      return;
    }
    const { labels, nClasses } = this.target;
    // Every class tree of a round sees the probabilities from before the round, as scikit-learn.
    const probabilities = nClasses === 2 ? this.raw.map(sigmoid) : softmaxRows(this.raw, nClasses);
    const classes = nClasses === 2 ? [1] : Array.from({ length: nClasses }, (_, k) => k);
    const newtonScale = nClasses === 2 ? 1 : (nClasses - 1) / nClasses;
    classes.forEach((k, column) => {
      const p = (r: number) => probabilities[r * this.outputs + column]!;
      const residuals = Float64Array.from(labels, (label, r) => (label === k ? 1 : 0) - p(r));
      const hessians = Float64Array.from(labels, (_, r) => p(r) * (1 - p(r)));
      this.addTree(residuals, hessians, weights, settings, column, newtonScale);
    });
  }

  /** Rows used this round: all (weight 1), or a subsample drawn without replacement. */
  private roundWeights(): Float64Array {
    const n = this.X.rows;
    const fraction = this.opts.subsample ?? 1;
    if (!(fraction > 0 && fraction <= 1)) throw new RangeError(`subsample must be in (0, 1], got ${fraction}.`);
    if (fraction === 1) return new Float64Array(n).fill(1);
    const weights = new Float64Array(n);
    const pool = Int32Array.from({ length: n }, (_, i) => i);
    const take = Math.max(1, Math.round(fraction * n));
    for (let j = 0; j < take; j++) {
      const pick = j + randomIndex(this.random, n - j);
      const chosen = pool[pick]!;
      pool[pick] = pool[j]!;
      weights[chosen] = 1;
    }
    return weights;
  }

  /**
   * Fits a squared-error tree to the residuals, replaces its leaf values with the Newton step
   * learningRate · scale · Σ residual / Σ hessian, stores it in output `column` and updates the
   * raw training predictions.
   */
  private addTree(residuals: Float64Array, hessians: Float64Array, weights: Float64Array, settings: GrowthSettings, column: number, scale: number): void {
    const grown = growTree(this.sorted, { kind: "values", values: residuals }, weights, settings);
    const nodes = grown.feature.length;
    const numerators = new Float64Array(nodes);
    const denominators = new Float64Array(nodes);
    grown.leafOfSample.forEach((leaf, s) => {
      if (leaf < 0) return;
      numerators[leaf] = numerators[leaf]! + weights[s]! * residuals[s]!;
      denominators[leaf] = denominators[leaf]! + weights[s]! * hessians[s]!;
    });
    const values = Array.from({ length: nodes }, (_, node) => {
      const row = new Float64Array(this.outputs);
      // A vanishing hessian means the leaf is already fit (p ≈ 0 or 1): leave it at 0 as scikit-learn does.
      if (grown.feature[node] === -1 && Math.abs(denominators[node]!) >= 1e-150) {
        row[column] = (this.learningRate * scale * numerators[node]!) / denominators[node]!;
      }
      return row;
    });
    const tree = treeParamsFromNodes(grown, values);
    this.trees.push(tree);
    // Out-of-subsample rows have no leaf recorded, so route every row through the tree.
    for (let r = 0; r < this.X.rows; r++) {
      const leaf = leafOfRow(tree, this.X.data, r * this.X.cols);
      this.raw[r * this.outputs + column] = this.raw[r * this.outputs + column]! + tree.value.data[leaf * this.outputs + column]!;
    }
  }
}

/** Regression: [mean]; binary: [prior log-odds]; multiclass: log class priors. */
function initialPrediction(target: SplitTarget): Float64Array {
  if (target.kind === "values") {
    let sum = 0;
    for (const v of target.values) sum += v;
    return Float64Array.of(sum / target.values.length);
  }
  const { labels, nClasses } = target;
  const priors = new Float64Array(nClasses);
  for (const label of labels) priors[label] = priors[label]! + 1 / labels.length;
  // Clipping keeps an absent class (or a single-class binary set) finite, as scikit-learn's eps clip.
  const clip = (p: number) => Math.min(Math.max(p, 2.220446049250313e-16), 1 - 2.220446049250313e-16);
  if (nClasses === 2) {
    const p = clip(priors[1]!);
    return Float64Array.of(Math.log(p / (1 - p)));
  }
  return priors.map((p) => Math.log(clip(p)));
}

function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/** Row-wise softmax of a rows × k matrix stored flat. */
function softmaxRows(raw: Float64Array, k: number): Float64Array {
  const out = new Float64Array(raw.length);
  for (let offset = 0; offset < raw.length; offset += k) {
    let max = -Infinity;
    for (let j = 0; j < k; j++) max = Math.max(max, raw[offset + j]!);
    let sum = 0;
    for (let j = 0; j < k; j++) {
      out[offset + j] = Math.exp(raw[offset + j]! - max);
      sum += out[offset + j]!;
    }
    for (let j = 0; j < k; j++) out[offset + j] = out[offset + j]! / sum;
  }
  return out;
}
