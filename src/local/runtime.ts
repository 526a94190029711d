// A local stand-in for the SageMaker runtime API, so @aws-sdk/client-sagemaker-runtime with an
// `endpoint` override works unchanged against containers on this machine:
//   POST /endpoints/{name}/async-invocations  InvokeEndpointAsync: 202 at once; the invocation
//        reads X-Amzn-SageMaker-InputLocation from S3, calls the container's /invocations, and
//        writes <id>.out to the output path or <id>-error.out to the failure path.
//   POST /endpoints/{name}/invocations        InvokeEndpoint: the body to the container and back.
// Errors use the restJson1 shape the SDK parses (x-amzn-ErrorType header, JSON message). SigV4
// signatures are not checked: this is for loopback use only. Node-only.
import { Hono } from "hono";
import type { Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import type { S3Client } from "@aws-sdk/client-s3";
import { getObjectBytes, putObjectBytes, s3ErrorName, ObjectTooLargeError } from "../sagemaker/s3-objects.js";
import { parseS3Uri, joinS3Uri } from "../sagemaker/s3-uri.js";
import type { RuntimeConfig, EndpointConfig } from "./runtime-config.js";
import { listen } from "./http.js";

/** SageMaker's documented limits. */
export const RUNTIME_LIMITS = {
  asyncPayloadBytes: 1024 ** 3,
  syncPayloadBytes: 6 * 1024 ** 2,
  syncTimeoutSeconds: 60,
  defaultInvocationTimeoutSeconds: 900,
  maxInvocationTimeoutSeconds: 3600,
  defaultRequestTtlSeconds: 21_600,
  maxCustomAttributesChars: 1024,
} as const;

const H = {
  contentType: "x-amzn-sagemaker-content-type",
  accept: "x-amzn-sagemaker-accept",
  customAttributes: "x-amzn-sagemaker-custom-attributes",
  inferenceId: "x-amzn-sagemaker-inference-id",
  inputLocation: "x-amzn-sagemaker-inputlocation",
  requestTtl: "x-amzn-sagemaker-requestttlseconds",
  invocationTimeout: "x-amzn-sagemaker-invocationtimeoutseconds",
  outputLocation: "X-Amzn-SageMaker-OutputLocation",
  failureLocation: "X-Amzn-SageMaker-FailureLocation",
} as const;

export interface RuntimeLogRecord {
  readonly event: string;
  readonly endpoint: string;
  readonly inferenceId?: string;
  readonly [field: string]: unknown;
}

export interface RuntimeOptions {
  config: RuntimeConfig;
  /** The S3 client used to read inputs and write outputs (the runtime's own credentials). */
  s3: S3Client;
  log?: (record: RuntimeLogRecord) => void;
  /**
   * Web origins (e.g. "http://127.0.0.1:8000") whose pages may call the runtime from a browser;
   * none by default. The AWS SDK's own headers are allowed and the location headers exposed.
   */
  corsOrigins?: readonly string[];
}

export interface LocalRuntime {
  readonly app: Hono;
  /** Resolves once every accepted async invocation has written its output or failure. */
  idle(): Promise<void>;
}

/** The failure object's body: the container's error (with its status) or the runtime's own. */
interface FailurePayload {
  error: string;
  code: string;
  status?: number;
}

interface AsyncJob {
  readonly endpointName: string;
  readonly endpoint: EndpointConfig;
  readonly inferenceId: string;
  readonly inputUri: string;
  readonly outputUri: string;
  readonly failureUri: string;
  readonly contentType: string;
  readonly accept?: string;
  readonly customAttributes?: string;
  readonly timeoutSeconds: number;
  readonly expiresAt: number;
}

class InvocationFailure extends Error {
  constructor(readonly payload: FailurePayload) {
    super(payload.error);
  }
}

export function createRuntime(options: RuntimeOptions): LocalRuntime {
  const { config, s3 } = options;
  const log = options.log ?? (() => undefined);
  const slots = new Map(Object.entries(config.endpoints).map(([name, e]) => [name, new Slots(e.maxConcurrentInvocations)]));
  const pending = new Set<Promise<void>>();
  const app = new Hono();
  if (options.corsOrigins?.length) app.use("*", corsFor(options.corsOrigins));

  app.post("/endpoints/:name/async-invocations", async (c) => {
    const name = c.req.param("name");
    const endpoint = config.endpoints[name];
    if (!endpoint) return endpointNotFound(c, name);
    const job = asyncJobFrom(c, name, endpoint);
    if (job instanceof Response) return job;
    const run = runAsyncJob(job, s3, slots.get(name)!, log).finally(() => pending.delete(run));
    pending.add(run);
    log({ event: "async-accepted", endpoint: name, inferenceId: job.inferenceId, input: job.inputUri });
    return c.json({ InferenceId: job.inferenceId }, 202, { [H.outputLocation]: job.outputUri, [H.failureLocation]: job.failureUri });
  });

  const syncLimit = bodyLimit({
    maxSize: RUNTIME_LIMITS.syncPayloadBytes,
    onError: (c) => validationError(c, "The payload is over InvokeEndpoint's 6 MB limit (use InvokeEndpointAsync)."),
  });
  app.post("/endpoints/:name/invocations", syncLimit, async (c) => {
    const name = c.req.param("name");
    const endpoint = config.endpoints[name];
    if (!endpoint) return endpointNotFound(c, name);
    return invokeSync(c, name, endpoint, log);
  });

  app.get("/ping", (c) => c.text("ok"));
  app.notFound((c) => awsError(c, 404, "UnknownOperationException", `No operation at ${c.req.method} ${new URL(c.req.url).pathname}.`));

  return {
    app,
    idle: async () => {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
  };
}

/** CORS for browser clients of the listed origins: any request header, the runtime's replies readable. */
function corsFor(origins: readonly string[]) {
  return cors({
    origin: [...origins],
    allowMethods: ["GET", "POST", "OPTIONS"],
    // the SDK signs with its own headers (amz-sdk-*, x-amz-*, x-amzn-sagemaker-*): reflect them
    allowHeaders: [],
    exposeHeaders: [H.outputLocation, H.failureLocation, "x-amzn-requestid", "x-amzn-errortype", H.inferenceId, H.customAttributes],
    maxAge: 600,
  });
}

/** Starts the runtime on host:port (port 0: ephemeral); close() waits for async invocations. */
export async function startLocalRuntime(options: RuntimeOptions & { host?: string; port?: number }): Promise<LocalRuntime & { url: string; close(): Promise<void> }> {
  const runtime = createRuntime(options);
  const listening = await listen(runtime.app, options.host ?? "127.0.0.1", options.port ?? 0);
  return {
    ...runtime,
    url: listening.url,
    close: async () => {
      await listening.close();
      await runtime.idle();
    },
  };
}

/** Reads and checks the InvokeEndpointAsync headers; a Response is a validation error. */
function asyncJobFrom(c: Context, name: string, endpoint: EndpointConfig): AsyncJob | Response {
  const inputUri = c.req.header(H.inputLocation);
  if (!inputUri) return validationError(c, "X-Amzn-SageMaker-InputLocation is required.");
  try {
    parseS3Uri(inputUri);
  } catch (e) {
    return validationError(c, `InputLocation: ${(e as Error).message}`);
  }
  const inferenceId = c.req.header(H.inferenceId) ?? globalThis.crypto.randomUUID();
  // the id becomes part of S3 keys; SageMaker allows 64 printable characters
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(inferenceId)) return validationError(c, "InferenceId must be 1–64 characters of [A-Za-z0-9._-].");
  const timeoutSeconds = integerHeader(c, H.invocationTimeout, RUNTIME_LIMITS.defaultInvocationTimeoutSeconds, 1, RUNTIME_LIMITS.maxInvocationTimeoutSeconds);
  const ttlSeconds = integerHeader(c, H.requestTtl, RUNTIME_LIMITS.defaultRequestTtlSeconds, 60, RUNTIME_LIMITS.defaultRequestTtlSeconds);
  if (timeoutSeconds === undefined) return validationError(c, `InvocationTimeoutSeconds must be an integer from 1 to ${RUNTIME_LIMITS.maxInvocationTimeoutSeconds}.`);
  if (ttlSeconds === undefined) return validationError(c, `RequestTTLSeconds must be an integer from 60 to ${RUNTIME_LIMITS.defaultRequestTtlSeconds}.`);
  const customAttributes = c.req.header(H.customAttributes);
  if (customAttributes && customAttributes.length > RUNTIME_LIMITS.maxCustomAttributesChars) return validationError(c, "CustomAttributes is longer than 1024 characters.");
  return {
    endpointName: name,
    endpoint,
    inferenceId,
    inputUri,
    outputUri: joinS3Uri(endpoint.outputPath, `${inferenceId}.out`),
    failureUri: joinS3Uri(endpoint.failurePath, `${inferenceId}-error.out`),
    contentType: c.req.header(H.contentType) ?? "application/octet-stream",
    accept: c.req.header(H.accept),
    customAttributes,
    timeoutSeconds,
    expiresAt: Date.now() + ttlSeconds * 1000,
  };
}

/** One async invocation, start to end: never throws (every outcome is an S3 object). */
async function runAsyncJob(job: AsyncJob, s3: S3Client, slots: Slots, log: NonNullable<RuntimeOptions["log"]>): Promise<void> {
  const started = Date.now();
  await slots.acquire();
  try {
    if (Date.now() > job.expiresAt) throw new InvocationFailure({ error: "The request expired in the queue (RequestTTLSeconds).", code: "REQUEST_EXPIRED" });
    const input = await readInput(s3, job.inputUri);
    const answer = await callContainer(job.endpoint, input, {
      contentType: job.contentType, accept: job.accept, customAttributes: job.customAttributes, inferenceId: job.inferenceId,
    }, job.timeoutSeconds);
    if (answer.status < 200 || answer.status > 299) throw new InvocationFailure(containerFailure(answer));
    await putObjectBytes(s3, parseS3Uri(job.outputUri), answer.body, answer.contentType);
    log({ event: "async-completed", endpoint: job.endpointName, inferenceId: job.inferenceId, output: job.outputUri, bytes: answer.body.length, ms: Date.now() - started });
  } catch (e) {
    const payload = e instanceof InvocationFailure ? e.payload : { error: `The runtime failed: ${(e as Error).message}`, code: "RUNTIME_ERROR" };
    await writeFailure(s3, job, payload, log);
    log({ event: "async-failed", endpoint: job.endpointName, inferenceId: job.inferenceId, failure: job.failureUri, code: payload.code, status: payload.status, ms: Date.now() - started });
  } finally {
    slots.release();
  }
}

async function readInput(s3: S3Client, uri: string): Promise<Uint8Array> {
  try {
    return await getObjectBytes(s3, parseS3Uri(uri), RUNTIME_LIMITS.asyncPayloadBytes);
  } catch (e) {
    if (e instanceof ObjectTooLargeError) throw new InvocationFailure({ error: `The input is over SageMaker's 1 GB async payload limit.`, code: "INPUT_TOO_LARGE" });
    throw new InvocationFailure({ error: `Cannot read the input ${uri}: ${s3ErrorName(e)}.`, code: "INPUT_UNREADABLE" });
  }
}

async function writeFailure(s3: S3Client, job: AsyncJob, payload: FailurePayload, log: NonNullable<RuntimeOptions["log"]>): Promise<void> {
  try {
    await putObjectBytes(s3, parseS3Uri(job.failureUri), new TextEncoder().encode(JSON.stringify(payload)), "application/json");
  } catch (e) {
    // nowhere left to report it but the log: the client will time out waiting
    log({ event: "failure-write-failed", endpoint: job.endpointName, inferenceId: job.inferenceId, error: s3ErrorName(e) });
  }
}

interface ContainerAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly body: Uint8Array;
}

