// bench/lib/report-mnist.js: the "MNIST under FHE" section of BENCHMARKS.md, from the lines of
// bench/results/mnist-fhe.jsonl (here synthetic) and the models bench's mnist row.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { renderMnistFhe } from "../bench/lib/report-mnist.js";

const header = (extra = {}) => ({ header: true, circuit: "c1", computation: "k1", set: "2_2_L2", bootstraps: 392, workers: 2, engine: "abc1234 wasm:ff", ...extra });
const digit = (index, truth, clear, fhe, extra = {}) => ({ circuit: "c1", computation: "k1", engine: "abc1234 wasm:ff", index, truth, clear, fhe, ms: 7000, ...extra });

test("renderMnistFhe: accuracy, agreement and latency of the latest computation only", () => {
  const lines = [
    { header: true, circuit: "old", computation: "k0", set: "2_2", bootstraps: 10, workers: 1 },
    digit(0, 1, 2, 2, { circuit: "old", computation: "k0" }), // another computation: ignored
    header(),
    digit(0, 7, 7, 7),
    digit(1, 2, 2, 3), // FHE differs from the clear circuit, and is wrong
    digit(2, 1, 4, 4), // both wrong, in agreement
    digit(3, 0, 0, 0),
    digit(3, 0, 0, 0), // a digit recorded twice counts once
    header({ mode: "latency", engine: "def5678 wasm:ff", machine: { cpu: "Test CPU", cores: 2, node: "v20.0.0" }, started: "2026-01-01T00:00:00.000Z" }),
    { latency: true, circuit: "c1", computation: "k1", workers: 2, index: 5, truth: 1, clear: 1, fhe: 1, ms: 6000 },
    { latency: true, circuit: "c1", computation: "k1", workers: 2, index: 9, truth: 3, clear: 3, fhe: 3, ms: 8000 },
  ];
  const md = renderMnistFhe(lines, { results: [{ dataset: "mnist", float: 0.972, quantized_clear: 0.971 }] });
  assert.ok(md.includes("| held-out digits classified under FHE | 4 of 2,000 |"), md);
  assert.ok(md.includes("| **FHE accuracy** | **50.00 %** (2 correct) |"), "FHE: digits 0 and 3 right, 1 and 2 wrong");
  assert.ok(md.includes("| clear (quantized) circuit, same digits | 75.00 % (3 correct) |"), "clear: only digit 2 wrong");
  assert.ok(md.includes("| FHE result = clear result | 3 / 4 (75.00 %) |"));
  assert.ok(md.includes("97.20 %"), "float accuracy from the models bench");
  assert.not.ok(md.includes("as this artifact's"), "only 4 digits: the full-test-set clear accuracies cannot be compared");
  assert.ok(md.includes("**7.00 s** (p10–p90 6.20 s–7.80 s, n=2)"), md);
  assert.ok(md.includes("27× faster"), "187 s / 7 s");
  assert.ok(md.includes("on Test CPU, 2 cores, Node v20.0.0"));
  assert.ok(md.includes("(engine commits abc1234)"), "the accuracy run's commits, not the latency run's");
});

test("renderMnistFhe: no run yet renders nothing; no latency records says how to measure them", () => {
  assert.is(renderMnistFhe([], null), null);
  assert.is(renderMnistFhe([header()], null), null);
  const md = renderMnistFhe([header(), digit(0, 1, 1, 1)], null);
  assert.ok(md.includes("not measured yet"));
  assert.not.ok(md.includes("float network"));
});

test.run();
