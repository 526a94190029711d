// Configuration of the local SageMaker runtime: which endpoints exist, where each one's
// container listens, where its async results and failures go. A small JSON file, e.g.
//   { "endpoints": { "mnist": { "containerUrl": "http://127.0.0.1:8080",
//       "outputPath": "s3://blindml/async/output", "failurePath": "s3://blindml/async/failure",
//       "maxConcurrentInvocations": 1 } } }
// mirrors what CreateEndpointConfig's AsyncInferenceConfig holds on AWS.
import { readFile } from "node:fs/promises";
import { parseS3Uri } from "../sagemaker/s3-uri.js";

export interface EndpointConfig {
  /** Base URL of the inference container (its /invocations is called). */
  readonly containerUrl: string;
  /** S3 prefix for <inference-id>.out (AsyncInferenceConfig.OutputConfig.S3OutputPath). */
  readonly outputPath: string;
  /** S3 prefix for <inference-id>-error.out (OutputConfig.S3FailurePath). */
  readonly failurePath: string;
  /** Async invocations run at once; more wait in a queue (ClientConfig.MaxConcurrentInvocationsPerInstance). */
  readonly maxConcurrentInvocations: number;
}

export interface RuntimeConfig {
  readonly endpoints: Readonly<Record<string, EndpointConfig>>;
}

export class RuntimeConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RuntimeConfigError";
  }
}

// SageMaker's endpoint-name pattern
const ENDPOINT_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;

/** Validates a parsed configuration (defaults: maxConcurrentInvocations 1). */
export function parseRuntimeConfig(value: unknown): RuntimeConfig {
  const endpoints = (value as { endpoints?: unknown } | null)?.endpoints;
  if (!endpoints || typeof endpoints !== "object") throw new RuntimeConfigError('The runtime configuration needs an "endpoints" object.');
  const parsed: Record<string, EndpointConfig> = {};
  for (const [name, raw] of Object.entries(endpoints as Record<string, unknown>)) {
    if (!ENDPOINT_NAME.test(name)) throw new RuntimeConfigError(`"${name}" is not a valid SageMaker endpoint name.`);
    parsed[name] = parseEndpoint(name, raw);
  }
  return { endpoints: parsed };
}

export async function readRuntimeConfig(path: string): Promise<RuntimeConfig> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    throw new RuntimeConfigError(`Cannot read the runtime configuration ${path}: ${(e as Error).message}`);
  }
  try {
    return parseRuntimeConfig(JSON.parse(text));
  } catch (e) {
    if (e instanceof RuntimeConfigError) throw e;
    throw new RuntimeConfigError(`${path} is not valid JSON: ${(e as Error).message}`);
  }
}

function parseEndpoint(name: string, raw: unknown): EndpointConfig {
  const e = (raw ?? {}) as Record<string, unknown>;
  const text = (field: string): string => {
    const v = e[field];
    if (typeof v !== "string" || v.length === 0) throw new RuntimeConfigError(`Endpoint "${name}": "${field}" must be a non-empty string.`);
    return v;
  };
  const containerUrl = text("containerUrl");
  if (!/^https?:\/\//.test(containerUrl)) throw new RuntimeConfigError(`Endpoint "${name}": containerUrl must be an http(s) URL.`);
  const outputPath = text("outputPath");
  const failurePath = text("failurePath");
  for (const path of [outputPath, failurePath]) parseS3Uri(`${path.replace(/\/+$/, "")}/x`); // throws on a bad prefix
  const max = e.maxConcurrentInvocations ?? 1;
  if (!Number.isInteger(max) || (max as number) < 1) throw new RuntimeConfigError(`Endpoint "${name}": maxConcurrentInvocations must be a positive integer.`);
  return { containerUrl: containerUrl.replace(/\/+$/, ""), outputPath, failurePath, maxConcurrentInvocations: max as number };
}
