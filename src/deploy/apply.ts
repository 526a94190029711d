// Sends a deployment plan (plan.ts) to AWS, step by step, with the SDK's default credential chain.
// The SDK clients are imported here only, so planning and the dry run never load them.
import type { DeploymentStep } from "./plan.js";
import { policyArnPlaceholder } from "./plan.js";

export interface ApplyOptions {
  region?: string;
  /** Longest wait for the endpoint to reach InService (SageMaker takes minutes). */
  maxWaitSeconds?: number;
  /** Called before each step is sent. */
  onStep?: (step: DeploymentStep, index: number, total: number) => void;
}

export interface StepOutcome {
  readonly operation: string;
  /** The response fields worth printing (ARNs, status). */
  readonly result: Record<string, unknown>;
}

interface Clients {
  readonly sagemaker: import("@aws-sdk/client-sagemaker").SageMakerClient;
  readonly autoscaling: import("@aws-sdk/client-application-auto-scaling").ApplicationAutoScalingClient;
  readonly cloudwatch: import("@aws-sdk/client-cloudwatch").CloudWatchClient;
}

/** Runs every step in order; stops at the first failure (earlier resources stay: delete them by name). */
export async function applyDeployment(steps: readonly DeploymentStep[], options: ApplyOptions = {}): Promise<StepOutcome[]> {
  const clients = await createClients(options.region);
  const policyArns = new Map<string, string>(); // placeholder → ARN, for the alarm's action
  const outcomes: StepOutcome[] = [];
  for (const [index, step] of steps.entries()) {
    options.onStep?.(step, index, steps.length);
    const result = await send(clients, withArns(step, policyArns), options.maxWaitSeconds ?? 1800);
    if (step.operation === "PutScalingPolicy" && typeof result.PolicyARN === "string") {
      policyArns.set(policyArnPlaceholder(step.input.PolicyName!), result.PolicyARN);
    }
    outcomes.push({ operation: step.operation, result });
  }
  return outcomes;
}

async function createClients(region: string | undefined): Promise<Clients> {
  const [{ SageMakerClient }, { ApplicationAutoScalingClient }, { CloudWatchClient }] = await Promise.all([
    import("@aws-sdk/client-sagemaker"),
    import("@aws-sdk/client-application-auto-scaling"),
    import("@aws-sdk/client-cloudwatch"),
  ]);
  const config = region ? { region } : {};
  return { sagemaker: new SageMakerClient(config), autoscaling: new ApplicationAutoScalingClient(config), cloudwatch: new CloudWatchClient(config) };
}

/** The step with placeholders of earlier policies' ARNs replaced by the real ones. */
function withArns(step: DeploymentStep, arns: ReadonlyMap<string, string>): DeploymentStep {
  if (step.operation !== "PutMetricAlarm") return step;
  const actions = (step.input.AlarmActions ?? []).map((action) => {
    const arn = arns.get(action);
    if (action.startsWith("<") && !arn) throw new Error(`the alarm ${step.input.AlarmName} refers to a policy that was not created: ${action}`);
    return arn ?? action;
  });
  return { ...step, input: { ...step.input, AlarmActions: actions } };
}

async function send(clients: Clients, step: DeploymentStep, maxWaitSeconds: number): Promise<Record<string, unknown>> {
  switch (step.operation) {
    case "CreateModel": {
      const { CreateModelCommand } = await import("@aws-sdk/client-sagemaker");
      return pick(await clients.sagemaker.send(new CreateModelCommand(step.input)), ["ModelArn"]);
    }
    case "CreateEndpointConfig": {
      const { CreateEndpointConfigCommand } = await import("@aws-sdk/client-sagemaker");
      return pick(await clients.sagemaker.send(new CreateEndpointConfigCommand(step.input)), ["EndpointConfigArn"]);
    }
    case "CreateEndpoint": {
      const { CreateEndpointCommand } = await import("@aws-sdk/client-sagemaker");
      return pick(await clients.sagemaker.send(new CreateEndpointCommand(step.input)), ["EndpointArn"]);
    }
    case "WaitUntilEndpointInService": {
      const { waitUntilEndpointInService } = await import("@aws-sdk/client-sagemaker");
      const outcome = await waitUntilEndpointInService({ client: clients.sagemaker, maxWaitTime: maxWaitSeconds }, step.input);
      return { state: outcome.state };
    }
    case "RegisterScalableTarget": {
      const { RegisterScalableTargetCommand } = await import("@aws-sdk/client-application-auto-scaling");
      return pick(await clients.autoscaling.send(new RegisterScalableTargetCommand(step.input)), ["ScalableTargetARN"]);
    }
    case "PutScalingPolicy": {
      const { PutScalingPolicyCommand } = await import("@aws-sdk/client-application-auto-scaling");
      return pick(await clients.autoscaling.send(new PutScalingPolicyCommand(step.input)), ["PolicyARN"]);
    }
    case "PutMetricAlarm": {
      const { PutMetricAlarmCommand } = await import("@aws-sdk/client-cloudwatch");
      await clients.cloudwatch.send(new PutMetricAlarmCommand(step.input));
      return { AlarmName: step.input.AlarmName };
    }
  }
}

function pick(response: object, fields: readonly string[]): Record<string, unknown> {
  const source = response as Record<string, unknown>;
  return Object.fromEntries(fields.filter((f) => source[f] !== undefined).map((f) => [f, source[f]]));
}
