// src/ml/data.ts (CSV parsing, split datasets, standardization) and the Node loaders of
// bench/lib/datasets.js (shared CSVs, deterministic MNIST).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { parseCsv, loadSplitDataset, fitStandardizer, applyStandardizer, toClassIndices } from "../dist/src/ml/data.js";
import { toDenseMatrix } from "../dist/src/ml/types.js";
import { readSharedDataset, loadMnist } from "../bench/lib/datasets.js";

test("parseCsv: plain records, header, trailing newline", () => {
  const table = parseCsv("a,b,c\n1,2,3\n4,5,6\n");
  assert.equal(table.columns, ["a", "b", "c"]);
  assert.equal(table.rows, [["1", "2", "3"], ["4", "5", "6"]]);
});

test("parseCsv: quoted commas, doubled quotes, line breaks inside quotes, CRLF, BOM", () => {
  const text = '\uFEFFname,note\r\n"Smith, J.","said ""hi"""\r\n"multi\nline",""\r\nplain,x';
  const table = parseCsv(text);
  assert.equal(table.columns, ["name", "note"]);
  assert.equal(table.rows, [
    ["Smith, J.", 'said "hi"'],
    ["multi\nline", ""],
    ["plain", "x"],
  ]);
});

test("parseCsv: empty fields are kept, blank lines skipped, ragged records rejected", () => {
  assert.equal(parseCsv("a,b\n,\n\n1,\n").rows, [["", ""], ["1", ""]]);
  assert.throws(() => parseCsv("a,b\n1,2,3\n"), /3 fields/);
  assert.throws(() => parseCsv('a\n"open'), /quoted/);
  assert.throws(() => parseCsv(""), /header/);
});

test("loadSplitDataset: split column routes rows; target and split are not features", () => {
  const text = "x1,target,x2,split\n1,0,2,train\n3,1,4,test\n5,1,6,train\n7,0,8,other\n";
  const ds = loadSplitDataset(text, { target: "target", split: "split" });
  assert.equal(ds.featureNames, ["x1", "x2"]);
  assert.equal([...ds.train.X.data], [1, 2, 5, 6]);
  assert.equal([...ds.train.y], [0, 1]);
  assert.equal([...ds.test.X.data], [3, 4]);
  assert.equal([...ds.test.y], [1]);
});

test("loadSplitDataset: without a split column everything is training data; bad numbers throw", () => {
  const ds = loadSplitDataset("a,y\n1,2\n3,4\n", { target: "y" });
  assert.is(ds.train.X.rows, 2);
  assert.is(ds.test.X.rows, 0);
  assert.is(ds.test.X.cols, 1);
  assert.throws(() => loadSplitDataset("a,y\n1,x\n", { target: "y" }), /not a finite number/);
  assert.throws(() => loadSplitDataset("a,y\n1,2\n", { target: "label" }), /No column named "label"/);
});

test("toClassIndices accepts integral labels only", () => {
  assert.equal([...toClassIndices(Float64Array.of(0, 2, 1))], [0, 2, 1]);
  assert.throws(() => toClassIndices(Float64Array.of(0.5)));
  assert.throws(() => toClassIndices(Float64Array.of(-1)));
});

test("standardizer: train columns get mean 0 and std 1; a constant column stays finite", () => {
  const X = toDenseMatrix([
    [1, 10, 5],
    [2, 20, 5],
    [3, 60, 5],
  ]);
  const s = fitStandardizer(X);
  assert.equal([...s.mean], [2, 30, 5]);
  assert.ok(Math.abs(s.std[0] - Math.sqrt(2 / 3)) < 1e-15);
  assert.is(s.std[2], 1);
  const Z = applyStandardizer(s, X);
  for (let c = 0; c < 3; c++) {
    const column = [0, 1, 2].map((r) => Z.data[r * 3 + c]);
    const mean = column.reduce((a, b) => a + b) / 3;
    const variance = column.reduce((a, b) => a + (b - mean) ** 2, 0) / 3;
    assert.ok(Math.abs(mean) < 1e-12);
    assert.ok(Math.abs(variance - (c === 2 ? 0 : 1)) < 1e-12, `column ${c} variance ${variance}`);
  }
  assert.throws(() => applyStandardizer(s, toDenseMatrix([[1, 2]])), /columns/);
});

test("readSharedDataset: the shared CSVs load with their 80/20 split", () => {
  const sizes = { breast_cancer: [569, 30], iris: [150, 4], digits: [1797, 64], diabetes: [442, 10] };
  for (const [name, [rows, features]] of Object.entries(sizes)) {
    const ds = readSharedDataset(name);
    assert.is(ds.train.X.rows + ds.test.X.rows, rows, name);
    assert.is(ds.train.X.cols, features, name);
    assert.is(ds.featureNames.length, features, name);
    assert.ok(Math.abs(ds.test.X.rows / rows - 0.2) < 0.02, `${name}: ${ds.test.X.rows} test rows`);
  }
});

test("loadMnist: fixed, disjoint, stratified train/test with pixels in [0, 1]", () => {
  const first = loadMnist({ train: 8000, test: 2000 });
  const again = loadMnist({ train: 8000, test: 2000 });
  assert.is(first.train.X.rows, 8000);
  assert.is(first.test.X.rows, 2000);
  assert.is(first.test.X.cols, 784);
  assert.equal(first.test.y, again.test.y);
  assert.equal(first.test.X.data, again.test.X.data);
  let min = Infinity;
  let max = -Infinity;
  for (const v of first.test.X.data) {
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  assert.ok(min >= 0 && max <= 1 && max > 0.9, `pixel range [${min}, ${max}]`);
  // Stratified: every digit holds 8–12 % of the test set.
  for (let digit = 0; digit < 10; digit++) {
    const share = first.test.y.filter((y) => y === digit).length / 2000;
    assert.ok(share > 0.08 && share < 0.12, `digit ${digit}: ${share}`);
  }
  // A smaller request is a prefix of the same order.
  const small = loadMnist({ train: 100, test: 10 });
  assert.equal(small.train.y, first.train.y.subarray(0, 100));
});

test("shiftAugment: one copy per shift, pixels moved with zeros shifted in, labels kept", async () => {
  const { shiftAugment, denseMatrix } = await import("blindml");
  // one 3×2 image: rows [1 2 3] / [4 5 6]
  const X = denseMatrix(1, 6, Float64Array.from([1, 2, 3, 4, 5, 6]));
  const out = shiftAugment(X, [7], { width: 3, height: 2 }, [[0, 0], [1, 0], [0, -1]]);
  assert.is(out.X.rows, 3);
  assert.equal(Array.from(out.y), [7, 7, 7]);
  assert.equal(Array.from(out.X.data.slice(0, 6)), [1, 2, 3, 4, 5, 6]);
  assert.equal(Array.from(out.X.data.slice(6, 12)), [0, 1, 2, 0, 4, 5]); // right by one
  assert.equal(Array.from(out.X.data.slice(12, 18)), [4, 5, 6, 0, 0, 0]); // up by one
  assert.throws(() => shiftAugment(X, [7], { width: 2, height: 2 }), /2×2 image/);
});

test.run();
