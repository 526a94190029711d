// The blindml command line: train / compile a model, then keygen → encrypt → run → decrypt.
// bin/blindml.js calls main(); every command lives in its own file and registers itself here.
import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { registerTrain } from "./train.js";
import { registerCompile } from "./compile-onnx.js";
import { registerKeygen } from "./keygen.js";
import { registerEncrypt } from "./encrypt.js";
import { registerRun } from "./run.js";
import { registerDecrypt } from "./decrypt.js";
import { registerLocal } from "./local.js";
import { registerDeploy } from "./deploy.js";
import { reportError, wantsStackTraces, EXIT_USAGE } from "./errors.js";

export function buildProgram(): Command {
  const program = new Command("blindml")
    .description("Encrypted machine-learning inference: train or import a model, compile it to a TFHE circuit, and run it on encrypted data.")
    .version(packageVersion(), "-V, --version")
    .option("--verbose", "print the stack of an error")
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(`blindml: ${text.replace(/^error: /, "")}`) })
    .showSuggestionAfterError()
    .addHelpText("after", `
Workflow:
  blindml train --data data.csv --target label --model logistic --out model/
  blindml keygen --client model/client.zip --keys keys/
  blindml encrypt --client model/client.zip --keys keys/ --data rows.csv --out query.bin
  blindml run --server model/server.zip --keys keys/evaluation.keys --query query.bin --out result.bin
  blindml decrypt --client model/client.zip --keys keys/ --result result.bin

As a service (SageMaker, or the same on this machine):
  blindml local --model model/
  blindml deploy --name my-endpoint --image <ecr-image> --model-data s3://…/model.tar.gz --role <arn> \\
    --output-path s3://…/output --failure-path s3://…/failure --dry-run`);
  for (const register of [registerTrain, registerCompile, registerKeygen, registerEncrypt, registerRun, registerDecrypt, registerLocal, registerDeploy]) register(program);
  return program;
}

/** Runs the command line on process.argv-style arguments; returns the exit code. */
export async function main(argv: readonly string[] = process.argv): Promise<number> {
  exitQuietlyWhenOutputCloses();
  try {
    await buildProgram().parseAsync([...argv]);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : EXIT_USAGE; // commander has printed it
    return reportError(error, wantsStackTraces(argv));
  }
}

/** `blindml decrypt … | head`: a reader that stops early is not an error. */
function exitQuietlyWhenOutputCloses(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EPIPE") process.exit(0);
      throw error;
    });
  }
}

function packageVersion(): string {
  const text = readFileSync(new URL("../../../package.json", import.meta.url), "utf8");
  return (JSON.parse(text) as { version: string }).version;
}
