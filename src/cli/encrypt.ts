// blindml encrypt: rows of a CSV file → one encrypted query (quantized, then encrypted under the
// client key; 8 bytes a value).
import type { Command } from "commander";
import { ModelClient } from "../artifacts/index.js";
import { loadKeys } from "../artifacts/node.js";
import { readInputFile, readInputText, resolveArtifact, writeOutputFile, formatBytes } from "./io.js";
import { readFeatureTable, checkFeatureCount, DEFAULT_SPLIT_COLUMN } from "./table.js";
import { step } from "./progress.js";
import { positiveInteger, nameList } from "./options.js";
import { printFields } from "./summary.js";
import { CliError } from "./errors.js";

interface EncryptOptions {
  client: string;
  keys: string;
  data: string;
  out: string;
  ignore?: string[];
  splitColumn: string;
  split?: string;
  limit?: number;
}

export function registerEncrypt(program: Command): void {
  program
    .command("encrypt")
    .summary("encrypt rows of a CSV file into a query for the server")
    .description(`Quantizes and encrypts rows of a CSV file (header row, the model's feature columns in training order) under the client key into one query file. A "${DEFAULT_SPLIT_COLUMN}" column is never a feature; leave other non-feature columns (the target) out with --ignore.`)
    .requiredOption("--client <file>", "client.zip or model.tar.gz (or the folder train wrote)")
    .requiredOption("--keys <dir>", "key folder written by keygen")
    .requiredOption("--data <file>", "CSV file of rows to encrypt")
    .requiredOption("--out <file>", "query file to write")
    .option("--ignore <columns>", "columns that are not features (comma-separated, repeatable)", nameList)
    .option("--split-column <name>", "column saying train or test for each row", DEFAULT_SPLIT_COLUMN)
    .option("--split <part>", "encrypt only the rows whose split column holds this value (e.g. test)")
    .option("--limit <n>", "encrypt at most this many rows", positiveInteger)
    .addHelpText("after", "\nExample:\n  blindml encrypt --client model/ --keys keys/ --data rows.csv --ignore target --out query.bin")
    .action(async (options: EncryptOptions) => encrypt(options));
}

async function encrypt(options: EncryptOptions): Promise<void> {
  const client = await loadClientWithKeys(options.client, options.keys);
  try {
    const text = await readInputText(options.data, "the data file");
    const table = readFeatureTable(text, options.data, { splitColumn: options.splitColumn, split: options.split, ignore: options.ignore, limit: options.limit });
    checkFeatureCount(table, client.spec.features, options.data);
    const query = step("Encrypting", () => client.encrypt(table.rows), () => `${table.rows.length} rows × ${client.spec.features} features`);
    await writeOutputFile(options.out, query, "the query");
    printFields([
      ["query", `${options.out} (${formatBytes(query.length)}, ${table.rows.length} rows, parameter set ${client.parameterSet.name})`],
    ]);
  } finally {
    client.free();
  }
}

/** The client artifact with the keys of a key folder (refusing a folder without any). */
export async function loadClientWithKeys(artifact: string, keyDir: string): Promise<ModelClient> {
  const bytes = await readInputFile(await resolveArtifact(artifact, "client"), "the client artifact");
  const client = await ModelClient.load(bytes);
  if (!(await loadKeys(client, keyDir))) {
    client.free();
    throw new CliError(`no client key in "${keyDir}": run blindml keygen --client ${artifact} --keys ${keyDir} first`);
  }
  return client;
}
