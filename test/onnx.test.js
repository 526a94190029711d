// ONNX import: every fixture of test/fixtures/onnx (made by make_fixtures.py with torch /
// scikit-learn) parses, evaluates like the framework that made it, routes tree inputs to the same
// leaves, and every unsupported or broken model is refused with a typed OnnxImportError.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import protobuf from "protobufjs/light.js";
import {
  OnnxImportError,
  evaluateImported,
  parseOnnx,
  previousDouble,
  treeLeafIndices,
} from "../dist/src/ml/onnx.js";
import { ONNX_SCHEMA } from "../dist/src/ml/onnx-schema.js";

const FIXTURES = new URL("./fixtures/onnx/", import.meta.url);
const TOLERANCE = 1e-4;

const bytesOf = (name) => new Uint8Array(readFileSync(new URL(`${name}.onnx`, FIXTURES)));
const expectedOf = (name) => JSON.parse(readFileSync(new URL(`${name}.expected.json`, FIXTURES), "utf8"));
const matrix = (rows) => ({ rows: rows.length, cols: rows[0].length, data: Float64Array.from(rows.flat()) });

/** A seeded PRNG (mulberry32), so failures reproduce. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Runs fn and returns the OnnxImportError it throws (failing on anything else). */
function importError(fn, label = "") {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof OnnxImportError)) assert.unreachable(`${label}: expected an OnnxImportError, got ${e && e.stack}`);
    assert.instance(e, Error);
    assert.is(e.name, "OnnxImportError");
    return e;
  }
  assert.unreachable(`${label}: expected an OnnxImportError, nothing was thrown`);
}

function assertClose(actual, expectedRows, label) {
  assert.is(actual.rows, expectedRows.length, `${label}: rows`);
  assert.is(actual.cols, expectedRows[0].length, `${label}: cols`);
  expectedRows.flat().forEach((want, k) => {
    const got = actual.data[k];
    if (!(Math.abs(got - want) <= TOLERANCE)) {
      assert.unreachable(`${label}: output ${k} (row ${Math.floor(k / actual.cols)}) is ${got}, the framework gave ${want}`);
    }
  });
}

const argmax = (m, r) => {
  let best = 0;
  for (let c = 1; c < m.cols; c++) if (m.data[r * m.cols + c] > m.data[r * m.cols + best]) best = c;
  return best;
};

// ------------------------------------------------------------------------------------------
// Fixtures against their frameworks

const EVALUATED = [
  "mlp_torch",
  "mlp_torch_softmax",
  "mlp_matmul_sigmoid",
  "linear_classifier",
  "linear_classifier_iris",
  "linear_regressor",
  "tree_classifier",
  "tree_classifier_iris",
  "tree_regressor",
  "tree_regressor_avg",
];

for (const name of EVALUATED) {
  test(`${name}: evaluateImported matches the framework's outputs within ${TOLERANCE}`, () => {
    const expected = expectedOf(name);
    const model = parseOnnx(bytesOf(name));
    const X = matrix(expected.inputs);
    assert.ok(expected.inputs.length >= 20);
    assertClose(evaluateImported(model, X), expected.outputs, name);
    if (expected.labels) {
      const Y = evaluateImported(model, X);
      expected.labels.forEach((label, r) => assert.is(model.classLabels[argmax(Y, r)], label, `${name}: label of row ${r}`));
    }
  });
}

for (const name of ["tree_classifier", "tree_classifier_iris", "tree_regressor", "tree_regressor_avg"]) {
  test(`${name}: every row reaches exactly scikit-learn's leaf in every tree`, () => {
    const expected = expectedOf(name);
    const model = parseOnnx(bytesOf(name));
    assert.is(model.kind, "tree-ensemble");
    const leaves = treeLeafIndices(model.params, matrix(expected.inputs));
    assert.equal(Array.from(leaves), expected.leaves.flat());
  });
}

