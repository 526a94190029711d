// blindml run: the server side. Evaluates the model's circuit on an encrypted query with the
// client's public evaluation keys and writes the encrypted result; it sees no plaintext.
import { join } from "node:path";
import type { Command } from "commander";
import { EVALUATION_KEYS_FILE } from "../artifacts/node.js";
import { runInBackground } from "./background.js";
import { readInputFile, resolveArtifact, writeOutputFile, isDirectory, formatBytes, formatSeconds } from "./io.js";
import { withSpinner } from "./progress.js";
import { printFields } from "./summary.js";

interface RunOptions {
  server: string;
  keys?: string;
  query: string;
  out: string;
}

export function registerRun(program: Command): void {
  program
    .command("run")
    .summary("evaluate the model on an encrypted query (server side)")
    .description("Evaluates the model on an encrypted query, as the server does: the circuit runs on ciphertexts with the client's evaluation keys and the encrypted result is written to a file. Linear models need no evaluation keys.")
    .requiredOption("--server <file>", "server.zip or model.tar.gz (or the folder train wrote)")
    .option("--keys <file>", `the client's evaluation keys (${EVALUATION_KEYS_FILE}, or its key folder)`)
    .requiredOption("--query <file>", "query file written by encrypt")
    .requiredOption("--out <file>", "result file to write")
    .addHelpText("after", `\nExample:\n  blindml run --server model/server.zip --keys keys/${EVALUATION_KEYS_FILE} --query query.bin --out result.bin`)
    .action(async (options: RunOptions) => run(options));
}

async function run(options: RunOptions): Promise<void> {
  const serverArtifact = await readInputFile(await resolveArtifact(options.server, "server"), "the server artifact");
  const query = await readInputFile(options.query, "the query");
  const evaluationKeys = await readEvaluationKeys(options.keys);
  const outcome = await withSpinner("Evaluating on ciphertexts", () => runInBackground({ kind: "run", serverArtifact, evaluationKeys, query }),
    (o) => `${o.rows} rows, ${o.bootstrapsPerRow} bootstraps per row`);
  await writeOutputFile(options.out, outcome.result, "the result");
  printFields([
    ["model", `${outcome.model} (parameter set ${outcome.parameterSet})`],
    ["time", `keys ${formatSeconds(outcome.keyMs)}, evaluation ${formatSeconds(outcome.evaluateMs)} (${formatSeconds(outcome.evaluateMs / Math.max(outcome.rows, 1))} a row)`],
    ["result", `${options.out} (${formatBytes(outcome.result.length)}, ${outcome.rows} rows)`],
  ]);
}

async function readEvaluationKeys(path: string | undefined): Promise<Uint8Array> {
  if (path === undefined) return new Uint8Array(0);
  const file = (await isDirectory(path)) ? join(path, EVALUATION_KEYS_FILE) : path;
  return readInputFile(file, "the evaluation keys");
}
