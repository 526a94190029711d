// Tree models (src/ml/models/trees.ts): trees fit on quantized features, compiled to the
// comparison → path-sum → leaf lookup circuit. Each model is checked against a clear reference
// computed here by walking its quantized trees, against its float twin's accuracy, and once end
// to end under real encryption (a few rows, a few dozen bootstraps each).
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  DecisionTreeClassifier, DecisionTreeRegressor, RandomForestClassifier, RandomForestRegressor,
  GradientBoostingClassifier, GradientBoostingRegressor,
} from "../dist/src/ml/models/trees.js";
import { readSharedDataset } from "../bench/lib/datasets.js";

const iris = readSharedDataset("iris");
const cancer = readSharedDataset("breast_cancer");
const diabetes = readSharedDataset("diabetes");

const rowsOf = (X) => Array.from({ length: X.rows }, (_, r) => X.data.slice(r * X.cols, (r + 1) * X.cols));
const allRows = (ds) => [...rowsOf(ds.train.X), ...rowsOf(ds.test.X)];
const allLabels = (ds) => [...ds.train.y, ...ds.test.y];
const accuracy = (predicted, labels) => predicted.filter((p, i) => p === labels[i]).length / labels.length;
const agreement = (a, b) => a.filter((v, i) => v === b[i]).length / a.length;

/** The client's quantizer, written out: q = clamp(round(x·scale + offset), lo, hi). */
function quantizeRow(input, x) {
  return Array.from(x, (v, c) => Math.min(input.hi, Math.max(input.lo, Math.round(v * input.scale[c] + input.offset[c]))));
}

function leafOf(tree, q) {
  let node = 0;
  while (tree.feature[node] >= 0) node = q[tree.feature[node]] <= tree.threshold[node] ? tree.left[node] : tree.right[node];
  return node;
}

function argmax(values) {
  let best = 0;
  for (let j = 1; j < values.length; j++) if (values[j] > values[best]) best = j;
  return best;
}

const quantizedModels = new WeakMap();
function quantizedModel(model) {
  if (!quantizedModels.has(model)) quantizedModels.set(model, model.quantizedModel());
  return quantizedModels.get(model);
}

/** Reference scores: walk every quantized tree on the quantized row, sum its integer leaf values. */
function integerScores(model, x) {
  const qm = quantizedModel(model);
  const q = quantizeRow(qm.input, x);
  const outputs = qm.offset.length;
  const sums = new Array(outputs).fill(0);
  qm.ensemble.trees.forEach((tree, t) => {
    const leaf = leafOf(tree, q);
    for (let o = 0; o < outputs; o++) sums[o] += qm.leafValues[t].data[leaf * outputs + o];
  });
  return sums.map((s, o) => qm.scale * s + qm.offset[o]);
}

/** Reference scores from the quantized trees' FLOAT leaves: hard votes, or base + mean / sum. */
function floatLeafScores(model, x, { votes = false } = {}) {
  const qm = quantizedModel(model);
  const q = quantizeRow(qm.input, x);
  const { trees, aggregate, base } = qm.ensemble;
  const outputs = base.length;
  const sums = new Array(outputs).fill(0);
  for (const tree of trees) {
    const leaf = leafOf(tree, q);
    const row = tree.value.data.slice(leaf * outputs, (leaf + 1) * outputs);
    if (votes) sums[argmax(row)] += 1;
    else for (let o = 0; o < outputs; o++) sums[o] += row[o];
  }
  if (votes) return sums;
  return sums.map((s, o) => (aggregate === "average" ? s / trees.length : s) + base[o]);
}

/** Class label from reference scores: the sign of one log-odds, else the argmax. */
function decideClass(ds, scores) {
  const classes = [...new Set(Array.from(ds.train.y))].sort((a, b) => a - b);
  return classes[scores.length === 1 ? (scores[0] > 0 ? 1 : 0) : argmax(scores)];
}

