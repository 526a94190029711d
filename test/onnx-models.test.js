// importOnnx: ONNX fixtures (test/fixtures/onnx, made by make_fixtures.py with torch and
// scikit-learn) become native models that compile and agree with the float ONNX graph
// (evaluateImported) and with the native model built from the same parameters.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import protobuf from "protobufjs/light.js";
import {
  importOnnx, parseOnnx, evaluateImported, OnnxImportError,
  MLPClassifier, RandomForestClassifier, GradientBoostingClassifier, GradientBoostingRegressor, RandomForestRegressor,
  LogisticRegression, LinearRegression,
} from "blindml";
import { ONNX_SCHEMA } from "../dist/src/ml/onnx-schema.js";
import { readSharedDataset } from "../bench/lib/datasets.js";

const FIXTURES = new URL("./fixtures/onnx/", import.meta.url);
const bytesOf = (name) => new Uint8Array(readFileSync(new URL(`${name}.onnx`, FIXTURES)));
const firstRows = (X, n) => ({ rows: n, cols: X.cols, data: X.data.slice(0, n * X.cols) });
const agreement = (a, b) => a.filter((v, i) => v === b[i]).length / a.length;

/** The class the float ONNX graph predicts per row (one column: P(class 1) > ½). */
function onnxPredictions(imported, X, labels = imported.classLabels) {
  const out = evaluateImported(imported, X);
  return Array.from({ length: out.rows }, (_, r) => {
    const row = out.data.subarray(r * out.cols, (r + 1) * out.cols);
    const best = out.cols === 1 ? (row[0] > 0.5 ? 1 : 0) : row.indexOf(Math.max(...row));
    return labels ? labels[best] : best;
  });
}

// Edited copies of the fixtures (protobuf round trip), for layouts no fixture holds.
const ModelProto = protobuf.Root.fromJSON(ONNX_SCHEMA).lookupType("onnx.ModelProto");
function edited(name, edit) {
  const model = ModelProto.decode(bytesOf(name));
  edit(model.graph.node.find((n) => n.domain === "ai.onnx.ml"));
  return ModelProto.encode(model).finish();
}
const setAttribute = (node, attribute) => {
  node.attribute = node.attribute.filter((a) => a.name !== attribute.name).concat([attribute]);
};

const digits = readSharedDataset("digits");
const cancer = readSharedDataset("breast_cancer");
const iris = readSharedDataset("iris");
const diabetes = readSharedDataset("diabetes");