interface ContainerHeaders {
  readonly contentType: string;
  readonly accept?: string;
  readonly customAttributes?: string;
  readonly inferenceId?: string;
}

async function callContainer(endpoint: EndpointConfig, body: Uint8Array, headers: ContainerHeaders, timeoutSeconds: number): Promise<ContainerAnswer> {
  const sent: Record<string, string> = { "content-type": headers.contentType };
  if (headers.accept) sent.accept = headers.accept;
  if (headers.customAttributes) sent["x-amzn-sagemaker-custom-attributes"] = headers.customAttributes;
  if (headers.inferenceId) sent["x-amzn-sagemaker-inference-id"] = headers.inferenceId;
  try {
    const response = await fetch(`${endpoint.containerUrl}/invocations`, {
      method: "POST",
      headers: sent,
      body: body as Uint8Array<ArrayBuffer>,
      signal: AbortSignal.timeout(timeoutSeconds * 1000),
    });
    return {
      status: response.status,
      contentType: response.headers.get("content-type") ?? "application/octet-stream",
      body: new Uint8Array(await response.arrayBuffer()),
    };
  } catch (e) {
    if ((e as Error).name === "TimeoutError") {
      throw new InvocationFailure({ error: `The model container did not answer within ${timeoutSeconds} s (InvocationTimeoutSeconds).`, code: "INVOCATION_TIMEOUT" });
    }
    const cause = ((e as Error).cause as Error | undefined)?.message ?? (e as Error).message;
    throw new InvocationFailure({ error: `Cannot reach the model container at ${endpoint.containerUrl}: ${cause}`, code: "CONTAINER_UNREACHABLE" });
  }
}

