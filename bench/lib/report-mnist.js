// The "MNIST under FHE" section of BENCHMARKS.md, from bench/results/mnist-fhe.jsonl (written by
// bench/mnist-fhe.js: the accuracy run over the held-out digits, and its --latency one-image
// queries) and the mnist row of bench/results/models.json (float accuracy of the same recipe).
import { percentile } from "./stats.js";

/** Reference: concrete-ml's MNIST MLP on a SageMaker ml.m5.xlarge (4 vCPU), seconds per image (issue #3). */
const REFERENCE_SECONDS_PER_IMAGE = 187;
const HELD_OUT_DIGITS = 2000;

const pct = (x) => `${(100 * x).toFixed(2)} %`;
const count = (n) => n.toLocaleString("en-US");
const seconds = (ms) => `${(ms / 1000).toFixed(2)} s`;

/** The records of the computation the file's last header names, split into accuracy and latency records. */
function latestComputation(lines) {
  const headers = lines.filter((l) => l.header);
  const header = headers.at(-1);
  if (!header) return null;
  const computationOf = new Map(headers.map((h) => [h.circuit, h.computation]));
  const mine = lines.filter((l) => !l.header && (l.computation ?? computationOf.get(l.circuit)) === header.computation);
  const byIndex = new Map();
  for (const r of mine.filter((l) => !l.latency)) byIndex.set(r.index, r);
  return { header, headers: headers.filter((h) => h.computation === header.computation), digits: [...byIndex.values()], latency: mine.filter((l) => l.latency) };
}

/** Markdown for the section, or null when the file holds no run. */
export function renderMnistFhe(lines, models) {
  const run = latestComputation(lines);
  if (!run || run.digits.length === 0) return null;
  const { header, digits, latency } = run;
  const n = digits.length;
  const fheCorrect = digits.filter((r) => r.fhe === r.truth).length;
  const clearCorrect = digits.filter((r) => r.clear === r.truth).length;
  const agree = digits.filter((r) => r.fhe === r.clear).length;
  const engines = [...new Set(run.headers.filter((h) => h.mode !== "latency").map((h) => h.engine?.split(" ")[0]).filter(Boolean))];
  const unrecorded = digits.filter((r) => !r.engine).length;
  const out = ["## MNIST under FHE: the held-out digits", ""];
  out.push(
    `\`node bench/mnist-fhe.js\` (bench/results/mnist-fhe.jsonl): one saved artifact, bench/results/mnist-model/ ` +
      `(784 → 392 ReLU → 10 trained with 4-bit inputs, weights and activations by bench/lib/datasets.js trainMnistMlp; circuit ${header.circuit}, parameter set ${header.set}, ` +
      `${header.bootstraps} bootstraps per image), through the deployment classes: \`ModelClient\` encrypts, ` +
      `\`ModelServer\` evaluates on ${header.workers} worker threads, \`ModelClient\` decrypts. “Clear” is the same quantized ` +
      `circuit run without encryption on the same inputs.`,
    "",
  );
  const rows = [
    ["held-out digits classified under FHE", `${count(n)} of ${count(HELD_OUT_DIGITS)}`],
    ["**FHE accuracy**", `**${pct(fheCorrect / n)}** (${count(fheCorrect)} correct)`],
    ["clear (quantized) circuit, same digits", `${pct(clearCorrect / n)} (${count(clearCorrect)} correct)`],
    ["FHE result = clear result", `${count(agree)} / ${count(n)} (${pct(agree / n)})`],
  ];
  const mnistRow = models?.results?.find((r) => r.dataset === "mnist");
  if (mnistRow) {
    const sameClear = n === HELD_OUT_DIGITS && Math.abs(mnistRow.quantized_clear - clearCorrect / n) < 5e-5;
    rows.push([
      "float network (models bench, same training recipe)",
      `${pct(mnistRow.float)}${sameClear ? ` (its quantized circuit: ${pct(mnistRow.quantized_clear)} in the clear, as this artifact's)` : ""}`,
    ]);
  }
  if (latency.length) {
    const times = latency.map((r) => r.ms).sort((a, b) => a - b);
    const median = percentile(times, 0.5);
    const workers = [...new Set(latency.map((r) => r.workers))].join(", ");
    rows.push([
      `**latency per image, ${workers} workers** (one-image queries: encrypt → server → decrypt)`,
      `**${seconds(median)}** (p10–p90 ${seconds(percentile(times, 0.1))}–${seconds(percentile(times, 0.9))}, n=${times.length}); ` +
        `concrete-ml on SageMaker ml.m5.xlarge (4 vCPU): ${REFERENCE_SECONDS_PER_IMAGE} s, **${(REFERENCE_SECONDS_PER_IMAGE * 1000 / median).toFixed(0)}× faster**`,
    ]);
  }
  out.push("| | |", "|---|---|", ...rows.map(([k, v]) => `| ${k} | ${v} |`), "");
  const latencyHeader = run.headers.filter((h) => h.mode === "latency").at(-1);
  const machine = latencyHeader?.machine ?? header.machine;
  out.push(
    `The accuracy run sends ${header.workers === 1 ? "" : "several "}digits per query and was resumed across sessions ` +
      `(engine commits ${engines.join(", ")}${unrecorded ? `; the first ${count(unrecorded)} digits predate recording the commit` : ""}); its times are not latencies. ` +
      (latency.length
        ? `Latency: \`node bench/mnist-fhe.js --latency ${latency.length}\`${machine ? ` on ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}` : ""}` +
          `${latencyHeader ? `, ${latencyHeader.started}` : ""}.`
        : "Latency: not measured yet (`node bench/mnist-fhe.js --latency 20`)."),
  );
  return out.join("\n");
}
