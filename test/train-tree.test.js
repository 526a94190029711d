// Tree trainers (src/ml/train/tree.ts) and the seeded PRNG (random.ts): exact splits on hand-made
// data, a brute-force check of the split search, ensemble structure, and test-set accuracy on the
// shared datasets against the float baselines of /work/shared/datasets/README.md.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { fitDecisionTree, fitRandomForest, fitGradientBoosting, predictTree, predictEnsemble } from "../dist/src/ml/train/tree.js";
import { seededRandom, shuffleInPlace } from "../dist/src/ml/train/random.js";
import { fitStandardizer, applyStandardizer, toClassIndices } from "../dist/src/ml/data.js";
import { toDenseMatrix } from "../dist/src/ml/types.js";
import { readSharedDataset, loadMnist } from "../bench/lib/datasets.js";

function standardized(name) {
  const ds = readSharedDataset(name);
  const s = fitStandardizer(ds.train.X);
  return {
    train: { X: applyStandardizer(s, ds.train.X), y: toClassIndices(ds.train.y) },
    test: { X: applyStandardizer(s, ds.test.X), y: toClassIndices(ds.test.y) },
  };
}

/** Accuracy of raw outputs: one output is a log-odds (class 1 if > 0), several are argmaxed. */
function accuracy(outputs, labels) {
  let correct = 0;
  for (let r = 0; r < outputs.rows; r++) {
    const row = outputs.data.subarray(r * outputs.cols, (r + 1) * outputs.cols);
    const predicted = outputs.cols === 1 ? Number(row[0] > 0) : row.indexOf(Math.max(...row));
    if (predicted === labels[r]) correct++;
  }
  return correct / outputs.rows;
}

function leafIndex(tree, X, r) {
  let node = 0;
  while (tree.feature[node] >= 0) node = X.data[r * X.cols + tree.feature[node]] <= tree.threshold[node] ? tree.left[node] : tree.right[node];
  return node;
}

function depthOf(tree, node = 0) {
  return tree.feature[node] < 0 ? 0 : 1 + Math.max(depthOf(tree, tree.left[node]), depthOf(tree, tree.right[node]));
}

const measured = {};

test("seededRandom: equal seeds repeat, different seeds differ, values uniform in [0, 1)", () => {
  const a = seededRandom(42);
  const b = seededRandom(42);
  const c = seededRandom(43);
  const first = Array.from({ length: 10000 }, () => a());
  assert.equal(first, Array.from({ length: 10000 }, () => b()));
  assert.not.equal(first.slice(0, 10), Array.from({ length: 10 }, () => c()));
  assert.ok(first.every((v) => v >= 0 && v < 1));
  const mean = first.reduce((s, v) => s + v) / first.length;
  assert.ok(Math.abs(mean - 0.5) < 0.02, `mean ${mean}`);
  const deciles = new Array(10).fill(0);
  for (const v of first) deciles[Math.floor(v * 10)]++;
  assert.ok(deciles.every((n) => n > 900 && n < 1100), `deciles ${deciles}`);
  const permutation = shuffleInPlace(Int32Array.from({ length: 50 }, (_, i) => i), seededRandom(1));
  assert.equal([...permutation].sort((x, y) => x - y), Array.from({ length: 50 }, (_, i) => i));
});

test("decision tree: the one informative feature gives the exact midpoint split and pure leaves", () => {
  const X = toDenseMatrix([[5, 1], [1, 2], [4, 3], [2, 10], [3, 11], [6, 12]]);
  const tree = fitDecisionTree(X, Int32Array.of(0, 0, 0, 1, 1, 1), { task: "classification" });
  assert.equal([...tree.feature], [1, -1, -1]);
  assert.is(tree.threshold[0], 6.5);
  assert.equal([...tree.value.data.subarray(2)], [1, 0, 0, 1], "leaf rows: class probabilities");
  assert.equal([...tree.value.data.subarray(0, 2)], [0.5, 0.5], "the root holds the class prior");
  assert.equal([...predictTree(tree, toDenseMatrix([[0, 6.5], [0, 6.6]])).data], [1, 0, 0, 1], "x <= threshold goes left");
});

