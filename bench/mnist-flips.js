#!/usr/bin/env node
// Is the noise model right for MNIST? For each digit already run under real FHE
// (bench/results/mnist-fhe.jsonl), estimate from the simulation (the modelled noise of every FHE
// step, `fhe: "simulate"`) the probability p_i that the encrypted result differs from the clear
// circuit's, with R seeded repetitions. Under the model the number of disagreements seen under FHE
// is a sum of Bernoulli(p_i): compare it with its expectation Σ p_i (and the Poisson tail). Also
// prints p_i of the digits that did disagree. The model is the FHE run's saved artifact
// (bench/results/mnist-model/). Results: bench/results/mnist-flips.json.
//   node bench/mnist-flips.js [--repeats 100] [--seed 1]
import { readFileSync, writeFileSync } from "node:fs";
import { loadMnist } from "./lib/datasets.js";
import { prng } from "./lib/spam.js";
import { circuitId, unpackServer, unpackClient, runClear, quantizeRows } from "../dist/src/index.js";
import { readRecords, decodeLabels } from "./lib/mnist-run.js";

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const repeats = arg("--repeats", 100);
const seed = arg("--seed", 1);
const log = (msg) => process.stderr.write(`${msg}\n`);

// the model the FHE run measured (bench/mnist-fhe.js saves it there)
const modelDir = new URL("./results/mnist-model/", import.meta.url);
const { circuit } = unpackServer(readFileSync(new URL("server.zip", modelDir)));
const { spec } = unpackClient(readFileSync(new URL("client.zip", modelDir)));
const id = circuitId(circuit);
const records = [...readRecords(circuit).values()]; // refuses records of another computation
const { test } = loadMnist({ train: 8000, test: 2000 });
const rows = { rows: records.length, cols: 784, data: Float64Array.from(records.flatMap((r) => Array.from(test.X.data.subarray(r.index * 784, (r.index + 1) * 784)))) };
const q = quantizeRows(spec.input, rows);
const labels = (outputs) => decodeLabels(spec, outputs);
const clear = labels(runClear(circuit, q));
const mismatched = records.filter((r, i) => r.clear !== clear[i]);
if (mismatched.length) throw new Error(`the saved model answers ${mismatched.length} recorded digits differently in the clear (e.g. digit ${mismatched[0].index}): not the model of these records`);
const differs = new Float64Array(records.length);
const random = prng(seed);
for (let rep = 0; rep < repeats; rep++) {
  const simulated = labels(runClear(circuit, q, { noise: true, random }));
  simulated.forEach((label, i) => (differs[i] += label !== clear[i] ? 1 : 0));
  if ((rep + 1) % 10 === 0) log(`${rep + 1}/${repeats} repetitions`);
}
const p = Array.from(differs, (d) => d / repeats);
const expected = p.reduce((a, b) => a + b, 0);
const observed = records.filter((r) => r.fhe !== r.clear);
// P(X ≥ observed) for X ~ Poisson(expected): the model's chance of seeing this many or more
let below = 0;
for (let k = 0, term = Math.exp(-expected); k < observed.length; k++, term *= expected / k) below += term;
const summary = {
  date: new Date().toISOString(),
  circuit: id,
  digits: records.length,
  repeats,
  expectedDisagreements: Math.round(expected * 1000) / 1000,
  observedDisagreements: observed.length,
  poissonTailAtLeastObserved: Math.round((1 - below) * 1e4) / 1e4,
  flipped: observed.map((r) => ({ index: r.index, truth: r.truth, clear: r.clear, fhe: r.fhe, simulatedFlipRate: p[records.indexOf(r)] })),
  digitsWithSimulatedFlips: p.map((v, i) => ({ index: records[i].index, rate: v })).filter((d) => d.rate > 0).sort((a, b) => b.rate - a.rate),
};
writeFileSync(new URL("./results/mnist-flips.json", import.meta.url), `${JSON.stringify(summary, null, 2)}\n`);
log(`${records.length} digits, ${repeats} simulations each: expected disagreements ${expected.toFixed(2)}, observed under FHE ${observed.length} (P[≥ observed] = ${summary.poissonTailAtLeastObserved})`);
for (const f of summary.flipped) log(`  digit ${f.index}: clear ${f.clear}, FHE ${f.fhe}, truth ${f.truth}; simulated flip rate ${f.simulatedFlipRate}`);
