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

test("an output summing many bootstrap outputs moves to the two-level bootstrap set (2_2_L2), unless noise is allowed", () => {
  // 16 lookups (identity on 4 bits) summed with weight 7 into an 11-bit output: at 2_2 the sum's
  // noise is σ ≈ 2^−14.8·28 torus ≈ 4 output units; 2_2_L2's bootstrap (2^7.2 quieter) brings it under one.
  const size = 16;
  const graph = {
    nodes: [
      { op: "input", size, lo: 0, hi: 15 },
      { op: "lookup", input: 0, source: Int32Array.from({ length: size }, (_, i) => i), table: new Int32Array(size), functions: [(v) => v], mode: "exact" },
      { op: "linear", input: 1, rows: 1, cols: size, weights: new Int32Array(size).fill(7), bias: new Float64Array(1) },
    ],
    outputMode: "approximate",
  };
  const calibration = [new Array(size).fill(0), new Array(size).fill(15)];
  const strict = compileGraph(graph, calibration);
  assert.is(strict.parameterSet, "2_2_L2");
  assert.ok(strict.report.outputNoise <= 1, `σ ${strict.report.outputNoise}`);
  const loose = compileGraph(graph, calibration, { maxOutputNoise: Infinity });
  assert.is(loose.parameterSet, "2_2");
  assert.ok(loose.report.outputNoise > 1, `σ ${loose.report.outputNoise}`);
});

test("MLPClassifier scales narrow neurons to fill the accumulator encoding (rows ×2^s, tables ÷2^s), same predictions", () => {
  const opts = { hidden: [16], epochs: 30, seed: 2 };
  const scaled = new MLPClassifier(opts).fit(cancer.train.X, cancer.train.y).compile(cancer.train.X);
  const plain = new MLPClassifier({ ...opts, neuronScaling: false }).fit(cancer.train.X, cancer.train.y).compile(cancer.train.X);
  const lookup = scaled.circuit.nodes[2];
  assert.ok(Math.max(...lookup.table) > 0, "some neuron is scaled");
  assert.is(scaled.circuit.encodings[1].bits, plain.circuit.encodings[1].bits, "the shared encoding does not widen");
  const a = scaled.predict(cancer.test.X), b = plain.predict(cancer.test.X);
  assert.ok(accuracy(a, b) >= 0.97, `agreement ${accuracy(a, b)}`);
});

test("a large query runs chunk by chunk (masks re-expanded per chunk): the same ciphertexts as one chunk", async () => {
  const { engine, CircuitExecutor, encryptRows, decryptRows, runSeededInChunks, quantizeRows, runClear } = await import("blindml");
  const m = new LogisticRegression().fit(cancer.train.X, cancer.train.y).compile(cancer.train.X);
  const e = await engine.loadEngine();
  const set = engine.PARAMETER_SETS[m.circuit.parameterSet];
  const ck = e.generateClientKey(set);
  const ev = e.createLeveledEvaluator(set);
  const executor = new CircuitExecutor(ev, m.circuit);
  const rows = quantizeRows(m.clientSpec.input, cancer.test.X).slice(0, 7);
  const query = encryptRows(ck, m.clientSpec.circuit, rows);
  const whole = await runSeededInChunks(ev, m.circuit, query, (v) => executor.run(v));
  const oneRowEach = await runSeededInChunks(ev, m.circuit, query, (v) => executor.run(v), 1);
  assert.equal(oneRowEach.toBytes(), whole.toBytes());
  assert.equal(decryptRows(ck, m.clientSpec.circuit, oneRowEach).map((r) => Array.from(r)), runClear(m.circuit, rows).map((r) => Array.from(r)));
  whole.free(); oneRowEach.free(); executor.free(); ev.free(); ck.free();
});

test.run();