/** Structural checks every tree circuit must pass. */
function checkCircuit(model) {
  const qm = model.quantizedModel();
  // trees on integer features: every threshold is k + ½ inside the input range
  for (const tree of qm.ensemble.trees) {
    tree.feature.forEach((f, node) => {
      if (f < 0) return;
      const t = tree.threshold[node];
      assert.ok(Number.isInteger(t - 0.5) && t > qm.input.lo && t < qm.input.hi, `threshold ${t}`);
    });
  }
  for (const values of qm.leafValues) assert.ok(values.data.every(Number.isInteger));
  const { nodes, report } = model.circuit;
  assert.equal(nodes.map((n) => n.op), ["input", "lookup", "linear", "lookup", "linear"]);
  assert.ok(nodes[1].mode === "exact" && nodes[3].mode === "exact");
  assert.is(nodes[0].hi, 31); // 5-bit features
  // one comparison per distinct (feature, threshold), each used by some tree
  const used = new Set(qm.ensemble.trees.flatMap((tree) => Array.from(tree.feature, (f, node) => (f >= 0 ? `${f}|${tree.threshold[node]}` : null)).filter(Boolean)));
  const compared = Array.from(nodes[1].source, (f, i) => {
    const table = nodes[1].tables[nodes[1].table[i]];
    const t = table.findIndex((v) => v === 1) - 0.5; // e = [q > t]: the first 1 sits at q = t + ½
    return `${f}|${t}`;
  });
  assert.is(new Set(compared).size, compared.length, "duplicate comparisons");
  for (const key of compared) assert.ok(used.has(key), `comparison ${key} is in no tree`);
  assert.is(report.bootstraps, nodes[1].source.length + nodes[3].source.length);
  assert.is(report.parameterSet, "2_2");
}

/**
 * Rows to encrypt: up to `count` test rows, of different predicted classes where possible. When
 * the output is approximate (± a fraction of a unit of noise), only rows whose decision margin is
 * at least 4 output units, so that the comparison with the clear prediction is deterministic.
 */
function fheRows(model, ds, count) {
  const rows = rowsOf(ds.test.X);
  if (model.task === "regression") return rows.slice(0, count);
  const { scale, offset } = model.clientSpec.output;
  const units = model.scores(rows).map((s) => Array.from(s, (v, j) => (v - offset[j]) / scale));
  const margin = (u) => {
    if (u.length === 1) return Math.abs(u[0] + offset[0] / scale);
    const sorted = [...u].sort((a, b) => b - a);
    return sorted[0] - sorted[1];
  };
  const candidates = rows.map((_, r) => r).filter((r) => model.circuit.report.outputMode === "exact" || margin(units[r]) >= 4);
  const predicted = model.predict(rows);
  const picked = [];
  const seen = new Set();
  for (const r of candidates) if (!seen.has(predicted[r]) && picked.length < count) { seen.add(predicted[r]); picked.push(r); }
  for (const r of candidates) if (picked.length < count && !picked.includes(r)) picked.push(r);
  return picked.map((r) => rows[r]);
}

const fheTimes = [];
async function checkFhe(model, ds, count = 3) {
  const rows = fheRows(model, ds, count);
  const clear = model.predict(rows);
  const start = performance.now();
  const pending = model.predict(rows, { fhe: "execute" });
  assert.instance(pending, Promise);
  const encrypted = await pending;
  fheTimes.push(`${model.modelName}: ${rows.length} rows × ${model.circuit.report.bootstraps} bootstraps, ${(performance.now() - start).toFixed(0)} ms`);
  model.free();
  if (model.task === "regression") {
    const scale = model.clientSpec.output.scale;
    // approximate outputs may carry ±1 unit of noise; exact ones decrypt to the clear value
    const tolerance = model.circuit.report.outputMode === "exact" ? 1e-9 : 2.5 * scale;
    encrypted.forEach((v, i) => assert.ok(Math.abs(v - clear[i]) <= tolerance, `row ${i}: ${v} vs ${clear[i]}`));
  } else {
    assert.equal(encrypted, clear);
  }
}

