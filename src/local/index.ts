// blindml/local: the SageMaker flow on one machine — a local S3 server and a local SageMaker
// runtime, both on loopback, for tests, the demo and `blindml local`. Node-only.
export { startLocalS3, s3ClientConfigFor, corsConfiguration, LOCAL_S3_CREDENTIALS } from "./s3.js";
export type { LocalS3, LocalS3Options } from "./s3.js";
export { createRuntime, startLocalRuntime, RUNTIME_LIMITS } from "./runtime.js";
export type { LocalRuntime, RuntimeOptions, RuntimeLogRecord } from "./runtime.js";
export { parseRuntimeConfig, readRuntimeConfig, RuntimeConfigError } from "./runtime-config.js";
export type { RuntimeConfig, EndpointConfig } from "./runtime-config.js";
export { listen } from "./http.js";
export type { Listening, FetchApp } from "./http.js";
