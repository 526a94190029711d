// The "End-to-end (local stack)" section of BENCHMARKS.md, from bench/results/e2e.json
// (written by `npm run demo -- --record`, examples/demo.js). Kept between two markers so the
// demo can replace it in place; renderEndToEnd() is also what bench/lib/report.js can append
// to the sections it generates.
export const E2E_BEGIN = "<!-- e2e:begin — written by `npm run demo -- --record` (examples/demo.js) from bench/results/e2e.json -->";
export const E2E_END = "<!-- e2e:end -->";

const STAGES = [
  ["encrypt", "encrypt (client)"],
  ["upload", "upload query (S3 PUT ×2)"],
  ["queue", "queue, invoke and result polling"],
  ["s3Read", "server: read keys + query from S3"],
  ["keys", "server: evaluation keys (expand or cache)"],
  ["evaluate", "server: evaluate (bootstraps)"],
  ["download", "download result (S3 GET)"],
  ["decrypt", "decrypt (client)"],
  ["total", "**total per query**"],
];

const ms = (v) => (v === undefined ? "—" : v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(v < 10 ? 1 : 0)} ms`);
const bytes = (n) => (n >= 2 ** 20 ? `${(n / 2 ** 20).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`);

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  const at = (sorted.length - 1) * p;
  const lo = Math.floor(at);
  return sorted[lo] + (sorted[Math.ceil(at)] - sorted[lo]) * (at - lo);
}

/** Median and range of one stage over the queries (the first query, which expands the keys, included). */
function stageCell(queries, stage) {
  const values = queries.map((q) => q.ms[stage]).filter((v) => v !== undefined);
  if (values.length === 0) return "—";
  return `**${ms(percentile(values, 0.5))}** (${ms(Math.min(...values))}–${ms(Math.max(...values))})`;
}

/** The markdown section, markers included. */
export function renderEndToEnd(e2e) {
  const q = e2e.queries;
  const correct = q.filter((x) => x.prediction === x.truth).length;
  const sameAsClear = q.filter((x) => x.prediction === x.clear).length;
  const m = e2e.machine ?? {};
  const out = [E2E_BEGIN, "## End-to-end (local stack)", ""];
  out.push(
    `\`npm run demo\` (examples/demo.js): the MNIST MLP ${e2e.model.architecture} (parameter set ${e2e.model.parameterSet}, ` +
      `${e2e.model.bootstrapsPerRow} bootstraps per image), served by container/serve (${e2e.config.workers} bootstrap worker${e2e.config.workers === 1 ? "" : "s"}) behind ` +
      `the local SageMaker runtime, S3 on loopback (s3rver), client SageMakerInferenceClient with InvokeEndpointAsync. ` +
      `${q.length} held-out digits, one per query, one after the other; ${correct}/${q.length} correct, ${sameAsClear}/${q.length} equal to the ` +
      `clear (quantized) circuit. Median (min–max) per query:`,
  );
  out.push("");
  out.push("| stage | time |");
  out.push("|---|---|");
  for (const [stage, label] of STAGES) out.push(`| ${label} | ${stageCell(q, stage)} |`);
  out.push("");
  const o = e2e.oneTime;
  out.push(
    `Sizes per query: encrypted query ${bytes(percentile(q.map((x) => x.bytes.query), 0.5))}, encrypted result ` +
      `${bytes(percentile(q.map((x) => x.bytes.result), 0.5))}. Paid once per client key: client.zip ${bytes(o.clientArtifactBytes)} from S3, ` +
      `evaluation keys ${bytes(o.evaluationKeyBytes)} generated in ${ms(o.evaluationKeyGenerationMs)} and uploaded in ${ms(o.evaluationKeyUploadMs)}; ` +
      `the server's first expansion of them took ${ms(o.serverKeyExpansionMs)} (later queries hit its cache).`,
  );
  out.push("");
  out.push(
    `_Measured ${e2e.date} on ${m.cpu ?? "?"}, ${m.cores ?? "?"} cores, Node ${e2e.node}${e2e.commit ? `, commit ${e2e.commit}` : ""}` +
      `${e2e.quiet === false ? " — not a quiet machine: re-run `npm run demo -- --record` for reference figures" : ""}._`,
  );
  out.push(E2E_END);
  return out.join("\n");
}

/** BENCHMARKS.md with the section replaced, or appended when it is not there yet. */
export function withEndToEndSection(markdown, e2e) {
  const section = renderEndToEnd(e2e);
  const begin = markdown.indexOf("<!-- e2e:begin");
  const end = markdown.indexOf(E2E_END);
  if (begin >= 0 && end > begin) return markdown.slice(0, begin) + section + markdown.slice(end + E2E_END.length);
  return `${markdown.trimEnd()}\n\n${section}\n`;
}
