// The AWS requests that deploy a blindml model as a SageMaker asynchronous endpoint that scales
// to zero when idle, as data: `blindml deploy --dry-run` prints them, apply.ts sends them.
//
// The scaling follows AWS's "Autoscale an asynchronous endpoint" guide,
// https://docs.aws.amazon.com/sagemaker/latest/dg/async-inference-autoscale.html :
//   - RegisterScalableTarget with MinCapacity 0 (async endpoints may scale to zero instances);
//   - a target-tracking policy on the AWS/SageMaker metric ApproximateBacklogSizePerInstance
//     (queued requests per instance), which scales out under load and back in to zero;
//   - because no instance reports that metric at zero instances, a step-scaling policy (+1
//     instance) triggered by a CloudWatch alarm on HasBacklogWithoutCapacity (requests queued
//     while the endpoint has no instance) — the guide's "scale up from zero" policy.
// Pure data, no AWS SDK at run time (types only), so the dry run needs neither credentials nor network.
import type { CreateModelInput, CreateEndpointConfigInput, CreateEndpointInput, ProductionVariantInstanceType } from "@aws-sdk/client-sagemaker";
import type { RegisterScalableTargetRequest, PutScalingPolicyRequest } from "@aws-sdk/client-application-auto-scaling";
import type { PutMetricAlarmInput } from "@aws-sdk/client-cloudwatch";
import { parseS3Uri, joinS3Uri } from "../sagemaker/s3-uri.js";

export interface DeploymentOptions {
  endpointName: string;
  /** The inference image (container/Dockerfile.inference) in ECR. */
  image: string;
  /** s3://…/model.tar.gz: the training job's output, or server.zip + client.zip packed. */
  modelDataUrl: string;
  /** The role SageMaker assumes to pull the image, read the model and the clients' objects, write results. */
  executionRoleArn: string;
  /** AsyncInferenceConfig.OutputConfig.S3OutputPath: <inference-id>.out objects. */
  outputPath: string;
  /** AsyncInferenceConfig.OutputConfig.S3FailurePath: <inference-id>-error.out objects. */
  failurePath: string;
  instanceType?: string;
  initialInstances?: number;
  minInstances?: number;
  maxInstances?: number;
  /** Evaluations one instance runs at once (one uses every core: 1 is the sensible value). */
  maxConcurrentInvocationsPerInstance?: number;
  /** Queued requests per instance the target-tracking policy aims at. */
  targetBacklogPerInstance?: number;
  /** Container environment (BLINDML_* settings, see the README). */
  environment?: Record<string, string>;
  modelName?: string;
  endpointConfigName?: string;
  variantName?: string;
}

export type DeploymentStep =
  | { readonly service: "sagemaker"; readonly operation: "CreateModel"; readonly input: CreateModelInput }
  | { readonly service: "sagemaker"; readonly operation: "CreateEndpointConfig"; readonly input: CreateEndpointConfigInput }
  | { readonly service: "sagemaker"; readonly operation: "CreateEndpoint"; readonly input: CreateEndpointInput }
  /** Not a request: the scaling target needs the endpoint's variant, which exists once InService. */
  | { readonly service: "sagemaker"; readonly operation: "WaitUntilEndpointInService"; readonly input: { readonly EndpointName: string } }
  | { readonly service: "application-autoscaling"; readonly operation: "RegisterScalableTarget"; readonly input: RegisterScalableTargetRequest }
  | { readonly service: "application-autoscaling"; readonly operation: "PutScalingPolicy"; readonly input: PutScalingPolicyRequest }
  | { readonly service: "cloudwatch"; readonly operation: "PutMetricAlarm"; readonly input: PutMetricAlarmInput };

export class DeploymentOptionsError extends Error {
  readonly code = "BLINDML_USAGE";
  constructor(message: string) {
    super(message);
    this.name = "DeploymentOptionsError";
  }
}

export const DEPLOYMENT_DEFAULTS = {
  instanceType: "ml.c6i.xlarge",
  initialInstances: 1,
  minInstances: 0,
  maxInstances: 2,
  maxConcurrentInvocationsPerInstance: 1,
  targetBacklogPerInstance: 5,
  variantName: "AllTraffic",
} as const;

/** The values of the AWS guide's example policies (cooldowns in seconds, alarm over 2 × 60 s). */
const SCALING = {
  scaleInCooldown: 600,
  scaleOutCooldown: 300,
  stepCooldown: 300,
  alarmPeriodSeconds: 60,
  alarmEvaluationPeriods: 2,
} as const;

const SAGEMAKER_METRICS_NAMESPACE = "AWS/SageMaker";

/** Stands for the PolicyARN that PutScalingPolicy returns for the step policy; apply.ts substitutes it. */
export function policyArnPlaceholder(policyName: string): string {
  return `<PolicyARN returned by PutScalingPolicy ${policyName}>`;
}