function checkClassifier(model, ds, { votes, minFloatAgreement = 0.97, maxAccuracyDrop = 0.05 }) {
  checkCircuit(model);
  const X = allRows(ds), y = allLabels(ds);
  const predicted = model.predict(X);
  // the circuit in the clear = the integer model walked here
  const reference = X.map((x) => decideClass(ds, integerScores(model, x)));
  assert.ok(agreement(predicted, reference) >= 0.99, `clear circuit vs integer reference: ${agreement(predicted, reference)}`);
  // … and the quantized trees with their float leaves decide (almost) alike
  const floatLeaves = X.map((x) => decideClass(ds, floatLeafScores(model, x, { votes })));
  assert.ok(agreement(predicted, floatLeaves) >= minFloatAgreement, `vs float leaves: ${agreement(predicted, floatLeaves)}`);
  // quantized accuracy close to the float model's (fit on raw features)
  const testX = rowsOf(ds.test.X);
  const floatAcc = accuracy(model.predictFloat(testX), Array.from(ds.test.y));
  const quantAcc = accuracy(model.predict(testX), Array.from(ds.test.y));
  assert.ok(quantAcc >= floatAcc - maxAccuracyDrop, `quantized ${quantAcc} vs float ${floatAcc}`);
  assert.ok(accuracy(predicted, y) > 0.9);
}

function checkRegressor(model, ds) {
  checkCircuit(model);
  const X = allRows(ds);
  const predicted = model.predict(X);
  const qm = model.quantizedModel();
  const trees = qm.ensemble.trees.length;
  X.forEach((x, r) => {
    const exact = integerScores(model, x)[0];
    assert.ok(Math.abs(predicted[r] - exact) <= 1e-9 * Math.max(1, Math.abs(exact)), `row ${r}: ${predicted[r]} vs ${exact}`);
    // each leaf is off by at most half a step: the sum by trees·scale/2 (a mean by scale/2·trees/trees)
    const float = floatLeafScores(model, x)[0];
    assert.ok(Math.abs(predicted[r] - float) <= (trees * qm.scale) / 2 + 1e-9, `row ${r}: ${predicted[r]} vs float leaves ${float}`);
  });
  // R² of the quantized model stays near the float model's
  const testX = rowsOf(ds.test.X), yt = Array.from(ds.test.y);
  const r2 = (p) => {
    const mean = yt.reduce((a, b) => a + b, 0) / yt.length;
    return 1 - yt.reduce((s, v, i) => s + (v - p[i]) ** 2, 0) / yt.reduce((s, v) => s + (v - mean) ** 2, 0);
  };
  assert.ok(r2(model.predict(testX)) >= r2(model.predictFloat(testX)) - 0.15);
}

test("DecisionTreeClassifier (iris, depth 3): clear circuit = quantized tree; FHE = clear", async () => {
  const model = new DecisionTreeClassifier({ maxDepth: 3 }).fit(iris.train.X, iris.train.y).compile(iris.train.X);
  assert.is(model.circuit.report.outputMode, "exact");
  // one tree, hard votes: the circuit's prediction is the tree's, exactly
  checkClassifier(model, iris, { votes: true, minFloatAgreement: 1 });
  await checkFhe(model, iris);
});

test("RandomForestClassifier (iris, 3 trees of depth 3): votes; comparisons shared across trees", async () => {
  const model = new RandomForestClassifier({ nEstimators: 3, maxDepth: 3, seed: 1, voting: "hard" }).fit(iris.train.X, iris.train.y).compile(iris.train.X);
  assert.is(model.circuit.report.outputMode, "exact");
  // hard votes in the circuit and in the reference: the same decision
  checkClassifier(model, iris, { votes: true, minFloatAgreement: 1 });
  const internal = model.quantizedModel().ensemble.trees.reduce((n, t) => n + t.feature.filter((f) => f >= 0).length, 0);
  assert.ok(model.circuit.nodes[1].source.length <= internal);
  await checkFhe(model, iris);
});

