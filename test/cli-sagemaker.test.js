// The service commands of the command line, as child processes: `blindml local` (the stack
// comes up, its printed environment reaches it with the AWS SDK, Ctrl-C stops it with exit 0)
// and `blindml deploy --dry-run` (every AWS request printed as JSON, no credentials needed).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { S3Client } from "@aws-sdk/client-s3";
import { SageMakerRuntimeClient } from "@aws-sdk/client-sagemaker-runtime";
import { LogisticRegression } from "blindml";
import { saveModel } from "blindml/node";
import { s3ClientConfigFor } from "blindml/local";
import { SageMakerInferenceClient, fetchModelClient } from "blindml/sagemaker";
import { readSharedDataset } from "../bench/lib/datasets.js";
import { BIN, childEnv, runProcess, startProcess } from "./processes.js";

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";

const work = await mkdtemp(join(tmpdir(), "blindml-cli-sagemaker-"));
const cancer = readSharedDataset("breast_cancer");

test.after(async () => {
  await rm(work, { recursive: true, force: true });
});

const DEPLOY_ARGS = [
  "deploy", "--name", "mnist", "--image", "123456789012.dkr.ecr.eu-west-1.amazonaws.com/blindml-inference:1",
  "--model-data", "s3://models-bucket/mnist/model.tar.gz", "--role", "arn:aws:iam::123456789012:role/blindml-endpoint",
  "--output-path", "s3://async-bucket/mnist/output", "--failure-path", "s3://async-bucket/mnist/failure",
];

test("deploy --dry-run: every request as JSON, an async endpoint scaling to zero, no credentials", async () => {
  const run = await runProcess(BIN, [...DEPLOY_ARGS, "--max-instances", "3", "--env", "BLINDML_KEY_CACHE_ENTRIES=4", "--dry-run"], { env: childEnv({ HOME: work }) });
  assert.is(run.code, 0, run.stderr);
  const { dryRun, steps } = JSON.parse(run.stdout);
  assert.is(dryRun, true);
  assert.equal(steps.map((s) => s.operation), [
    "CreateModel", "CreateEndpointConfig", "CreateEndpoint", "WaitUntilEndpointInService",
    "RegisterScalableTarget", "PutScalingPolicy", "PutScalingPolicy", "PutMetricAlarm",
  ]);
  const [model, config, endpoint, , target, tracking, stepPolicy, alarm] = steps;
  assert.equal(model.input.PrimaryContainer, {
    Image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/blindml-inference:1", ModelDataUrl: "s3://models-bucket/mnist/model.tar.gz",
    Environment: { BLINDML_KEY_CACHE_ENTRIES: "4" },
  });
  assert.is(model.input.ExecutionRoleArn, "arn:aws:iam::123456789012:role/blindml-endpoint");
  assert.equal(config.input.AsyncInferenceConfig, {
    OutputConfig: { S3OutputPath: "s3://async-bucket/mnist/output", S3FailurePath: "s3://async-bucket/mnist/failure" },
    ClientConfig: { MaxConcurrentInvocationsPerInstance: 1 },
  });
  assert.is(config.input.ProductionVariants[0].ModelName, model.input.ModelName);
  assert.is(endpoint.input.EndpointConfigName, config.input.EndpointConfigName);
  assert.is(target.service, "application-autoscaling");
  assert.equal(target.input, {
    ServiceNamespace: "sagemaker", ResourceId: "endpoint/mnist/variant/AllTraffic", ScalableDimension: "sagemaker:variant:DesiredInstanceCount",
    MinCapacity: 0, MaxCapacity: 3,
  });
  const metric = tracking.input.TargetTrackingScalingPolicyConfiguration.CustomizedMetricSpecification;
  assert.is(tracking.input.PolicyType, "TargetTrackingScaling");
  assert.equal([metric.MetricName, metric.Namespace, metric.Dimensions], ["ApproximateBacklogSizePerInstance", "AWS/SageMaker", [{ Name: "EndpointName", Value: "mnist" }]]);
  assert.is(stepPolicy.input.PolicyType, "StepScaling");
  assert.equal(stepPolicy.input.StepScalingPolicyConfiguration.StepAdjustments, [{ MetricIntervalLowerBound: 0, ScalingAdjustment: 1 }]);
  assert.is(alarm.service, "cloudwatch");
  assert.is(alarm.input.MetricName, "HasBacklogWithoutCapacity");
  assert.is(alarm.input.ComparisonOperator, "GreaterThanOrEqualToThreshold");
  assert.is(alarm.input.Threshold, 1);
  assert.match(alarm.input.AlarmActions[0], stepPolicy.input.PolicyName, "the alarm triggers the step policy");
});

test("deploy: options SageMaker would refuse are usage errors, before any request", async () => {
  const badRole = DEPLOY_ARGS.map((a) => (a.startsWith("arn:") ? "blindml-endpoint" : a));
  const run = await runProcess(BIN, [...badRole, "--dry-run"], { env: childEnv() });
  assert.is(run.code, 2);
  assert.match(run.stderr, "not an IAM role ARN");
  const inverted = await runProcess(BIN, [...DEPLOY_ARGS, "--min-instances", "3", "--max-instances", "2", "--dry-run"], { env: childEnv() });
  assert.is(inverted.code, 2);
  assert.match(inverted.stderr, "--min-instances");
});

test("local: the stack comes up, its printed environment reaches it, Ctrl-C stops it with exit 0", async () => {
  const logistic = new LogisticRegression().fit(cancer.train.X, cancer.train.y).compile(cancer.train.X);
  await saveModel(logistic, join(work, "model"));
  const local = startProcess(BIN, ["local", "--model", join(work, "model"), "--endpoint", "cancer", "--s3-dir", join(work, "s3")], { env: childEnv() });
  try {
    await local.waitFor((line) => line === "Ready. Ctrl-C stops it.", 60_000);
    const env = Object.fromEntries([...local.stdout().matchAll(/^ {2}export (\w+)=(.*)$/gm)].map((m) => [m[1], m[2]]));
    assert.ok(env.AWS_ENDPOINT_URL_S3 && env.AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME, local.stdout());
    const credentials = { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY };
    const s3 = new S3Client(s3ClientConfigFor(env.AWS_ENDPOINT_URL_S3, credentials));
    const runtime = new SageMakerRuntimeClient({ endpoint: env.AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME, region: env.AWS_REGION, credentials });
    const modelUri = /^model\s+(s3:\/\/\S+)$/m.exec(local.stdout())[1];
    const model = (await fetchModelClient(s3, modelUri)).generateKeys();
    const client = new SageMakerInferenceClient({ model, s3, runtime, endpointName: "cancer", uploadPrefix: "s3://blindml/clients/test", poll: { initialDelayMs: 20, timeoutMs: 30_000 } });
    const X = Array.from({ length: 3 }, (_, r) => Array.from(cancer.test.X.data.slice(r * cancer.test.X.cols, (r + 1) * cancer.test.X.cols)));
    assert.equal((await client.predict(X)).predictions, logistic.predict(X));
    model.free();
  } finally {
    local.child.kill("SIGINT");
  }
  const { code } = await local.exited;
  assert.is(code, 0, local.stderr());
  assert.match(local.stderr(), "Stopped.");
  logistic.free?.();
});

test.run();
