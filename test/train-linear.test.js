// Linear trainers (src/ml/train/linear.ts) and L-BFGS (optimize.ts): exact answers on small
// synthetic problems, and test-set accuracy on the shared datasets against the float baselines
// of /work/shared/datasets/README.md (standardized features).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { minimizeLbfgs } from "../dist/src/ml/train/optimize.js";
import { fitLinearRegression, fitLogisticRegression, fitLinearSVC, predictLinear } from "../dist/src/ml/train/linear.js";
import { fitStandardizer, applyStandardizer, toClassIndices } from "../dist/src/ml/data.js";
import { toDenseMatrix } from "../dist/src/ml/types.js";
import { readSharedDataset } from "../bench/lib/datasets.js";

/** A shared dataset standardized with its train mean/std, as the baselines were measured. */
function standardized(name) {
  const ds = readSharedDataset(name);
  const s = fitStandardizer(ds.train.X);
  return { train: { X: applyStandardizer(s, ds.train.X), y: ds.train.y }, test: { X: applyStandardizer(s, ds.test.X), y: ds.test.y } };
}

/** Accuracy of raw linear outputs: sign for one output, argmax for several. */
function accuracy(outputs, labels) {
  let correct = 0;
  for (let r = 0; r < outputs.rows; r++) {
    const row = outputs.data.subarray(r * outputs.cols, (r + 1) * outputs.cols);
    const predicted = outputs.cols === 1 ? Number(row[0] > 0) : row.indexOf(Math.max(...row));
    if (predicted === labels[r]) correct++;
  }
  return correct / outputs.rows;
}

function rSquared(predictions, targets) {
  const mean = targets.reduce((a, b) => a + b) / targets.length;
  let residual = 0;
  let total = 0;
  targets.forEach((y, i) => {
    residual += (y - predictions[i]) ** 2;
    total += (y - mean) ** 2;
  });
  return 1 - residual / total;
}

const measured = {};

test("L-BFGS finds the Rosenbrock minimum (1, 1)", () => {
  const rosenbrock = (x, g) => {
    const [a, b] = x;
    g[0] = -2 * (1 - a) - 400 * a * (b - a * a);
    g[1] = 200 * (b - a * a);
    return (1 - a) ** 2 + 100 * (b - a * a) ** 2;
  };
  const start = Float64Array.of(-1.2, 1);
  const result = minimizeLbfgs(rosenbrock, start, { maxIter: 200, gradientTolerance: 1e-10 });
  assert.ok(result.converged);
  assert.ok(Math.abs(result.x[0] - 1) < 1e-6 && Math.abs(result.x[1] - 1) < 1e-6, `x = ${result.x}`);
  assert.equal([...start], [-1.2, 1], "x0 is not modified");
});

test("fitLinearRegression recovers noiseless coefficients, with constant and duplicate columns", () => {
  const rows = [];
  const y = [];
  for (let i = 0; i < 40; i++) {
    const a = Math.sin(i);
    const b = Math.cos(3 * i);
    rows.push([a, b, 7, a]); // column 2 is constant and column 3 duplicates column 0
    y.push(3 * a - 2 * b + 0.5);
  }
  const params = fitLinearRegression(toDenseMatrix(rows), Float64Array.from(y));
  const [w0, w1, w2, w3] = params.coef.data;
  // The duplicate pair shares its weight; the constant column gets none.
  assert.ok(Math.abs(w0 + w3 - 3) < 1e-6 && Math.abs(w1 + 2) < 1e-6 && Math.abs(w2) < 1e-6, `coef ${params.coef.data}`);
  assert.ok(Math.abs(params.intercept[0] - 0.5) < 1e-5, `intercept ${params.intercept[0]}`);
  const ridge = fitLinearRegression(toDenseMatrix(rows), Float64Array.from(y), { l2: 100 });
  assert.ok(Math.abs(ridge.coef.data[1]) < Math.abs(w1), "the ridge penalty shrinks coefficients");
});

test("fitLinearRegression: diabetes R² ≥ 0.50 (baseline 0.5385)", () => {
  const ds = standardized("diabetes");
  const params = fitLinearRegression(ds.train.X, ds.train.y);
  const r2 = rSquared(predictLinear(params, ds.test.X).data, ds.test.y);
  measured["diabetes LinearRegression R²"] = r2;
  assert.ok(r2 >= 0.5, `R² ${r2}`);
});