test("regression tree: leaf means, zero-weight samples ignored, minSamplesLeaf and maxDepth respected", () => {
  const X = toDenseMatrix([[1], [2], [3], [4], [100]]);
  const y = Float64Array.of(1, 1, 3, 5, 1000);
  const tree = fitDecisionTree(X, y, { task: "regression", maxDepth: 1, sampleWeight: Float64Array.of(1, 1, 1, 1, 0) });
  assert.is(tree.threshold[0], 2.5);
  assert.equal([...tree.value.data], [2.5, 1, 4]);

  const random = seededRandom(7);
  const rows = Array.from({ length: 300 }, () => [random(), random(), random()]);
  const targets = Float64Array.from(rows, ([a, b]) => Math.sin(6 * a) + b * b);
  const big = toDenseMatrix(rows);
  const deep = fitDecisionTree(big, targets, { task: "regression", maxDepth: 5, minSamplesLeaf: 7 });
  assert.is(depthOf(deep), 5);
  const perLeaf = new Map();
  for (let r = 0; r < big.rows; r++) perLeaf.set(leafIndex(deep, big, r), (perLeaf.get(leafIndex(deep, big, r)) ?? 0) + 1);
  assert.ok([...perLeaf.values()].every((n) => n >= 7), `leaf sizes ${[...perLeaf.values()]}`);
});

test("decision stump: the chosen split has the brute-force minimum weighted gini", () => {
  const random = seededRandom(2024);
  for (let trial = 0; trial < 20; trial++) {
    const n = 30;
    const rows = Array.from({ length: n }, () => [Math.round(random() * 8), random(), Math.round(random() * 3)]);
    const labels = Int32Array.from(rows, ([a, b]) => (a + 4 * b + random() * 4 > 6 ? (random() < 0.2 ? 2 : 1) : 0));
    const X = toDenseMatrix(rows);
    const stump = fitDecisionTree(X, labels, { task: "classification", nClasses: 3, maxDepth: 1 });
    const giniOf = (goesLeft) => {
      let total = 0;
      for (const side of [true, false]) {
        const counts = [0, 0, 0];
        let size = 0;
        labels.forEach((label, r) => {
          if (goesLeft(r) === side) {
            counts[label]++;
            size++;
          }
        });
        total += size === 0 ? 0 : size - counts.reduce((s, c) => s + c * c, 0) / size;
      }
      return total;
    };
    let bestGini = Infinity;
    for (let f = 0; f < 3; f++) {
      for (const t of new Set(rows.map((row) => row[f]))) {
        if (rows.every((row) => row[f] <= t)) continue;
        bestGini = Math.min(bestGini, giniOf((r) => rows[r][f] <= t));
      }
    }
    const chosen = giniOf((r) => rows[r][stump.feature[0]] <= stump.threshold[0]);
    assert.ok(Math.abs(chosen - bestGini) < 1e-9, `trial ${trial}: ${chosen} vs ${bestGini}`);
  }
});

test("random forest: same seed gives the same forest, another seed another; average of probabilities", () => {
  const ds = standardized("iris");
  const a = fitRandomForest(ds.train.X, ds.train.y, { task: "classification", nEstimators: 5, maxDepth: 4, seed: 3 });
  const b = fitRandomForest(ds.train.X, ds.train.y, { task: "classification", nEstimators: 5, maxDepth: 4, seed: 3 });
  const c = fitRandomForest(ds.train.X, ds.train.y, { task: "classification", nEstimators: 5, maxDepth: 4, seed: 4 });
  assert.equal(a.trees.map((t) => [...t.threshold]), b.trees.map((t) => [...t.threshold]));
  assert.not.equal(a.trees.map((t) => [...t.threshold]), c.trees.map((t) => [...t.threshold]));
  assert.is(a.aggregate, "average");
  assert.equal([...a.base], [0, 0, 0]);
  const probabilities = predictEnsemble(a, ds.test.X);
  for (let r = 0; r < probabilities.rows; r++) {
    const sum = probabilities.data.subarray(3 * r, 3 * r + 3).reduce((s, p) => s + p);
    assert.ok(Math.abs(sum - 1) < 1e-12);
  }
});

