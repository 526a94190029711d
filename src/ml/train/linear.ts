// Float trainers of linear models (scikit-learn-like): least squares, L2-regularized logistic
// regression (binary and multinomial) and the squared-hinge linear SVM. Every trainer returns
// LinearParams, y = coef · x + intercept, with one row per output.

import { denseMatrix, type DenseMatrix, type LinearParams } from "../types.js";
import { minimizeLbfgs } from "./optimize.js";

export interface LinearRegressionOptions {
  /** Ridge penalty λ on the coefficients (not the intercept): minimizes ||y − Xw − b||² + λ||w||². Default 0. */
  readonly l2?: number;
}

/**
 * Ordinary least squares (ridge if opts.l2 > 0) via the normal equations on centred data, solved
 * by Cholesky. Returns one output row. Costs O(n·d² + d³): meant for tens to hundreds of features.
 */
export function fitLinearRegression(X: DenseMatrix, y: Float64Array, opts: LinearRegressionOptions = {}): LinearParams {
  checkRows(X, y.length);
  const { rows: n, cols: d, data } = X;
  const xMean = columnMeans(X);
  const yMean = mean(y);
  // Centring removes the intercept from the system and keeps the Gram matrix well conditioned.
  const gram = new Float64Array(d * d);
  const rhs = new Float64Array(d);
  const centred = new Float64Array(d);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < d; c++) centred[c] = data[r * d + c]! - xMean[c]!;
    const target = y[r]! - yMean;
    for (let a = 0; a < d; a++) {
      const va = centred[a]!;
      if (va === 0) continue;
      rhs[a] = rhs[a]! + va * target;
      for (let b = a; b < d; b++) gram[a * d + b] = gram[a * d + b]! + va * centred[b]!;
    }
  }
  for (let a = 0; a < d; a++) for (let b = 0; b < a; b++) gram[a * d + b] = gram[b * d + a]!;

  const coef = solveRidgeSystem(gram, rhs, d, opts.l2 ?? 0);
  let intercept = yMean;
  for (let c = 0; c < d; c++) intercept -= coef[c]! * xMean[c]!;
  return { coef: denseMatrix(1, d, coef), intercept: Float64Array.of(intercept) };
}

/**
 * Solves (G + λI)w = rhs. A tiny relative ridge is always added (and grown if Cholesky still
 * fails) so that collinear or constant features give a finite minimum-norm-like answer.
 */
function solveRidgeSystem(gram: Float64Array, rhs: Float64Array, d: number, l2: number): Float64Array<ArrayBuffer> {
  let trace = 0;
  for (let i = 0; i < d; i++) trace += gram[i * d + i]!;
  const scale = d > 0 ? Math.max(trace / d, 1e-300) : 1;
  for (let jitter = 1e-12 * scale; ; jitter *= 100) {
    const system = Float64Array.from(gram);
    for (let i = 0; i < d; i++) system[i * d + i] = system[i * d + i]! + l2 + jitter;
    const factor = choleskyInPlace(system, d);
    if (factor) return choleskySolve(factor, rhs, d);
    if (jitter > scale) throw new Error("fitLinearRegression: the normal equations are not solvable (non-finite data?).");
  }
}

/** Overwrites the lower triangle of the symmetric matrix A with L (A = L·Lᵀ); undefined if A is not positive definite. */
function choleskyInPlace(a: Float64Array, d: number): Float64Array | undefined {
  for (let j = 0; j < d; j++) {
    let diagonal = a[j * d + j]!;
    for (let k = 0; k < j; k++) diagonal -= a[j * d + k]! ** 2;
    if (!(diagonal > 0)) return undefined;
    const pivot = Math.sqrt(diagonal);
    a[j * d + j] = pivot;
    for (let i = j + 1; i < d; i++) {
      let sum = a[i * d + j]!;
      for (let k = 0; k < j; k++) sum -= a[i * d + k]! * a[j * d + k]!;
      a[i * d + j] = sum / pivot;
    }
  }
  return a;
}

/** Solves L·Lᵀ·x = b by forward then backward substitution. */
function choleskySolve(l: Float64Array, b: Float64Array, d: number): Float64Array<ArrayBuffer> {
  const z = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    let sum = b[i]!;
    for (let k = 0; k < i; k++) sum -= l[i * d + k]! * z[k]!;
    z[i] = sum / l[i * d + i]!;
  }
  const x = new Float64Array(d);
  for (let i = d - 1; i >= 0; i--) {
    let sum = z[i]!;
    for (let k = i + 1; k < d; k++) sum -= l[k * d + i]! * x[k]!;
    x[i] = sum / l[i * d + i]!;
  }
  return x;
}

export interface LogisticRegressionOptions {
  /** Number of classes; default max(y) + 1. */
  readonly nClasses?: number;
  /**
   * Penalty λ in Σ log-loss + ½λ·||W||² (intercepts are not penalized). λ = 1/C of scikit-learn,
   * so the default 1 matches LogisticRegression(C=1).
   */
  readonly l2?: number;
  /** L-BFGS iterations; default 500. */
  readonly maxIter?: number;
}