test("torch MLP (digits): agrees with the float graph and with MLPClassifier.fromFloat; FHE equals the clear circuit", async () => {
  const imported = parseOnnx(bytesOf("mlp_torch"));
  const model = importOnnx(bytesOf("mlp_torch")).compile(digits.train.X);
  assert.instance(model, MLPClassifier);
  // the imported network takes raw pixels, as the ONNX graph does
  const float = evaluateImported(imported, digits.test.X);
  model.floatScores(digits.test.X).forEach((row, r) => row.forEach((v, c) => assert.ok(Math.abs(v - float.data[r * 10 + c]) < 1e-9)));
  const clear = model.predict(digits.test.X);
  const agree = agreement(clear, onnxPredictions(imported, digits.test.X, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
  assert.ok(agree >= 0.95, `quantized vs float ONNX: ${agree}`);
  // the same float weights through the native post-training path: the same integer circuit
  const classes = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const native = new MLPClassifier({ hidden: [32] })
    .fromFloat(imported.params, digits.train.X, classes, { inputBits: 5, weightBits: 5, activationBits: 5 })
    .compile(digits.train.X);
  assert.equal(native.quantizedNetwork, model.quantizedNetwork);
  assert.equal(native.predict(digits.test.X), clear);
  const X = firstRows(digits.test.X, 2);
  assert.equal(await model.predict(X, { fhe: "execute" }), model.predict(X));
  model.free();
});

test("MatMul/Add/Sigmoid network (breast_cancer): one logit becomes two classes", () => {
  const imported = parseOnnx(bytesOf("mlp_matmul_sigmoid"));
  const model = importOnnx(bytesOf("mlp_matmul_sigmoid")).compile(cancer.train.X);
  const agree = agreement(model.predict(cancer.test.X), onnxPredictions(imported, cancer.test.X));
  assert.ok(agree >= 0.95, `quantized vs float ONNX: ${agree}`);
  const p = evaluateImported(imported, cancer.test.X).data;
  const proba = model.predictProba(cancer.test.X);
  const meanError = proba.reduce((s, [, p1], r) => s + Math.abs(p1 - p[r]), 0) / proba.length;
  assert.ok(meanError < 0.05, `mean |P(class 1) − ONNX| = ${meanError}`);
});

test("RandomForest (iris): agrees with the float graph and with RandomForestClassifier.fromTrees; FHE equals the clear circuit", async () => {
  const imported = parseOnnx(bytesOf("tree_classifier_iris"));
  const model = importOnnx(bytesOf("tree_classifier_iris")).compile(iris.train.X);
  assert.instance(model, RandomForestClassifier);
  const clear = model.predict(iris.test.X);
  const agree = agreement(clear, onnxPredictions(imported, iris.test.X));
  assert.ok(agree >= 0.95, `quantized vs float ONNX: ${agree}`);
  // skl2onnx divides a forest's leaf probabilities by its number of trees: undo it for the native class
  const T = imported.params.trees.length;
  const trees = imported.params.trees.map((t) => ({ ...t, value: { ...t.value, data: t.value.data.map((v) => v * T) } }));
  const native = new RandomForestClassifier().fromTrees({ trees, aggregate: "average", base: new Float64Array(3) }, [0, 1, 2]).compile(iris.train.X);
  assert.equal(native.predict(iris.test.X), clear);
  assert.equal(native.scores(iris.test.X), model.scores(iris.test.X));
  const X = firstRows(iris.test.X, 2);
  assert.equal(await model.predict(X, { fhe: "execute" }), model.predict(X));
  model.free();
});

test("RandomForest (breast_cancer, binary P(class 1) layout) and its labels", () => {
  const imported = parseOnnx(bytesOf("tree_classifier"));
  const model = importOnnx(bytesOf("tree_classifier")).compile(cancer.train.X);
  const agree = agreement(model.predict(cancer.test.X), onnxPredictions(imported, cancer.test.X));
  assert.ok(agree >= 0.95, `quantized vs float ONNX: ${agree}`);
  // class labels come from the graph
  const relabeled = edited("tree_classifier", (node) => { node.attribute.find((a) => a.name === "classlabels_int64s").ints = [7, 9]; });
  const labels = importOnnx(relabeled).compile(cancer.train.X).predict(cancer.test.X);
  assert.equal(labels, model.predict(cancer.test.X).map((c) => [7, 9][c]));
});

test("boosted trees: a LOGISTIC classifier with base_values and SUM / AVERAGE regressors", () => {
  // σ(Σ P/T − ½) > ½ ⇔ the forest's P(class 1) > ½: a boosting-layout classifier with known decisions
  const boosted = edited("tree_classifier", (node) => {
    node.attribute.find((a) => a.name === "post_transform").s = new TextEncoder().encode("LOGISTIC");
    setAttribute(node, { name: "base_values", type: 6, floats: [-0.5] });
  });
  const imported = parseOnnx(boosted);
  const model = importOnnx(boosted).compile(cancer.train.X);
  assert.instance(model, GradientBoostingClassifier);
  const agree = agreement(model.predict(cancer.test.X), onnxPredictions(imported, cancer.test.X));
  assert.ok(agree >= 0.95, `quantized vs float ONNX: ${agree}`);
  for (const [name, Model] of [["tree_regressor", GradientBoostingRegressor], ["tree_regressor_avg", RandomForestRegressor]]) {
    const reg = importOnnx(bytesOf(name)).compile(diabetes.train.X);
    assert.instance(reg, Model);
    const want = evaluateImported(parseOnnx(bytesOf(name)), diabetes.test.X).data;
    const mae = reg.predict(diabetes.test.X).reduce((s, v, r) => s + Math.abs(v - want[r]), 0) / want.length;
    assert.ok(mae < 5, `${name}: mean |quantized − ONNX| = ${mae} (targets 25…346)`);
  }
});

test("linear models: coefficients become LogisticRegression / LinearRegression", () => {
  for (const [name, data] of [["linear_classifier", cancer], ["linear_classifier_iris", iris]]) {
    const model = importOnnx(bytesOf(name)).compile(data.train.X);
    assert.instance(model, LogisticRegression);
    const agree = agreement(model.predict(data.test.X), onnxPredictions(parseOnnx(bytesOf(name)), data.test.X));
    assert.ok(agree >= 0.95, `${name}: ${agree}`);
  }
  const reg = importOnnx(bytesOf("linear_regressor")).compile(diabetes.train.X);
  assert.instance(reg, LinearRegression);
  const want = evaluateImported(parseOnnx(bytesOf("linear_regressor")), diabetes.test.X).data;
  // (a few test rows lie outside the calibration range and are clamped: compare the mean error)
  const mae = reg.predict(diabetes.test.X).reduce((s, v, r) => s + Math.abs(v - want[r]), 0) / want.length;
  assert.ok(mae < 2, `mean |quantized − ONNX| = ${mae}`);
});

test("an unsupported operator: OnnxImportError naming it", () => {
  try {
    importOnnx(bytesOf("unsupported_conv"));
    assert.unreachable("Conv must be refused");
  } catch (e) {
    assert.instance(e, OnnxImportError);
    assert.equal([e.code, e.operator], ["UNSUPPORTED_OPERATOR", "Conv"]);
    assert.match(e.message, /"Conv"/);
  }
});

test.run();
