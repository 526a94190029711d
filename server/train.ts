// The container's `train` entry: node dist/server/train.js. SageMaker's training contract:
// hyperparameters from /opt/ml/input/config/hyperparameters.json, CSV data from the "training"
// channel (SM_CHANNEL_TRAINING) unless dataset=mnist, server.zip and client.zip to SM_MODEL_DIR;
// on failure the reason goes to /opt/ml/output/failure (SageMaker's FailureReason) and the exit
// code is non-zero. BLINDML_SAGEMAKER_ROOT moves /opt/ml (tests, the demo). Logs: JSON lines.
import { mkdir, rm, writeFile } from "node:fs/promises";
import { sageMakerLayout } from "./sagemaker-layout.js";
import type { SageMakerLayout } from "./sagemaker-layout.js";
import { jsonLineLogger } from "./log.js";
import { runTrainingJob } from "./training/job.js";
import { TrainingInputError } from "./training/hyperparameters.js";

/** Exit codes: bad input (hyperparameters, data) vs. a fault of ours, to tell them apart in logs. */
const EXIT_BAD_INPUT = 2;
const EXIT_INTERNAL = 1;
/** SageMaker keeps the first 1024 characters of the failure file as FailureReason. */
const MAX_FAILURE_CHARS = 1024;

const log = jsonLineLogger();

async function main(): Promise<number> {
  const layout = sageMakerLayout();
  try {
    await rm(layout.failureFile, { force: true }); // a re-run in the same directories (local use) starts clean
    const report = await runTrainingJob(layout, log);
    log({ level: "info", msg: "training complete", model: report.model, parameterSet: report.parameterSet, metric: report.metric, float: report.float, quantized: report.quantized, files: report.files });
    return 0;
  } catch (e) {
    const reason = failureReason(e);
    log({ level: "error", msg: "training failed", error: reason, stack: e instanceof TrainingInputError ? undefined : (e as Error)?.stack });
    await writeFailure(layout, reason);
    return e instanceof TrainingInputError || isUsageError(e) ? EXIT_BAD_INPUT : EXIT_INTERNAL;
  }
}

function failureReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const prefix = error instanceof TrainingInputError || isUsageError(error) ? "Bad training input" : "Training failed";
  return `${prefix}: ${message}`.slice(0, MAX_FAILURE_CHARS);
}

/** The CLI's table reader and model checks throw UsageError / CliError: the input's fault too. */
function isUsageError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "BLINDML_USAGE" || code === "BLINDML_CLI";
}

async function writeFailure(layout: SageMakerLayout, reason: string): Promise<void> {
  try {
    await mkdir(layout.outputDir, { recursive: true });
    await writeFile(layout.failureFile, `${reason}\n`);
  } catch (e) {
    log({ level: "error", msg: "cannot write the failure file", path: layout.failureFile, error: (e as Error).message });
  }
}

// exit explicitly: worker threads or timers left by the model must not keep the job running
main().then(
  (code) => process.stdout.write("", () => process.exit(code)),
  (e: unknown) => {
    process.stderr.write(`${String((e as Error)?.stack ?? e)}\n`);
    process.exit(EXIT_INTERNAL);
  },
);