test("fitLogisticRegression: binary optimum has zero gradient and one output row", () => {
  const X = toDenseMatrix([[-2], [-1], [-0.5], [0.5], [1], [2], [0.2], [-0.2]]);
  const y = Int32Array.of(0, 0, 1, 0, 1, 1, 1, 0);
  const l2 = 0.3;
  const params = fitLogisticRegression(X, y, { l2 });
  assert.is(params.coef.rows, 1);
  // Stationarity: Σ (p − y) = 0 for the intercept and Σ (p − y)·x + λw = 0 for the weight.
  let interceptGradient = 0;
  let weightGradient = l2 * params.coef.data[0];
  for (let r = 0; r < X.rows; r++) {
    const p = 1 / (1 + Math.exp(-(params.coef.data[0] * X.data[r] + params.intercept[0])));
    interceptGradient += p - y[r];
    weightGradient += (p - y[r]) * X.data[r];
  }
  assert.ok(Math.abs(interceptGradient) < 1e-5 && Math.abs(weightGradient) < 1e-5, `${interceptGradient}, ${weightGradient}`);
});

const logisticTargets = { breast_cancer: 0.97, iris: 0.93, digits: 0.94 };
for (const [name, minimum] of Object.entries(logisticTargets)) {
  test(`fitLogisticRegression: ${name} test accuracy ≥ ${minimum}`, () => {
    const ds = standardized(name);
    const labels = toClassIndices(ds.train.y);
    const params = fitLogisticRegression(ds.train.X, labels);
    const classes = Math.max(...labels) + 1;
    assert.is(params.coef.rows, classes === 2 ? 1 : classes);
    const acc = accuracy(predictLinear(params, ds.test.X), toClassIndices(ds.test.y));
    measured[`${name} LogisticRegression`] = acc;
    assert.ok(acc >= minimum, `accuracy ${acc}`);
  });
}

test("fitLogisticRegression is deterministic", () => {
  const ds = standardized("iris");
  const labels = toClassIndices(ds.train.y);
  const a = fitLogisticRegression(ds.train.X, labels);
  const b = fitLogisticRegression(ds.train.X, labels);
  assert.equal(a.coef.data, b.coef.data);
  assert.equal(a.intercept, b.intercept);
});

test("fitLinearSVC separates a separable toy set with margin ≥ 1 when C is large", () => {
  const X = toDenseMatrix([[0, 0], [1, 0], [0, 1], [3, 3], [4, 3], [3, 4]]);
  const y = Int32Array.of(0, 0, 0, 1, 1, 1);
  const params = fitLinearSVC(X, y, { C: 100 });
  const decision = predictLinear(params, X).data;
  decision.forEach((value, r) => assert.ok((y[r] === 1 ? value : -value) > 0.98, `row ${r}: ${value}`));
});

test("fitLinearSVC: breast_cancer accuracy ≥ 0.96; iris one-vs-rest has one row per class", () => {
  const cancer = standardized("breast_cancer");
  const binary = fitLinearSVC(cancer.train.X, toClassIndices(cancer.train.y));
  assert.is(binary.coef.rows, 1);
  const acc = accuracy(predictLinear(binary, cancer.test.X), toClassIndices(cancer.test.y));
  measured["breast_cancer LinearSVC"] = acc;
  assert.ok(acc >= 0.96, `accuracy ${acc}`);

  const iris = standardized("iris");
  const ovr = fitLinearSVC(iris.train.X, toClassIndices(iris.train.y));
  assert.is(ovr.coef.rows, 3);
  const irisAcc = accuracy(predictLinear(ovr, iris.test.X), toClassIndices(iris.test.y));
  measured["iris LinearSVC"] = irisAcc;
  assert.ok(irisAcc >= 0.9, `iris accuracy ${irisAcc}`);
});

test("labels outside [0, nClasses) are rejected", () => {
  const X = toDenseMatrix([[0], [1]]);
  assert.throws(() => fitLogisticRegression(X, Int32Array.of(0, 3), { nClasses: 3 }), /class index/);
  assert.throws(() => fitLinearSVC(X, Int32Array.of(0, -1)), /class index/);
});

test.after(() => {
  if (process.env.BLINDML_TRAIN_REPORT === "1") console.table(measured);
});

test.run();
