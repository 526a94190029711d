// blindml decrypt: an encrypted result → predictions (CSV on stdout, and in a file with --out).
import type { Command } from "commander";
import type { Prediction } from "../artifacts/index.js";
import { readInputFile, writeOutputFile } from "./io.js";
import { loadClientWithKeys } from "./encrypt.js";
import { note } from "./progress.js";

interface DecryptOptions {
  client: string;
  keys: string;
  result: string;
  out?: string;
}

export function registerDecrypt(program: Command): void {
  program
    .command("decrypt")
    .summary("decrypt a result into predictions")
    .description("Decrypts a result with the client key and prints the predictions as CSV (row, prediction and, for classifiers, each class's probability).")
    .requiredOption("--client <file>", "client.zip or model.tar.gz (or the folder train wrote)")
    .requiredOption("--keys <dir>", "key folder written by keygen")
    .requiredOption("--result <file>", "result file written by run")
    .option("--out <file>", "also write the predictions to this CSV file")
    .addHelpText("after", "\nExample:\n  blindml decrypt --client model/ --keys keys/ --result result.bin --out predictions.csv")
    .action(async (options: DecryptOptions) => decrypt(options));
}

async function decrypt(options: DecryptOptions): Promise<void> {
  const client = await loadClientWithKeys(options.client, options.keys);
  try {
    const prediction = client.decrypt(await readInputFile(options.result, "the result"));
    const csv = predictionsCsv(prediction, client.spec.output.classes);
    process.stdout.write(csv);
    if (options.out !== undefined) {
      await writeOutputFile(options.out, csv, "the predictions");
      note(`wrote ${prediction.predictions.length} predictions to ${options.out}`);
    }
  } finally {
    client.free();
  }
}

export function predictionsCsv(prediction: Prediction, classes: readonly number[] | undefined): string {
  const probabilities = prediction.probabilities;
  const labels = classes ?? probabilities?.[0]?.map((_, j) => j) ?? [];
  const header = ["row", "prediction", ...(probabilities ? labels.map((c) => `probability_${c}`) : [])];
  const lines = prediction.predictions.map((p, r) => [r, p, ...(probabilities?.[r]?.map((v) => v.toFixed(6)) ?? [])].join(","));
  return `${[header.join(","), ...lines].join("\n")}\n`;
}