/**
 * L2-regularized logistic regression trained by full-batch L-BFGS from zero weights (deterministic).
 * Two classes: one output row, the logit of class 1. Three or more: multinomial (softmax) with
 * one row per class, as scikit-learn's default lbfgs solver.
 */
export function fitLogisticRegression(X: DenseMatrix, y: Int32Array, opts: LogisticRegressionOptions = {}): LinearParams {
  checkRows(X, y.length);
  const nClasses = opts.nClasses ?? inferClassCount(y);
  checkClassIndices(y, nClasses);
  const outputs = nClasses === 2 ? 1 : nClasses;
  const l2 = opts.l2 ?? 1;
  const loss = nClasses === 2 ? binaryLogisticLoss(X, y, l2) : multinomialLogisticLoss(X, y, nClasses, l2);
  const initial = new Float64Array(outputs * (X.cols + 1));
  const result = minimizeLbfgs(loss, initial, { maxIter: opts.maxIter ?? 500, gradientTolerance: 1e-7 });
  return unpackLinear(result.x, outputs, X.cols);
}

/**
 * Mean binary log-loss + ½(λ/n)||w||² (dividing by n keeps gradients O(1) for any dataset size;
 * the minimizer is the same). Parameters: [w (d), b].
 */
function binaryLogisticLoss(X: DenseMatrix, y: Int32Array, l2: number) {
  const { rows: n, cols: d, data } = X;
  return (params: Float64Array, gradient: Float64Array): number => {
    gradient.fill(0);
    const bias = params[d]!;
    let total = 0;
    for (let r = 0; r < n; r++) {
      const offset = r * d;
      let z = bias;
      for (let c = 0; c < d; c++) z += params[c]! * data[offset + c]!;
      const label = y[r]!;
      total += softplus(z) - label * z;
      const residual = sigmoid(z) - label;
      for (let c = 0; c < d; c++) gradient[c] = gradient[c]! + residual * data[offset + c]!;
      gradient[d] = gradient[d]! + residual;
    }
    let penalty = 0;
    for (let c = 0; c < d; c++) {
      penalty += params[c]! ** 2;
      gradient[c] = (gradient[c]! + l2 * params[c]!) / n;
    }
    gradient[d] = gradient[d]! / n;
    return (total + 0.5 * l2 * penalty) / n;
  };
}

/** Mean softmax cross-entropy + ½(λ/n)||W||². Parameters: [W (K×d row-major), b (K)]. */
function multinomialLogisticLoss(X: DenseMatrix, y: Int32Array, nClasses: number, l2: number) {
  const { rows: n, cols: d, data } = X;
  const logits = new Float64Array(nClasses);
  const biasOffset = nClasses * d;
  return (params: Float64Array, gradient: Float64Array): number => {
    gradient.fill(0);
    let total = 0;
    for (let r = 0; r < n; r++) {
      const offset = r * d;
      for (let k = 0; k < nClasses; k++) {
        let z = params[biasOffset + k]!;
        const rowOffset = k * d;
        for (let c = 0; c < d; c++) z += params[rowOffset + c]! * data[offset + c]!;
        logits[k] = z;
      }
      const logNormalizer = logSumExp(logits);
      const label = y[r]!;
      total += logNormalizer - logits[label]!;
      for (let k = 0; k < nClasses; k++) {
        const residual = Math.exp(logits[k]! - logNormalizer) - (k === label ? 1 : 0);
        const rowOffset = k * d;
        for (let c = 0; c < d; c++) gradient[rowOffset + c] = gradient[rowOffset + c]! + residual * data[offset + c]!;
        gradient[biasOffset + k] = gradient[biasOffset + k]! + residual;
      }
    }
    let penalty = 0;
    for (let i = 0; i < biasOffset; i++) {
      penalty += params[i]! ** 2;
      gradient[i] = (gradient[i]! + l2 * params[i]!) / n;
    }
    for (let k = 0; k < nClasses; k++) gradient[biasOffset + k] = gradient[biasOffset + k]! / n;
    return (total + 0.5 * l2 * penalty) / n;
  };
}

export interface LinearSvcOptions {
  /** Inverse regularization strength, as scikit-learn's C; default 1. */
  readonly C?: number;
  /** L-BFGS iterations per binary problem; default 1000. */
  readonly maxIter?: number;
  /** Number of classes; default max(y) + 1. */
  readonly nClasses?: number;
}

/**
 * Linear SVM with scikit-learn LinearSVC's primal objective: ½||w̃||² + C·Σ max(0, 1 − tᵢ·w̃·x̃ᵢ)²
 * where w̃ = (w, b) and x̃ = (x, 1), i.e. the intercept is penalized too, as liblinear does.
 * Solved by L-BFGS (the squared hinge is differentiable). Two classes: one row (positive for
 * class 1). Three or more: one-vs-rest, one row per class.
 */