test("mlp_torch: Linear(64,32)-ReLU-Linear(32,10) from Gemm(transB=1) nodes", () => {
  const model = parseOnnx(bytesOf("mlp_torch"));
  assert.is(model.kind, "mlp");
  assert.is(model.output, "logits");
  assert.is(model.inputName, "input");
  assert.is(model.inputSize, 64);
  const [l0, l1] = model.params.layers;
  assert.is(model.params.layers.length, 2);
  assert.equal([l0.weights.rows, l0.weights.cols, l0.bias.length, l0.activation], [32, 64, 32, "relu"]);
  assert.equal([l1.weights.rows, l1.weights.cols, l1.bias.length, l1.activation], [10, 32, 10, "identity"]);
  assert.instance(l0.weights.data, Float64Array);
});

test("mlp_torch_softmax: Flatten of an N×1×8×8 input and a Softmax head", () => {
  const model = parseOnnx(bytesOf("mlp_torch_softmax"));
  assert.is(model.kind, "mlp");
  assert.is(model.output, "softmax");
  assert.is(model.inputName, "image");
  assert.is(model.inputSize, 64);
  // Same weights as mlp_torch.
  const plain = parseOnnx(bytesOf("mlp_torch"));
  assert.equal(Array.from(model.params.layers[1].weights.data), Array.from(plain.params.layers[1].weights.data));
});

test("mlp_matmul_sigmoid: MatMul + Add(bias first), Gemm alpha/beta, float64 raw_data and double_data", () => {
  const model = parseOnnx(bytesOf("mlp_matmul_sigmoid"));
  assert.is(model.kind, "mlp");
  assert.is(model.output, "sigmoid");
  assert.is(model.inputSize, 30);
  assert.equal(model.params.layers.map((l) => [l.weights.rows, l.weights.cols, l.activation]), [[16, 30, "relu"], [1, 16, "identity"]]);
});

test("linear_classifier: skl2onnx's [-w; w] binary layout collapses to one logistic row", () => {
  const model = parseOnnx(bytesOf("linear_classifier"));
  assert.is(model.kind, "linear");
  assert.is(model.task, "classification");
  assert.is(model.postTransform, "logistic");
  assert.equal(model.classLabels, [0, 1]);
  assert.equal([model.params.coef.rows, model.params.coef.cols, model.params.intercept.length], [1, 30, 1]);
  assert.is(model.inputSize, 30);
});

test("linear_classifier_iris: multinomial SOFTMAX behind Normalizer(L1) / Cast / ZipMap", () => {
  const model = parseOnnx(bytesOf("linear_classifier_iris"));
  assert.is(model.kind, "linear");
  assert.is(model.postTransform, "softmax");
  assert.equal(model.classLabels, [0, 1, 2]);
  assert.equal([model.params.coef.rows, model.params.coef.cols], [3, 4]);
});

test("linear_regressor and tree ensembles: task, aggregate, base values", () => {
  const lin = parseOnnx(bytesOf("linear_regressor"));
  assert.equal([lin.kind, lin.task, lin.postTransform, lin.classLabels], ["linear", "regression", "none", undefined]);
  const rf = parseOnnx(bytesOf("tree_classifier"));
  assert.equal([rf.task, rf.postTransform, rf.params.aggregate, rf.params.trees.length, rf.inputSize], ["classification", "none", "sum", 10, 30]);
  assert.equal(rf.classLabels, [0, 1]);
  assert.is(rf.params.base.length, 1); // binary: one score column, P(class 1)
  const iris = parseOnnx(bytesOf("tree_classifier_iris"));
  assert.equal([iris.params.trees.length, iris.params.base.length], [5, 3]);
  const gb = parseOnnx(bytesOf("tree_regressor"));
  assert.equal([gb.task, gb.params.aggregate, gb.params.trees.length], ["regression", "sum", 20]);
  assert.ok(gb.params.base[0] > 100); // GradientBoosting's init_ (mean target) in base_values
  const avg = parseOnnx(bytesOf("tree_regressor_avg"));
  assert.equal([avg.params.aggregate, avg.params.trees.length, avg.params.base[0]], ["average", 5, 0]);
  for (const model of [rf, iris, gb, avg]) {
    for (const tree of model.params.trees) {
      for (let i = 0; i < tree.feature.length; i++) {
        if (tree.feature[i] === -1) assert.equal([tree.left[i], tree.right[i]], [-1, -1]);
        else assert.ok(tree.left[i] > 0 && tree.right[i] > 0 && tree.left[i] !== tree.right[i]);
      }
    }
  }
});