test("RandomForestClassifier soft voting (breast_cancer): quantized probabilities", () => {
  const model = new RandomForestClassifier({ nEstimators: 3, maxDepth: 3, voting: "soft" }).fit(cancer.train.X, cancer.train.y).compile(cancer.train.X);
  checkClassifier(model, cancer, { votes: false, minFloatAgreement: 0.97 });
});

test("GradientBoostingClassifier binary (breast_cancer, 3 rounds): log-odds on integer leaves", async () => {
  const model = new GradientBoostingClassifier({ nEstimators: 3, maxDepth: 3 }).fit(cancer.train.X, cancer.train.y).compile(cancer.train.X);
  assert.is(model.clientSpec.output.kind, "sigmoid");
  checkClassifier(model, cancer, { votes: false, minFloatAgreement: 0.97 });
  await checkFhe(model, cancer);
});

test("GradientBoostingClassifier multiclass (iris, 3 rounds × 3 classes)", async () => {
  const model = new GradientBoostingClassifier({ nEstimators: 3, maxDepth: 2, learningRate: 0.3 }).fit(iris.train.X, iris.train.y).compile(iris.train.X);
  assert.is(model.clientSpec.output.kind, "softmax");
  assert.is(model.quantizedModel().ensemble.trees.length, 9);
  checkClassifier(model, iris, { votes: false, minFloatAgreement: 0.97 });
  await checkFhe(model, iris);
});

test("DecisionTreeRegressor (diabetes, depth 3)", async () => {
  const model = new DecisionTreeRegressor({ maxDepth: 3 }).fit(diabetes.train.X, diabetes.train.y).compile(diabetes.train.X);
  checkRegressor(model, diabetes);
  await checkFhe(model, diabetes);
});

test("RandomForestRegressor (diabetes, 3 trees of depth 3)", async () => {
  const model = new RandomForestRegressor({ nEstimators: 3, maxDepth: 3 }).fit(diabetes.train.X, diabetes.train.y).compile(diabetes.train.X);
  checkRegressor(model, diabetes);
  await checkFhe(model, diabetes, 2);
});

test("GradientBoostingRegressor (diabetes, 3 rounds)", async () => {
  const model = new GradientBoostingRegressor({ nEstimators: 3, maxDepth: 3 }).fit(diabetes.train.X, diabetes.train.y).compile(diabetes.train.X);
  checkRegressor(model, diabetes);
  await checkFhe(model, diabetes, 2);
});

test("the output range covers every reachable leaf combination", () => {
  const model = new RandomForestClassifier({ nEstimators: 5, maxDepth: 3, voting: "hard" }).fit(iris.train.X, iris.train.y);
  // calibrate on a handful of rows only: the range must still hold all 0…5 vote counts
  model.compile(rowsOf(iris.train.X).slice(0, 3));
  const enc = model.circuit.encodings[model.circuit.encodings.length - 1];
  assert.ok(enc.lo <= 0 && enc.hi >= 5, `[${enc.lo}, ${enc.hi}]`);
  const X = allRows(iris);
  assert.equal(model.predict(X), X.map((x) => decideClass(iris, integerScores(model, x))));
});

test("errors: predict before compile, input bits fixed at fit", () => {
  const model = new DecisionTreeClassifier({ maxDepth: 2 });
  assert.throws(() => model.compile(rowsOf(iris.train.X)), /not fitted/);
  model.fit(iris.train.X, iris.train.y);
  assert.throws(() => model.predict(rowsOf(iris.test.X)), /not compiled/);
  assert.throws(() => model.compile(iris.train.X, { nBits: 6 }), /5-bit/);
  model.compile(iris.train.X, { nBits: { inputs: 5 } });
  assert.ok(model.isCompiled);
});

test.after(() => {
  console.log(`\n  FHE runs:\n    ${fheTimes.join("\n    ")}`);
});

test.run();