export function fitLinearSVC(X: DenseMatrix, y: Int32Array, opts: LinearSvcOptions = {}): LinearParams {
  checkRows(X, y.length);
  const nClasses = opts.nClasses ?? inferClassCount(y);
  checkClassIndices(y, nClasses);
  const C = opts.C ?? 1;
  if (!(C > 0)) throw new RangeError(`fitLinearSVC: C must be positive, got ${C}.`);
  const d = X.cols;
  const positiveClasses = nClasses === 2 ? [1] : Array.from({ length: nClasses }, (_, k) => k);
  const coef = new Float64Array(positiveClasses.length * d);
  const intercept = new Float64Array(positiveClasses.length);
  positiveClasses.forEach((positive, row) => {
    const signs = Float64Array.from(y, (label) => (label === positive ? 1 : -1));
    const loss = squaredHingeLoss(X, signs, C);
    const result = minimizeLbfgs(loss, new Float64Array(d + 1), { maxIter: opts.maxIter ?? 1000, gradientTolerance: 1e-8 });
    coef.set(result.x.subarray(0, d), row * d);
    intercept[row] = result.x[d]!;
  });
  return { coef: denseMatrix(positiveClasses.length, d, coef), intercept };
}

/** The LinearSVC objective divided by C·n (same minimizer, gradients O(1)). Parameters: [w (d), b]. */
function squaredHingeLoss(X: DenseMatrix, signs: Float64Array, C: number) {
  const { rows: n, cols: d, data } = X;
  return (params: Float64Array, gradient: Float64Array): number => {
    gradient.fill(0);
    const bias = params[d]!;
    let total = 0;
    for (let r = 0; r < n; r++) {
      const offset = r * d;
      let z = bias;
      for (let c = 0; c < d; c++) z += params[c]! * data[offset + c]!;
      const margin = 1 - signs[r]! * z;
      if (margin <= 0) continue;
      total += margin * margin;
      const slope = -2 * signs[r]! * margin;
      for (let c = 0; c < d; c++) gradient[c] = gradient[c]! + slope * data[offset + c]!;
      gradient[d] = gradient[d]! + slope;
    }
    let penalty = 0;
    for (let c = 0; c <= d; c++) {
      penalty += params[c]! ** 2;
      gradient[c] = (gradient[c]! + params[c]! / C) / n;
    }
    return (total + (0.5 * penalty) / C) / n;
  };
}

/** Raw outputs coef·x + intercept for every row of X (rows × outputs): logits, decision values or predictions. */
export function predictLinear(params: LinearParams, X: DenseMatrix): DenseMatrix {
  const { coef, intercept } = params;
  if (X.cols !== coef.cols) throw new RangeError(`The model has ${coef.cols} features; X has ${X.cols} columns.`);
  const outputs = coef.rows;
  const out = new Float64Array(X.rows * outputs);
  for (let r = 0; r < X.rows; r++) {
    for (let o = 0; o < outputs; o++) {
      let z = intercept[o]!;
      for (let c = 0; c < X.cols; c++) z += coef.data[o * coef.cols + c]! * X.data[r * X.cols + c]!;
      out[r * outputs + o] = z;
    }
  }
  return denseMatrix(X.rows, outputs, out);
}

/** Splits a parameter vector [W (outputs×d), b (outputs)] into LinearParams. */
function unpackLinear(params: Float64Array, outputs: number, d: number): LinearParams {
  return {
    coef: denseMatrix(outputs, d, params.slice(0, outputs * d)),
    intercept: params.slice(outputs * d, outputs * (d + 1)),
  };
}

function softplus(z: number): number {
  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
}

function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

function logSumExp(values: Float64Array): number {
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) max = Math.max(max, values[i]!);
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += Math.exp(values[i]! - max);
  return max + Math.log(sum);
}

function columnMeans(X: DenseMatrix): Float64Array {
  const means = new Float64Array(X.cols);
  for (let r = 0; r < X.rows; r++) for (let c = 0; c < X.cols; c++) means[c] = means[c]! + X.data[r * X.cols + c]!;
  for (let c = 0; c < X.cols; c++) means[c] = means[c]! / Math.max(X.rows, 1);
  return means;
}

function mean(values: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]!;
  return values.length === 0 ? 0 : sum / values.length;
}

function checkRows(X: DenseMatrix, targets: number): void {
  if (X.rows !== targets) throw new RangeError(`X has ${X.rows} rows but y has ${targets} values.`);
  if (X.rows === 0) throw new RangeError("Cannot train on an empty dataset.");
}

/** max(y) + 1, at least 2. */
export function inferClassCount(y: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < y.length; i++) max = Math.max(max, y[i]!);
  return Math.max(2, max + 1);
}

/** Throws unless every label is an integer in [0, nClasses) and nClasses ≥ 2. */
export function checkClassIndices(y: ArrayLike<number>, nClasses: number): void {
  if (!Number.isInteger(nClasses) || nClasses < 2) throw new RangeError(`nClasses must be an integer ≥ 2, got ${nClasses}.`);
  for (let i = 0; i < y.length; i++) {
    const label = y[i]!;
    if (!Number.isInteger(label) || label < 0 || label >= nClasses) {
      throw new RangeError(`Label ${label} at row ${i} is not a class index in [0, ${nClasses}).`);
    }
  }
}