test("tree_classifier_iris: its splits use all four branch modes", () => {
  const text = new TextDecoder().decode(bytesOf("tree_classifier_iris"));
  for (const mode of ["BRANCH_LEQ", "BRANCH_LT", "BRANCH_GT", "BRANCH_GTE"]) assert.ok(text.includes(mode), mode);
});

test("previousDouble: the largest float64 below t", () => {
  for (const t of [1, -1, 0.1, 1e-300, -2.5, 123456.789, Number.MIN_VALUE, 2 ** 53]) {
    const p = previousDouble(t);
    assert.ok(p < t, `${p} < ${t}`);
    assert.ok((p + t) / 2 === p || (p + t) / 2 === t, `nothing between ${p} and ${t}`);
  }
  assert.is(previousDouble(0), -Number.MIN_VALUE);
  assert.is(previousDouble(Infinity), Number.MAX_VALUE);
});

// ------------------------------------------------------------------------------------------
// Refusals

test("unsupported_conv: OnnxImportError UNSUPPORTED_OPERATOR naming Conv and its node", () => {
  const e = importError(() => parseOnnx(bytesOf("unsupported_conv")), "conv");
  assert.is(e.code, "UNSUPPORTED_OPERATOR");
  assert.is(e.operator, "Conv");
  assert.is(e.node, "conv1");
  assert.match(e.message, 'Unsupported ONNX operator "Conv" (node "conv1")');
});

test("truncated bytes: every prefix of every fixture is MALFORMED", () => {
  for (const name of [...EVALUATED, "unsupported_conv"]) {
    const bytes = bytesOf(name);
    const cuts = new Set([0, 1, 2, 10, bytes.length >> 2, bytes.length >> 1, bytes.length - 16, bytes.length - 2, bytes.length - 1]);
    if (bytes.length < 4096) for (let n = 0; n < bytes.length; n++) cuts.add(n);
    for (const n of cuts) {
      const e = importError(() => parseOnnx(bytes.slice(0, n)), `${name}[0, ${n})`);
      assert.is(e.code, "MALFORMED", `${name} cut at ${n}: ${e.message}`);
    }
  }
  const e = importError(() => parseOnnx(bytesOf("mlp_torch").slice(0, 5000)));
  assert.match(e.message, /truncated/);
});

test("random bytes and corrupted fixtures never crash: typed errors only", () => {
  const rnd = prng(20240611);
  for (let i = 0; i < 500; i++) {
    const bytes = Uint8Array.from({ length: 1 + Math.floor(rnd() * 2000) }, () => Math.floor(rnd() * 256));
    const e = importError(() => parseOnnx(bytes), `random #${i}`);
    assert.ok(["MALFORMED", "UNSUPPORTED_OPERATOR", "UNSUPPORTED_GRAPH"].includes(e.code));
  }
  for (const name of EVALUATED) {
    const original = bytesOf(name);
    for (let i = 0; i < 60; i++) {
      const bytes = original.slice();
      for (let k = 1 + Math.floor(rnd() * 4); k > 0; k--) bytes[Math.floor(rnd() * bytes.length)] = Math.floor(rnd() * 256);
      let model;
      try {
        model = parseOnnx(bytes);
      } catch (e) {
        if (!(e instanceof OnnxImportError)) assert.unreachable(`${name} corrupted #${i}: ${e && e.stack}`);
        continue;
      }
      // Whatever still imports can be evaluated.
      const X = { rows: 2, cols: model.inputSize, data: new Float64Array(2 * model.inputSize).fill(1) };
      evaluateImported(model, X);
    }
  }
  assert.is(importError(() => parseOnnx(new Uint8Array(0))).code, "MALFORMED");
  assert.is(importError(() => parseOnnx("not bytes")).code, "MALFORMED");
});

// Edited copies of the fixtures, for the refusals no fixture shows.
const root = protobuf.Root.fromJSON(ONNX_SCHEMA);
const ModelProto = root.lookupType("onnx.ModelProto");
function edited(name, edit) {
  const model = ModelProto.decode(bytesOf(name));
  edit(model);
  return ModelProto.encode(model).finish();
}
const utf8 = (s) => new TextEncoder().encode(s);
const attribute = (node, name) => node.attribute.find((a) => a.name === name);