/** Every request of the deployment, in the order they must be sent. */
export function planDeployment(options: DeploymentOptions): DeploymentStep[] {
  const o = withDefaults(options);
  validate(o);
  const resourceId = `endpoint/${o.endpointName}/variant/${o.variantName}`;
  const target = { ServiceNamespace: "sagemaker", ResourceId: resourceId, ScalableDimension: "sagemaker:variant:DesiredInstanceCount" } as const;
  const backlogPolicy = `${o.endpointName}-backlog-target-tracking`;
  const fromZeroPolicy = `${o.endpointName}-scale-from-zero`;
  const endpointDimension = [{ Name: "EndpointName", Value: o.endpointName }];
  return [
    {
      service: "sagemaker", operation: "CreateModel",
      input: {
        ModelName: o.modelName,
        ExecutionRoleArn: o.executionRoleArn,
        PrimaryContainer: { Image: o.image, ModelDataUrl: o.modelDataUrl, Environment: o.environment },
      },
    },
    {
      service: "sagemaker", operation: "CreateEndpointConfig",
      input: {
        EndpointConfigName: o.endpointConfigName,
        ProductionVariants: [{ VariantName: o.variantName, ModelName: o.modelName, InstanceType: o.instanceType as ProductionVariantInstanceType, InitialInstanceCount: o.initialInstances }],
        AsyncInferenceConfig: {
          OutputConfig: { S3OutputPath: o.outputPath, S3FailurePath: o.failurePath },
          ClientConfig: { MaxConcurrentInvocationsPerInstance: o.maxConcurrentInvocationsPerInstance },
        },
      },
    },
    { service: "sagemaker", operation: "CreateEndpoint", input: { EndpointName: o.endpointName, EndpointConfigName: o.endpointConfigName } },
    { service: "sagemaker", operation: "WaitUntilEndpointInService", input: { EndpointName: o.endpointName } },
    { service: "application-autoscaling", operation: "RegisterScalableTarget", input: { ...target, MinCapacity: o.minInstances, MaxCapacity: o.maxInstances } },
    {
      service: "application-autoscaling", operation: "PutScalingPolicy",
      input: {
        ...target,
        PolicyName: backlogPolicy,
        PolicyType: "TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration: {
          TargetValue: o.targetBacklogPerInstance,
          CustomizedMetricSpecification: {
            MetricName: "ApproximateBacklogSizePerInstance",
            Namespace: SAGEMAKER_METRICS_NAMESPACE,
            Dimensions: endpointDimension,
            Statistic: "Average",
          },
          ScaleInCooldown: SCALING.scaleInCooldown,
          ScaleOutCooldown: SCALING.scaleOutCooldown,
        },
      },
    },
    {
      service: "application-autoscaling", operation: "PutScalingPolicy",
      input: {
        ...target,
        PolicyName: fromZeroPolicy,
        PolicyType: "StepScaling",
        StepScalingPolicyConfiguration: {
          AdjustmentType: "ChangeInCapacity",
          MetricAggregationType: "Average",
          Cooldown: SCALING.stepCooldown,
          StepAdjustments: [{ MetricIntervalLowerBound: 0, ScalingAdjustment: 1 }],
        },
      },
    },
    {
      service: "cloudwatch", operation: "PutMetricAlarm",
      input: {
        AlarmName: `${o.endpointName}-has-backlog-without-capacity`,
        AlarmDescription: `Scales ${o.endpointName} up from zero instances when requests are queued.`,
        MetricName: "HasBacklogWithoutCapacity",
        Namespace: SAGEMAKER_METRICS_NAMESPACE,
        Dimensions: endpointDimension,
        Statistic: "Average",
        Period: SCALING.alarmPeriodSeconds,
        EvaluationPeriods: SCALING.alarmEvaluationPeriods,
        DatapointsToAlarm: SCALING.alarmEvaluationPeriods,
        Threshold: 1,
        ComparisonOperator: "GreaterThanOrEqualToThreshold",
        TreatMissingData: "missing",
        AlarmActions: [policyArnPlaceholder(fromZeroPolicy)],
      },
    },
  ];
}

type Resolved = Required<Omit<DeploymentOptions, "environment">> & { environment?: Record<string, string> };

function withDefaults(o: DeploymentOptions): Resolved {
  return {
    ...DEPLOYMENT_DEFAULTS,
    ...definedOnly(o),
    modelName: o.modelName ?? `${o.endpointName}-model`,
    endpointConfigName: o.endpointConfigName ?? `${o.endpointName}-config`,
    environment: o.environment && Object.keys(o.environment).length > 0 ? o.environment : undefined,
  } as Resolved;
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

// SageMaker's name pattern for endpoints, models and endpoint configs (63 characters)
const SAGEMAKER_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;

function validate(o: Resolved): void {
  for (const [what, name] of [["endpoint name", o.endpointName], ["model name", o.modelName], ["endpoint config name", o.endpointConfigName]] as const) {
    if (!SAGEMAKER_NAME.test(name)) throw new DeploymentOptionsError(`the ${what} "${name}" is not a valid SageMaker name (letters, digits and hyphens, at most 63)`);
  }
  if (!ROLE_ARN.test(o.executionRoleArn)) throw new DeploymentOptionsError(`"${o.executionRoleArn}" is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)`);
  if (o.image.trim() === "") throw new DeploymentOptionsError("the image URI is empty");
  checkS3(o.modelDataUrl, "--model-data");
  checkS3(joinS3Uri(o.outputPath, "x"), "--output-path");
  checkS3(joinS3Uri(o.failurePath, "x"), "--failure-path");
  if (o.minInstances > o.maxInstances) throw new DeploymentOptionsError(`--min-instances (${o.minInstances}) is above --max-instances (${o.maxInstances})`);
  if (o.maxInstances < 1) throw new DeploymentOptionsError("--max-instances must be at least 1");
  if (o.initialInstances < 1 || o.initialInstances > o.maxInstances) throw new DeploymentOptionsError(`--initial-instances must be from 1 to --max-instances (${o.maxInstances})`);
}

function checkS3(uri: string, option: string): void {
  try {
    parseS3Uri(uri);
  } catch (e) {
    throw new DeploymentOptionsError(`${option}: ${(e as Error).message}`);
  }
}
