// Models compiled to FHE circuits, end to end: the FHE predictions equal the quantized-clear
// ("disable") ones, which stay close to the float model; the compiler's report and errors.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { LogisticRegression, LinearRegression, LinearSVC, MLPClassifier, compileGraph, CompileError } from "blindml";
import { readSharedDataset } from "../bench/lib/datasets.js";

const accuracy = (p, y) => p.filter((v, i) => v === y[i]).length / y.length;
const firstRows = (X, n) => ({ rows: n, cols: X.cols, data: X.data.slice(0, n * X.cols) });
const cancer = readSharedDataset("breast_cancer");
const iris = readSharedDataset("iris");

test("LogisticRegression (binary) in FHE equals the quantized model on every test row", async () => {
  const m = new LogisticRegression().fit(cancer.train.X, cancer.train.y).compile(cancer.train.X);
  const y = Array.from(cancer.test.y);
  const clear = m.predict(cancer.test.X);
  assert.ok(accuracy(clear, y) >= 0.97, `quantized accuracy ${accuracy(clear, y)}`);
  assert.is(m.circuit.report.bootstraps, 0, "a linear model is leveled");
  const fhe = await m.predict(cancer.test.X, { fhe: "execute" });
  assert.equal(fhe, clear);
  const proba = await m.predictProba(firstRows(cancer.test.X, 3), { fhe: "execute" });
  proba.forEach((p, i) => assert.ok(Math.abs(p[0] + p[1] - 1) < 1e-9 && (p[1] > 0.5 ? 1 : 0) === clear[i]));
  m.free();
});

test("LogisticRegression (multinomial) and LinearSVC in FHE on iris", async () => {
  for (const Model of [LogisticRegression, LinearSVC]) {
    const m = new Model().fit(iris.train.X, iris.train.y).compile(iris.train.X);
    const clear = m.predict(iris.test.X);
    assert.ok(accuracy(clear, Array.from(iris.test.y)) >= 0.9, `${Model.name}: ${accuracy(clear, Array.from(iris.test.y))}`);
    assert.equal(await m.predict(iris.test.X, { fhe: "execute" }), clear, Model.name);
    m.free();
  }
});

test("LinearRegression in FHE returns the quantized model's values exactly", async () => {
  const d = readSharedDataset("diabetes");
  const m = new LinearRegression().fit(d.train.X, d.train.y).compile(d.train.X);
  const X = firstRows(d.test.X, 10);
  const clear = m.predict(X), float = m.predictFloat(X);
  assert.equal(await m.predict(X, { fhe: "execute" }), clear);
  clear.forEach((v, i) => assert.ok(Math.abs(v - float[i]) < 3, `quantization error ${v - float[i]}`));
  m.free();
});

test("MLPClassifier: one bootstrap per hidden neuron; FHE agrees with the quantized model", async () => {
  const m = new MLPClassifier({ hidden: [8], epochs: 40, seed: 3 }).fit(cancer.train.X, cancer.train.y).compile(cancer.train.X);
  const y = Array.from(cancer.test.y);
  assert.ok(accuracy(m.predict(cancer.test.X), y) >= 0.9, `quantized accuracy ${accuracy(m.predict(cancer.test.X), y)}`);
  assert.is(m.circuit.report.bootstraps, 8);
  assert.is(m.circuit.report.keyswitches, 0, "inputs under the small key go straight to the bootstrap");
  // rows whose quantized-clear decision has a clear margin must decide the same under FHE
  const scores = m.scores(cancer.test.X);
  const margin = scores.map((s) => Math.abs(s[1] - s[0]));
  const rows = margin.map((g, i) => [g, i]).sort((a, b) => b[0] - a[0]).slice(0, 3).map(([, i]) => i);
  const X = { rows: 3, cols: cancer.test.X.cols, data: Float64Array.from(rows.flatMap((i) => Array.from(cancer.test.X.data.slice(i * 30, i * 30 + 30)))) };
  const fhe = await m.predict(X, { fhe: "execute" });
  assert.equal(fhe, m.predict(X));
  const sim = m.predict(cancer.test.X, { fhe: "simulate" });
  assert.ok(accuracy(sim, m.predict(cancer.test.X)) >= 0.97, "simulation agrees with the clear circuit");
  m.free();
});

test("the compiler refuses an exact lookup wider than any set resolves, naming the node", () => {
  const graph = {
    nodes: [
      { op: "input", size: 1, lo: 0, hi: 4095 },
      { op: "lookup", input: 0, source: new Int32Array([0]), table: new Int32Array([0]), functions: [(v) => v % 2], mode: "exact" },
    ],
  };
  try {
    compileGraph(graph, [[1], [4000]], { parameterSets: ["2_2"] });
    assert.unreachable("should not compile");
  } catch (e) {
    assert.instance(e, CompileError);
    assert.match(e.message, /lookup node 1/);
  }
  // 5-bit exact lookups fit 2_2 at 2^-40
  const ok = compileGraph({ nodes: [{ ...graph.nodes[0], hi: 31 }, graph.nodes[1]] }, [[1], [30]], { parameterSets: ["2_2"] });
  assert.is(ok.report.lookups[0].precision, 5);
  assert.ok(ok.report.log2PFailExact <= -40);
});

test.run();
