// blindml local: the SageMaker flow on this machine, no AWS account — local S3 (file-backed),
// the local SageMaker runtime and the inference server with a model directory. Prints the
// endpoints and the environment that points the AWS SDK at them; Ctrl-C stops everything.
import type { Command } from "commander";
import type { LocalStack } from "../../server/local-stack.js";
import { resolveArtifact } from "./io.js";
import { positiveInteger, nonNegativeInteger } from "./options.js";
import { printFields } from "./summary.js";
import { note } from "./progress.js";

// (the stack and the AWS SDK load only when this command runs: the other commands start faster)
const DEFAULT_BUCKET = "blindml";
const DEFAULT_ENDPOINT = "blindml";

interface LocalOptions {
  model: string;
  s3Dir?: string;
  bucket: string;
  endpoint: string;
  host: string;
  s3Port: number;
  runtimePort: number;
  serverPort: number;
  maxConcurrent: number;
  workers?: number;
  logs: boolean;
  web: boolean;
  webPort: number;
}

export function registerLocal(program: Command): void {
  program
    .command("local")
    .summary("run local S3, a local SageMaker runtime and the inference server (no AWS account)")
    .description("Starts a local S3 server (file-backed), a local stand-in for the SageMaker runtime API (InvokeEndpointAsync, InvokeEndpoint) and the inference server with the given model, puts the model into S3 as model.tar.gz, and prints the endpoints and the environment for the AWS SDK. Runs until Ctrl-C.")
    .requiredOption("--model <dir>", "folder with server.zip and client.zip (as train writes) or model.tar.gz")
    .option("--s3-dir <dir>", "where S3 keeps its objects (default: a temporary folder, removed at exit)")
    .option("--bucket <name>", "the bucket to create", DEFAULT_BUCKET)
    .option("--endpoint <name>", "the SageMaker endpoint name", DEFAULT_ENDPOINT)
    .option("--host <address>", "address to listen on", "127.0.0.1")
    .option("--s3-port <port>", "S3 port (0: a free one)", nonNegativeInteger, 0)
    .option("--runtime-port <port>", "SageMaker runtime port (0: a free one)", nonNegativeInteger, 0)
    .option("--server-port <port>", "inference server port (0: a free one)", nonNegativeInteger, 0)
    .option("--max-concurrent <n>", "async invocations sent to the server at once", positiveInteger, 1)
    .option("--workers <n>", "bootstrap threads of the server (default: every core)", positiveInteger)
    .option("--logs", "print the server's JSON log lines and the runtime's events on stderr", false)
    .option("--web", "also serve the web example (encrypt in the browser; S3 and the runtime allow its origin)", false)
    .option("--web-port <port>", "web example port (0: a free one)", nonNegativeInteger, 8000)
    .addHelpText("after", "\nExample:\n  blindml train --data data.csv --target label --model logistic --out model/\n  blindml local --model model/")
    .action(async (options: LocalOptions) => runLocal(options));
}

async function runLocal(options: LocalOptions): Promise<void> {
  await resolveArtifact(options.model, "server"); // a clear error for a folder without a model
  const { startLocalStack } = await import("../../server/local-stack.js");
  const { jsonLineLogger } = await import("../../server/log.js");
  const log = options.logs ? jsonLineLogger((line) => process.stderr.write(line)) : undefined;
  const stack = await startLocalStack({
    modelDir: options.model,
    s3Directory: options.s3Dir,
    bucket: options.bucket,
    endpointName: options.endpoint,
    host: options.host,
    ports: { s3: options.s3Port, runtime: options.runtimePort, server: options.serverPort },
    maxConcurrentInvocations: options.maxConcurrent,
    workers: options.workers,
    serverLog: log,
    web: options.web ? { port: options.webPort } : undefined,
    runtimeLog: log ? (record) => log({ level: "info", msg: "runtime", ...record }) : undefined,
  });
  printStack(stack, options);
  await untilInterrupted();
  note("Stopping: draining the server, then the runtime and S3…");
  await stack.close();
  note("Stopped.");
}

function printStack(stack: LocalStack, options: LocalOptions): void {
  printFields([
    ["S3", `${stack.s3.endpoint}  (bucket "${stack.bucket}", objects in ${stack.s3.directory}${options.s3Dir ? "" : ", removed at exit"})`],
    ["SageMaker runtime", `${stack.runtime.url}  (endpoint "${stack.endpointName}")`],
    ["inference server", `${stack.containerUrl}  (GET /ping, POST /invocations)`],
    ["model", stack.modelUri ?? "(none uploaded)"],
    ["async output", stack.outputPath],
    ["async failures", stack.failurePath],
    ...(stack.webUrl ? [["web example", `${stack.webUrl}  (open it in a browser)`] as [string, string]] : []),
  ]);
  process.stdout.write("\nPoint the AWS SDK (or the AWS CLI) at it from another shell:\n");
  for (const [name, value] of Object.entries(stack.env)) process.stdout.write(`  export ${name}=${value}\n`);
  process.stdout.write(`\nThen, e.g. with blindml/sagemaker: fetchModelClient(s3, "${stack.modelUri}") and a SageMakerInferenceClient with endpointName "${stack.endpointName}" and uploadPrefix "s3://${stack.bucket}/clients/you".\n`);
  process.stdout.write("Ready. Ctrl-C stops it.\n");
}

/** Resolves on the first SIGINT or SIGTERM (a second one exits at once). */
function untilInterrupted(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.once("SIGINT", () => process.exit(130));
      process.once("SIGTERM", () => process.exit(143));
      resolve();
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
}
