// blindml deploy: a SageMaker asynchronous endpoint for a model, scaling to zero when idle
// (src/deploy/plan.ts has the requests and the AWS guide they follow). --dry-run prints every
// request as JSON and needs no credentials.
import { Command, Option } from "commander";
import { planDeployment, DEPLOYMENT_DEFAULTS, DeploymentOptionsError } from "../deploy/plan.js";
import type { DeploymentOptions, DeploymentStep } from "../deploy/plan.js";
import { positiveInteger, nonNegativeInteger } from "./options.js";
import { note } from "./progress.js";
import { UsageError } from "./errors.js";

interface DeployCliOptions {
  name: string;
  image: string;
  modelData: string;
  role: string;
  outputPath: string;
  failurePath: string;
  instanceType: string;
  initialInstances: number;
  minInstances: number;
  maxInstances: number;
  maxConcurrent: number;
  targetBacklog: number;
  env: Record<string, string>;
  region?: string;
  dryRun: boolean;
}

export function registerDeploy(program: Command): void {
  program
    .command("deploy")
    .summary("create a SageMaker async endpoint for a model, scaling to zero when idle")
    .description("Creates the SageMaker model, an endpoint configuration with AsyncInferenceConfig (output and failure paths, MaxConcurrentInvocationsPerInstance) and the endpoint; once it is InService, registers it with Application Auto Scaling (MinCapacity 0), a target-tracking policy on ApproximateBacklogSizePerInstance and a step policy with a CloudWatch alarm on HasBacklogWithoutCapacity to scale up from zero. Uses the AWS SDK's default credentials; --dry-run prints the requests instead.")
    .requiredOption("--name <endpoint>", "the endpoint name (the model and config are named after it)")
    .requiredOption("--image <uri>", "the inference image in ECR (container/Dockerfile.inference)")
    .requiredOption("--model-data <s3-uri>", "model.tar.gz in S3 (a training job's output, or server.zip + client.zip)")
    .requiredOption("--role <arn>", "the execution role SageMaker assumes (see the README for its least-privilege policy)")
    .requiredOption("--output-path <s3-uri>", "S3 prefix for async results (<inference-id>.out)")
    .requiredOption("--failure-path <s3-uri>", "S3 prefix for async failures (<inference-id>-error.out)")
    .option("--instance-type <type>", "instance type", DEPLOYMENT_DEFAULTS.instanceType)
    .option("--initial-instances <n>", "instances at creation", positiveInteger, DEPLOYMENT_DEFAULTS.initialInstances)
    .option("--min-instances <n>", "autoscaling minimum (0: scale to zero when idle)", nonNegativeInteger, DEPLOYMENT_DEFAULTS.minInstances)
    .option("--max-instances <n>", "autoscaling maximum", positiveInteger, DEPLOYMENT_DEFAULTS.maxInstances)
    .option("--max-concurrent <n>", "MaxConcurrentInvocationsPerInstance (one evaluation already uses every core)", positiveInteger, DEPLOYMENT_DEFAULTS.maxConcurrentInvocationsPerInstance)
    .option("--target-backlog <n>", "queued requests per instance the target-tracking policy aims at", positiveInteger, DEPLOYMENT_DEFAULTS.targetBacklogPerInstance)
    .option("--env <name=value>", "container environment variable (repeatable), e.g. BLINDML_KEY_CACHE_ENTRIES=4", environmentEntry, {})
    .addOption(new Option("--region <region>", "AWS region (default: the SDK's, e.g. AWS_REGION)"))
    .option("--dry-run", "print every request as JSON; send nothing", false)
    .addHelpText("after", "\nExample:\n  blindml deploy --name mnist --image 123456789012.dkr.ecr.eu-west-1.amazonaws.com/blindml-inference:latest \\\n    --model-data s3://my-bucket/models/mnist/model.tar.gz --role arn:aws:iam::123456789012:role/blindml-endpoint \\\n    --output-path s3://my-bucket/async/mnist/output --failure-path s3://my-bucket/async/mnist/failure --dry-run")
    .action(async (options: DeployCliOptions) => deploy(options));
}

function environmentEntry(text: string, previous: Record<string, string>): Record<string, string> {
  const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(text);
  if (!match) throw new UsageError(`--env takes NAME=value, got "${text}"`);
  return { ...previous, [match[1]!]: match[2]! };
}

async function deploy(options: DeployCliOptions): Promise<void> {
  const steps = plan(options);
  if (options.dryRun) {
    process.stdout.write(`${JSON.stringify({ dryRun: true, region: options.region ?? process.env.AWS_REGION ?? null, steps }, null, 2)}\n`);
    return;
  }
  const { applyDeployment } = await import("../deploy/apply.js");
  const outcomes = await applyDeployment(steps, { region: options.region, onStep: (step, i, n) => note(`[${i + 1}/${n}] ${describe(step)}`) });
  for (const outcome of outcomes) {
    const fields = Object.entries(outcome.result).map(([k, v]) => `${k} ${String(v)}`).join(", ");
    if (fields) process.stdout.write(`${outcome.operation}: ${fields}\n`);
  }
  process.stdout.write(`Endpoint ${options.name} is InService and scales between ${options.minInstances} and ${options.maxInstances} instances.\n`);
}

/** The plan; an option SageMaker would refuse is a usage error (exit code 2), found before any request. */
function plan(options: DeployCliOptions): DeploymentStep[] {
  try {
    return planDeployment(toDeploymentOptions(options));
  } catch (e) {
    if (e instanceof DeploymentOptionsError) throw new UsageError(e.message);
    throw e;
  }
}

function toDeploymentOptions(o: DeployCliOptions): DeploymentOptions {
  return {
    endpointName: o.name, image: o.image, modelDataUrl: o.modelData, executionRoleArn: o.role,
    outputPath: o.outputPath, failurePath: o.failurePath, instanceType: o.instanceType,
    initialInstances: o.initialInstances, minInstances: o.minInstances, maxInstances: o.maxInstances,
    maxConcurrentInvocationsPerInstance: o.maxConcurrent, targetBacklogPerInstance: o.targetBacklog, environment: o.env,
  };
}

function describe(step: DeploymentStep): string {
  if (step.operation === "WaitUntilEndpointInService") return `waiting for ${step.input.EndpointName} to be InService (several minutes)`;
  return `${step.service} ${step.operation}`;
}