test("edited fixtures: re-encoding an unchanged model still imports", () => {
  const model = parseOnnx(edited("tree_classifier", () => {}));
  assert.is(model.kind, "tree-ensemble");
});

test("edited fixtures: other unsupported operators and domains are named", () => {
  let e = importError(() => parseOnnx(edited("mlp_torch", (m) => { m.graph.node[1].op_type = "Tanh"; })));
  assert.equal([e.code, e.operator], ["UNSUPPORTED_OPERATOR", "Tanh"]);
  assert.match(e.message, 'Unsupported ONNX operator "Tanh" (node "/1/Relu")');
  e = importError(() => parseOnnx(edited("mlp_torch", (m) => {
    m.graph.node[0].domain = "com.microsoft";
    m.opset_import.push({ domain: "com.microsoft", version: 1 });
  })));
  assert.equal([e.code, e.operator], ["UNSUPPORTED_OPERATOR", "com.microsoft:Gemm"]);
  e = importError(() => parseOnnx(edited("linear_classifier", (m) => { m.graph.node[0].op_type = "SVMClassifier"; })));
  assert.equal([e.code, e.operator], ["UNSUPPORTED_OPERATOR", "SVMClassifier"]);
});

test("edited fixtures: supported operators in unsupported arrangements are UNSUPPORTED_GRAPH", () => {
  const cases = {
    "hidden Sigmoid": edited("mlp_torch", (m) => { m.graph.node[1].op_type = "Sigmoid"; }),
    "Relu on the input": edited("mlp_torch", (m) => {
      const relu = m.graph.node.splice(1, 1)[0];
      relu.input = ["input"];
      relu.output = ["relu_in"];
      m.graph.node[0].input[0] = "relu_in";
      m.graph.node.unshift(relu);
    }),
    "BRANCH_EQ split": edited("tree_classifier", (m) => { attribute(m.graph.node[0], "nodes_modes").strings[0] = utf8("BRANCH_EQ"); }),
    "MAX aggregate": edited("tree_regressor", (m) => { attribute(m.graph.node[0], "aggregate_function").s = utf8("MAX"); }),
    "OvR logistic + Normalizer": edited("linear_classifier_iris", (m) => { attribute(m.graph.node[0], "post_transform").s = utf8("LOGISTIC"); }),
    "string labels": edited("linear_classifier", (m) => {
      const a = attribute(m.graph.node[0], "classlabels_ints");
      a.name = "classlabels_strings";
      a.type = 8;
      a.ints = [];
      a.strings = [utf8("benign"), utf8("malignant")];
    }),
    "two outputs": edited("mlp_torch", (m) => { m.graph.output.push({ name: "/1/Relu_output_0" }); }),
  };
  for (const [label, bytes] of Object.entries(cases)) {
    const e = importError(() => parseOnnx(bytes), label);
    assert.is(e.code, "UNSUPPORTED_GRAPH", `${label}: ${e.message}`);
  }
});

test("edited fixtures: inconsistent models are MALFORMED", () => {
  const cases = {
    "weights shorter than their shape": edited("mlp_torch", (m) => { m.graph.initializer[0].raw_data = m.graph.initializer[0].raw_data.slice(0, 100); }),
    "tree links that do not form a tree": edited("tree_regressor", (m) => {
      attribute(m.graph.node[0], "nodes_truenodeids").ints[1] = 0; // node 1 of tree 0 points back to the root
    }),
    "tree cycle": edited("tree_regressor", (m) => {
      const node = m.graph.node[0];
      attribute(node, "nodes_truenodeids").ints[1] = 1; // node 1 is its own child: node 2 becomes unreachable
    }),
    "branch pointing to a missing node": edited("tree_regressor", (m) => { attribute(m.graph.node[0], "nodes_falsenodeids").ints[0] = 1000; }),
    "feature beyond the input": edited("tree_regressor", (m) => { attribute(m.graph.node[0], "nodes_featureids").ints[0] = 99; }),
    "coefficients for another width": edited("linear_regressor", (m) => { attribute(m.graph.node[0], "coefficients").floats.pop(); }),
  };
  for (const [label, bytes] of Object.entries(cases)) {
    const e = importError(() => parseOnnx(bytes), label);
    assert.is(e.code, "MALFORMED", `${label}: ${e.message}`);
  }
});

test.run();
