// blindml keygen: a fresh client key (secret, mode 0600) and the evaluation keys its server needs.
import { join } from "node:path";
import type { Command } from "commander";
import { CLIENT_KEY_FILE, EVALUATION_KEYS_FILE } from "../artifacts/node.js";
import { runInBackground } from "./background.js";
import { readInputFile, resolveArtifact, exists, formatBytes } from "./io.js";
import { withSpinner } from "./progress.js";
import { printFields } from "./summary.js";
import { CliError } from "./errors.js";

interface KeygenOptions {
  client: string;
  keys: string;
  force?: boolean;
}

export function registerKeygen(program: Command): void {
  program
    .command("keygen")
    .summary("generate a client key and the server's evaluation keys")
    .description(`Generates a secret client key for a model and the evaluation keys its server needs (none for linear models), and writes them to a key folder: ${CLIENT_KEY_FILE} (readable by you only; never send it) and ${EVALUATION_KEYS_FILE} (public; send it to the server).`)
    .requiredOption("--client <file>", "client.zip or model.tar.gz (or the folder train wrote)")
    .requiredOption("--keys <dir>", "key folder to write")
    .option("--force", "replace a client key already in the folder")
    .addHelpText("after", "\nExample:\n  blindml keygen --client model/client.zip --keys keys/")
    .action(async (options: KeygenOptions) => keygen(options));
}

async function keygen(options: KeygenOptions): Promise<void> {
  const artifactPath = await resolveArtifact(options.client, "client");
  const clientArtifact = await readInputFile(artifactPath, "the client artifact");
  if (!options.force && (await exists(join(options.keys, CLIENT_KEY_FILE)))) {
    throw new CliError(`${options.keys} already holds a client key; results encrypted under it could no longer be decrypted if it were replaced (pass --force to replace it)`);
  }
  const outcome = await withSpinner("Generating keys", () => runInBackground({ kind: "keygen", clientArtifact, keyDir: options.keys }),
    (o) => `parameter set ${o.parameterSet}`);
  printFields([
    ["client key", `${join(options.keys, CLIENT_KEY_FILE)} (${formatBytes(outcome.clientKeyBytes)}, secret: mode 0600)`],
    ["evaluation keys", outcome.needsEvaluationKeys
      ? `${join(options.keys, EVALUATION_KEYS_FILE)} (${formatBytes(outcome.evaluationKeyBytes)}, public: for the server)`
      : `${join(options.keys, EVALUATION_KEYS_FILE)} (empty: this model's server needs none)`],
  ]);
}
