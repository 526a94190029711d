// The server's settings from the environment, as SageMaker and the sagemaker-training-toolkit
// name them where they exist (SAGEMAKER_BIND_TO_PORT, SM_MODEL_DIR, AWS_*), BLINDML_* otherwise.
import { availableParallelism } from "node:os";
import type { S3ClientConfig } from "@aws-sdk/client-s3";
import type { Limits } from "./app.js";
import { DEFAULT_LIMITS } from "./app.js";
import { sageMakerLayout } from "./sagemaker-layout.js";

export interface ServerConfig {
  readonly host: string;
  readonly port: number;
  readonly modelDir: string;
  readonly limits: Limits;
  /** Expanded evaluation-key sets the ModelServer keeps (each ~120 MB for parameter set 2_2). */
  readonly maxCachedKeys: number;
  /** Threads that bootstrap (ModelServer workers; default every core, BLINDML_WORKERS). */
  readonly workers: number;
  /** How long in-flight invocations may run on after SIGTERM (SageMaker kills at 30 s). */
  readonly graceMs: number;
  readonly s3: S3ClientConfig;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

type Env = Readonly<Record<string, string | undefined>>;

export function readServerConfig(env: Env = process.env): ServerConfig {
  const int = (name: string, fallback: number, min = 0): number => readInteger(env, name, fallback, min);
  return {
    host: env.BLINDML_HOST ?? "0.0.0.0",
    port: int("SAGEMAKER_BIND_TO_PORT", 8080, 0),
    modelDir: env.BLINDML_MODEL_DIR ?? sageMakerLayout(env).modelDir, // SM_MODEL_DIR, else <root>/model
    limits: {
      maxRequestBytes: int("BLINDML_MAX_REQUEST_BYTES", DEFAULT_LIMITS.maxRequestBytes, 1),
      maxQueryBytes: int("BLINDML_MAX_QUERY_BYTES", DEFAULT_LIMITS.maxQueryBytes, 1),
      maxKeyBytes: int("BLINDML_MAX_KEY_BYTES", DEFAULT_LIMITS.maxKeyBytes, 1),
      keyBytesCacheBytes: int("BLINDML_KEY_BYTES_CACHE_BYTES", DEFAULT_LIMITS.keyBytesCacheBytes),
    },
    maxCachedKeys: int("BLINDML_KEY_CACHE_ENTRIES", 2, 1),
    workers: int("BLINDML_WORKERS", availableParallelism(), 1),
    graceMs: int("BLINDML_SHUTDOWN_GRACE_SECONDS", 25) * 1000,
    s3: s3ConfigFromEnv(env),
  };
}

/**
 * S3 client settings: the region, and for an S3-compatible endpoint (AWS_ENDPOINT_URL_S3, e.g.
 * the local stack) path-style addressing and checksums only where required, since such servers
 * rarely decode the SDK's default aws-chunked uploads with checksum trailers.
 */
export function s3ConfigFromEnv(env: Env = process.env): S3ClientConfig {
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? "us-east-1";
  const endpoint = env.AWS_ENDPOINT_URL_S3;
  if (!endpoint) return { region };
  return { region, endpoint, forcePathStyle: true, requestChecksumCalculation: "WHEN_REQUIRED", responseChecksumValidation: "WHEN_REQUIRED" };
}

function readInteger(env: Env, name: string, fallback: number, min: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min) throw new ConfigError(`${name} must be an integer ≥ ${min}, got "${raw}".`);
  return value;
}