/** The container's error body, kept as the server wrote it, with the HTTP status added. */
function containerFailure(answer: ContainerAnswer): FailurePayload {
  const text = new TextDecoder().decode(answer.body.subarray(0, 64 * 1024));
  try {
    const parsed = JSON.parse(text) as { error?: unknown; code?: unknown };
    if (typeof parsed.error === "string") return { error: parsed.error, code: typeof parsed.code === "string" ? parsed.code : "MODEL_ERROR", status: answer.status };
  } catch {
    // not our server's JSON: keep the text
  }
  return { error: text || `HTTP ${answer.status}`, code: "MODEL_ERROR", status: answer.status };
}

async function invokeSync(c: Context, name: string, endpoint: EndpointConfig, log: NonNullable<RuntimeOptions["log"]>): Promise<Response> {
  const body = new Uint8Array(await c.req.arrayBuffer()); // (bounded by the route's body limit)
  const started = Date.now();
  const headers: ContainerHeaders = {
    contentType: c.req.header("content-type") ?? "application/octet-stream",
    accept: c.req.header("accept"),
    customAttributes: c.req.header(H.customAttributes),
    inferenceId: c.req.header(H.inferenceId),
  };
  let answer: ContainerAnswer;
  try {
    answer = await callContainer(endpoint, body, headers, RUNTIME_LIMITS.syncTimeoutSeconds);
  } catch (e) {
    const failure = (e as InvocationFailure).payload;
    log({ event: "sync-failed", endpoint: name, code: failure.code, ms: Date.now() - started });
    return awsError(c, failure.code === "INVOCATION_TIMEOUT" ? 408 : 500, failure.code === "INVOCATION_TIMEOUT" ? "ModelError" : "InternalFailure", failure.error);
  }
  log({ event: "sync-completed", endpoint: name, status: answer.status, bytes: answer.body.length, ms: Date.now() - started });
  if (answer.status >= 200 && answer.status <= 299) {
    return c.body(answer.body as Uint8Array<ArrayBuffer>, 200, { "content-type": answer.contentType, "x-Amzn-Invoked-Production-Variant": "AllTraffic" });
  }
  // SageMaker wraps a container error as ModelError (424) carrying the original status and body
  const original = new TextDecoder().decode(answer.body.subarray(0, 64 * 1024));
  return awsError(c, 424, "ModelError", `Received error (${answer.status}) from primary with message "${original}".`, {
    OriginalStatusCode: answer.status,
    OriginalMessage: original,
  });
}

function integerHeader(c: Context, name: string, fallback: number, min: number, max: number): number | undefined {
  const raw = c.req.header(name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  return Number.isInteger(value) && value >= min && value <= max ? value : undefined;
}

function endpointNotFound(c: Context, name: string): Response {
  return validationError(c, `Endpoint ${name} of account local not found.`);
}

function validationError(c: Context, message: string): Response {
  return awsError(c, 400, "ValidationError", message);
}

function awsError(c: Context, status: 400 | 404 | 408 | 424 | 500, type: string, message: string, extra: Record<string, unknown> = {}): Response {
  return c.json({ message, ...extra }, status, { "x-amzn-ErrorType": type });
}

/** A counting semaphore: at most `limit` holders, the rest wait in arrival order. */
class Slots {
  private free: number;
  private readonly waiting: (() => void)[] = [];

  constructor(limit: number) {
    this.free = limit;
  }

  async acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next(); // hand the slot over directly
    else this.free++;
  }
}
