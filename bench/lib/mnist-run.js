// The resumable MNIST FHE run (bench/mnist-fhe.js): its records in bench/results/mnist-fhe.jsonl
// and the identity of the computation they measure.
import { existsSync, readFileSync } from "node:fs";
import { circuitId, dequantize, decide } from "../../dist/src/index.js";

export const RESULTS = new URL("../results/mnist-fhe.jsonl", import.meta.url);

/**
 * The id of what the server computes, roughly: the circuit without its report and without each
 * lookup's noiseSteps and log2PFail. The encodings still carry modelled variances, so a noise
 * model that moves them changes this id too (a recompiled model is then refused: safe). The run
 * therefore measures one saved artifact instead of recompiling (bench/mnist-fhe.js).
 */
export function computationId(circuit) {
  const nodes = circuit.nodes.map(({ noiseSteps, log2PFail, ...node }) => node);
  return circuitId({ ...circuit, nodes, report: null });
}

/** Every line of the results file, parsed (none when it does not exist). */
export function readLines() {
  if (!existsSync(RESULTS)) return [];
  return readFileSync(RESULTS, "utf8").split("\n").filter(Boolean).map((line) => JSON.parse(line));
}

/**
 * The digits already run for this computation (index → record) by the accuracy run. Header lines
 * map circuit ids to computation ids; a record of another computation is refused. Latency records
 * (`--latency`) are not counted here (bench/lib/report-mnist.js reports them).
 */
export function readRecords(circuit) {
  const id = circuitId(circuit);
  const computation = computationId(circuit);
  const lines = readLines();
  const computationOf = new Map([[id, computation]]);
  for (const line of lines) if (line.header && line.computation) computationOf.set(line.circuit, line.computation);
  const done = new Map();
  for (const record of lines.filter((line) => !line.header && !line.latency)) {
    const of = record.computation ?? computationOf.get(record.circuit);
    if (of !== computation) throw new Error(`${RESULTS.pathname} holds results of circuit ${record.circuit} (computation ${of ?? "unknown"}), not of this computation ${computation}: move it away to start over.`);
    done.set(record.index, record);
  }
  return done;
}

/** The predicted labels of raw circuit outputs (integers), as the client decodes them. */
export function decodeLabels(spec, outputs) {
  return outputs.map((o) => decide(spec.output, Array.from(dequantize(spec.output, o))));
}
