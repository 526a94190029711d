// SageMaker's container directory layout (/opt/ml/...), with the environment overrides the
// sagemaker-training-toolkit defines (SM_MODEL_DIR, SM_CHANNEL_<NAME>, SM_INPUT_CONFIG_DIR,
// SM_OUTPUT_DIR, SM_OUTPUT_DATA_DIR) plus BLINDML_SAGEMAKER_ROOT, which moves the whole tree: the
// entrypoints then run outside a container (tests, the demo) against a temporary /opt/ml.
import { join } from "node:path";

type Env = Readonly<Record<string, string | undefined>>;

export interface SageMakerLayout {
  /** /opt/ml, or BLINDML_SAGEMAKER_ROOT. */
  readonly root: string;
  /** Where training writes the model and serving reads it (SageMaker tars / untars it). */
  readonly modelDir: string;
  /** Holds hyperparameters.json (and resourceconfig.json, inputdataconfig.json). */
  readonly inputConfigDir: string;
  readonly hyperparametersFile: string;
  /** The "training" channel's files. */
  readonly trainingChannel: string;
  /** The optional "validation" channel (scored when present). */
  readonly validationChannel: string;
  /** Holds the failure file. */
  readonly outputDir: string;
  /** Packed by SageMaker into output.tar.gz: reports and metrics go here. */
  readonly outputDataDir: string;
  /** What SageMaker shows as the job's FailureReason. */
  readonly failureFile: string;
}

export const DEFAULT_SAGEMAKER_ROOT = "/opt/ml";

export function sageMakerLayout(env: Env = process.env): SageMakerLayout {
  const root = nonEmpty(env.BLINDML_SAGEMAKER_ROOT) ?? DEFAULT_SAGEMAKER_ROOT;
  const inputConfigDir = nonEmpty(env.SM_INPUT_CONFIG_DIR) ?? join(root, "input", "config");
  const outputDir = nonEmpty(env.SM_OUTPUT_DIR) ?? join(root, "output");
  return {
    root,
    modelDir: nonEmpty(env.SM_MODEL_DIR) ?? join(root, "model"),
    inputConfigDir,
    hyperparametersFile: join(inputConfigDir, "hyperparameters.json"),
    trainingChannel: channelDir(env, root, "training"),
    validationChannel: channelDir(env, root, "validation"),
    outputDir,
    outputDataDir: nonEmpty(env.SM_OUTPUT_DATA_DIR) ?? join(outputDir, "data"),
    failureFile: join(outputDir, "failure"),
  };
}

function channelDir(env: Env, root: string, name: string): string {
  return nonEmpty(env[`SM_CHANNEL_${name.toUpperCase()}`]) ?? join(root, "input", "data", name);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}