test("gradient boosting: base values, one tree per class per round, Newton leaf values", () => {
  const X = toDenseMatrix([[0], [1], [2], [3], [4], [5], [6], [7]]);
  const y = Int32Array.of(0, 0, 0, 1, 0, 1, 1, 1);
  const binary = fitGradientBoosting(X, y, { task: "classification", nEstimators: 1, maxDepth: 1, learningRate: 0.5 });
  assert.is(binary.aggregate, "sum");
  assert.equal([...binary.base], [0]); // prior 1/2
  // Round 1 from p = 1/2: a leaf with residuals r has value 0.5 · Σr / (n · ¼).
  const stump = binary.trees[0];
  assert.is(stump.threshold[0], 2.5);
  assert.ok(Math.abs(stump.value.data[stump.left[0]] - (0.5 * -1.5) / 0.75) < 1e-12);
  assert.ok(Math.abs(stump.value.data[stump.right[0]] - (0.5 * 1.5) / 1.25) < 1e-12);

  const ds = standardized("iris");
  const multi = fitGradientBoosting(ds.train.X, ds.train.y, { task: "classification", nEstimators: 4 });
  assert.is(multi.trees.length, 12);
  const priors = [0, 1, 2].map((k) => ds.train.y.filter((v) => v === k).length / ds.train.y.length);
  priors.forEach((p, k) => assert.ok(Math.abs(multi.base[k] - Math.log(p)) < 1e-12));
  multi.trees.forEach((tree, t) => {
    for (let node = 0; node < tree.feature.length; node++) {
      for (let k = 0; k < 3; k++) if (k !== t % 3) assert.is(tree.value.data[node * 3 + k], 0);
    }
  });

  const regression = fitGradientBoosting(X, Float64Array.from(y, (v, i) => v + i), { task: "regression", nEstimators: 200, maxDepth: 2 });
  assert.ok(Math.abs(regression.base[0] - 4) < 1e-12, "base = mean target");
  const fitted = predictEnsemble(regression, X).data;
  fitted.forEach((v, i) => assert.ok(Math.abs(v - (y[i] + i)) < 1e-3, `row ${i}: ${v}`));
});

const baselines = {
  breast_cancer: { tree: 0.9561, forest: 0.9649, boosting: 0.9561 },
  iris: { tree: 0.9667, forest: 0.9667, boosting: 0.9667 },
  digits: { tree: 0.7577, forest: 0.9443, boosting: 0.9443 },
};
for (const [name, baseline] of Object.entries(baselines)) {
  test(`${name}: tree depth 6, forest 50×6, boosting 50×3 near the float baselines`, () => {
    const ds = standardized(name);
    const task = "classification";
    const tree = fitDecisionTree(ds.train.X, ds.train.y, { task, maxDepth: 6 });
    const forest = fitRandomForest(ds.train.X, ds.train.y, { task, nEstimators: 50, maxDepth: 6, seed: 0 });
    const boosting = fitGradientBoosting(ds.train.X, ds.train.y, { task, nEstimators: 50, maxDepth: 3, learningRate: 0.1 });
    const treeAcc = accuracy(predictTree(tree, ds.test.X), ds.test.y);
    const forestAcc = accuracy(predictEnsemble(forest, ds.test.X), ds.test.y);
    const boostingAcc = accuracy(predictEnsemble(boosting, ds.test.X), ds.test.y);
    Object.assign(measured, { [`${name} tree`]: treeAcc, [`${name} forest`]: forestAcc, [`${name} boosting`]: boostingAcc });
    assert.ok(treeAcc >= baseline.tree - 0.04, `tree ${treeAcc}`);
    assert.ok(forestAcc >= baseline.forest - 0.03, `forest ${forestAcc}`);
    assert.ok(boostingAcc >= baseline.boosting - 0.03, `boosting ${boostingAcc}`);
  });
}

test("MNIST 8,000 × 784: a depth-6 tree trains in seconds", () => {
  const mnist = loadMnist({ train: 8000, test: 2000 });
  const start = performance.now();
  const tree = fitDecisionTree(mnist.train.X, mnist.train.y, { task: "classification", maxDepth: 6 });
  const seconds = (performance.now() - start) / 1000;
  const acc = accuracy(predictTree(tree, mnist.test.X), mnist.test.y);
  Object.assign(measured, { "mnist tree depth 6": acc, "mnist tree seconds": seconds });
  assert.ok(seconds < 10, `${seconds} s`);
  assert.ok(acc >= 0.7, `accuracy ${acc}`);
});

test.after(() => {
  if (process.env.BLINDML_TRAIN_REPORT === "1") console.table(measured);
});

test.run();
