// The inference server as a Hono app (web-standard Request → Response; test it with
// app.request()). SageMaker's container contract:
//   GET  /ping         200 once the model is loaded, 503 before (and while shutting down)
//   POST /invocations  {"evaluation_keys_uri": "s3://…", "encrypted_query_uri": "s3://…"}
//                      → 200 application/octet-stream: the encrypted result
// Every failure is JSON {error, code}: 400 malformed request, 403 S3 refused us, 404 missing
// object, 413 over a size limit, 422 keys or query not for this model or damaged, 502 S3 failed,
// 503 not ready or shutting down, 500 only for our own faults. No failure stops the process.
import { Hono } from "hono";
import type { Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { S3Client } from "@aws-sdk/client-s3";
import type { ModelServer } from "../src/artifacts/server.js";
import { parseS3Uri } from "../src/sagemaker/s3-uri.js";
import type { S3Location } from "../src/sagemaker/s3-uri.js";
import { getObjectBytes, headObject, s3ErrorKind, s3ErrorName, ObjectTooLargeError } from "../src/sagemaker/s3-objects.js";
import { RESULT_CONTENT_TYPE } from "../src/sagemaker/protocol.js";
import type { InvocationRequest } from "../src/sagemaker/protocol.js";
import { HttpError, toHttpError, errorBody } from "./errors.js";
import { KeyBytesCache } from "./key-bytes-cache.js";
import { Lifecycle } from "./lifecycle.js";
import type { Logger } from "./log.js";
import { jsonLineLogger } from "./log.js";

export interface Limits {
  /** Largest POST /invocations body (the JSON with two URIs). */
  maxRequestBytes: number;
  /** Largest encrypted query object. */
  maxQueryBytes: number;
  /** Largest evaluation-key object. */
  maxKeyBytes: number;
  /** Bytes of compressed evaluation keys kept to skip re-downloading them (0 disables). */
  keyBytesCacheBytes: number;
}

const MiB = 2 ** 20;
export const DEFAULT_LIMITS: Limits = {
  maxRequestBytes: 64 * 1024,
  maxQueryBytes: 64 * MiB,
  maxKeyBytes: 256 * MiB,
  keyBytesCacheBytes: 256 * MiB,
};

export interface AppOptions {
  /** The model, or its loading: /ping answers 503 until it resolves. */
  modelServer: ModelServer | Promise<ModelServer>;
  s3: S3Client;
  limits?: Partial<Limits>;
  logger?: Logger;
  /** Shared with whoever handles SIGTERM (see startServer). */
  lifecycle?: Lifecycle;
}

/** One log line per invocation: what happened, how big, how long. Never key or query bytes. */
interface InvocationRecord {
  id: string;
  status?: number;
  code?: string;
  error?: string;
  keysUri?: string;
  queryUri?: string;
  keyBytes?: number;
  queryBytes?: number;
  resultBytes?: number;
  /** The compressed keys came from this server's byte cache (no download). */
  keyDownloadSkipped?: boolean;
  /** ModelServer found the expanded keys in its cache (no deserialization or expansion). */
  keyCacheHit?: boolean;
  rows?: number;
  ms: { fetch?: number; keys?: number; evaluate?: number; total?: number };
}

export function createApp(options: AppOptions): Hono {
  const limits: Limits = { ...DEFAULT_LIMITS, ...options.limits };
  const log = options.logger ?? jsonLineLogger();
  const lifecycle = options.lifecycle ?? new Lifecycle();
  const model = new ModelState(options.modelServer, log);
  const keyBytes = new KeyBytesCache(limits.keyBytesCacheBytes);
  const app = new Hono();

  app.get("/ping", (c) => {
    if (lifecycle.draining) return c.json(errorBody(new HttpError(503, "SHUTTING_DOWN", "The server is shutting down.")), 503);
    if (!model.ready) return c.json(errorBody(model.notReadyError()), 503);
    return c.body(null, 200);
  });

  const requestLimit = bodyLimit({
    maxSize: limits.maxRequestBytes,
    onError: (c) => c.json(errorBody(new HttpError(413, "TOO_LARGE", `The request body is over ${limits.maxRequestBytes} bytes; it should hold two s3:// URIs.`)), 413),
  });

  app.post("/invocations", requestLimit, async (c) => {
    const record: InvocationRecord = { id: requestId(c), ms: {} };
    const started = performance.now();
    try {
      if (lifecycle.draining) throw new HttpError(503, "SHUTTING_DOWN", "The server is shutting down; retry on another instance.");
      const server = model.current();
      const request = parseInvocation(await c.req.text());
      // a drain may have begun while the body was read: it only waits for tracked work
      if (lifecycle.draining) throw new HttpError(503, "SHUTTING_DOWN", "The server is shutting down; retry on another instance.");
      const result = await lifecycle.track(invoke(server, request, { s3: options.s3, limits, keyBytes }, record));
      record.status = 200;
      record.resultBytes = result.length;
      return c.body(result as Uint8Array<ArrayBuffer>, 200, { "content-type": RESULT_CONTENT_TYPE });
    } catch (e) {
      const failure = toHttpError(e);
      record.status = failure.status;
      record.code = failure.code;
      record.error = failure.status === 500 ? String((e as Error)?.stack ?? e) : failure.message;
      return c.json(errorBody(failure), failure.status);
    } finally {
      record.ms.total = round(performance.now() - started);
      const { id, status, code, error, ms, ...details } = record; // id and outcome first, for readers
      log({ level: status === 500 ? "error" : "info", msg: "invocation", id, status, code, ...details, ms, error });
    }
  });

  app.notFound((c) => c.json(errorBody(new HttpError(404, "NOT_FOUND", `No route ${c.req.method} ${new URL(c.req.url).pathname}.`)), 404));
  app.onError((e, c) => {
    log({ level: "error", msg: "unhandled", error: String(e?.stack ?? e) });
    const failure = toHttpError(e);
    return c.json(errorBody(failure), failure.status);
  });
  return app;
}

interface InvokeDeps {
  readonly s3: S3Client;
  readonly limits: Limits;
  readonly keyBytes: KeyBytesCache;
}

/** Fetches both objects, evaluates, and fills the log record along the way. */
async function invoke(server: ModelServer, request: InvocationRequest, deps: InvokeDeps, record: InvocationRecord): Promise<Uint8Array> {
  const keysAt = parseField(request.evaluation_keys_uri, "evaluation_keys_uri");
  const queryAt = parseField(request.encrypted_query_uri, "encrypted_query_uri");
  record.keysUri = request.evaluation_keys_uri;
  record.queryUri = request.encrypted_query_uri;
  const t0 = performance.now();
  const [keys, query] = await Promise.all([
    fetchKeys(deps, keysAt, request.evaluation_keys_uri, record),
    fetchObject(deps.s3, queryAt, "encrypted_query_uri", deps.limits.maxQueryBytes),
  ]);
  record.ms.fetch = round(performance.now() - t0);
  record.keyBytes = keys.length;
  record.queryBytes = query.length;
  // runWithInfo, not lastRun: with concurrent invocations lastRun may describe another one
  const { result, info } = await server.runWithInfo(query, keys);
  record.keyCacheHit = info.keyCacheHit;
  record.rows = info.rows;
  record.ms.keys = round(info.keyMs);
  record.ms.evaluate = round(info.evaluateMs);
  return result;
}

/** The keys from the byte cache when the object's ETag is unchanged, else downloaded. */
async function fetchKeys(deps: InvokeDeps, at: S3Location, uri: string, record: InvocationRecord): Promise<Uint8Array> {
  const head = await s3Call("evaluation_keys_uri", at, () => headObject(deps.s3, at));
  if (!head) throw new HttpError(404, "NO_SUCH_OBJECT", `evaluation_keys_uri: no object at ${uri}.`);
  if (head.size > deps.limits.maxKeyBytes) throw tooLarge("evaluation_keys_uri", head.size, deps.limits.maxKeyBytes);
  const cached = deps.keyBytes.get(uri, head.etag);
  record.keyDownloadSkipped = cached !== undefined;
  if (cached) return cached;
  const bytes = await fetchObject(deps.s3, at, "evaluation_keys_uri", deps.limits.maxKeyBytes);
  deps.keyBytes.set(uri, head.etag, bytes);
  return bytes;
}

/** GetObject bounded by `maxBytes` (refused from its Content-Length before any body is read). */
async function fetchObject(s3: S3Client, at: S3Location, field: string, maxBytes: number): Promise<Uint8Array> {
  try {
    return await s3Call(field, at, () => getObjectBytes(s3, at, maxBytes));
  } catch (e) {
    if (e instanceof ObjectTooLargeError) throw tooLarge(field, e.sizeBytes, maxBytes);
    throw e;
  }
}

/** Runs an S3 call and turns S3's refusals into HTTP errors naming the request field. */
async function s3Call<T>(field: string, at: S3Location, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (e) {
    if (e instanceof ObjectTooLargeError) throw e;
    const uri = `s3://${at.bucket}/${at.key}`;
    const name = s3ErrorName(e);
    // no credentials is this server's misconfiguration, not the caller's fault nor S3's
    if (name === "CredentialsProviderError") throw new HttpError(500, "NO_CREDENTIALS", "The inference server has no AWS credentials to read S3 with.");
    switch (s3ErrorKind(e)) {
      case "not-found":
        throw new HttpError(404, name === "NoSuchBucket" ? "NO_SUCH_BUCKET" : "NO_SUCH_OBJECT", `${field}: no ${name === "NoSuchBucket" ? "bucket" : "object"} at ${uri}.`);
      case "access-denied":
        throw new HttpError(403, "ACCESS_DENIED", `${field}: the server's role may not read ${uri} (${name}).`);
      default:
        throw new HttpError(502, "S3_UNAVAILABLE", `${field}: reading ${uri} from S3 failed (${name}).`);
    }
  }
}

function tooLarge(field: string, size: number, limit: number): HttpError {
  return new HttpError(413, "TOO_LARGE", `${field}: the object is ${size} bytes, over this server's limit of ${limit} bytes.`);
}

/** Parses and checks the request body; every defect is a 400 naming what is wrong. */
export function parseInvocation(text: string): InvocationRequest {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new HttpError(400, "MALFORMED_JSON", "The request body is not valid JSON.");
  }
  if (!body || typeof body !== "object" || Array.isArray(body)) throw new HttpError(400, "MALFORMED_REQUEST", "The request body must be a JSON object.");
  const fields = body as Record<string, unknown>;
  for (const field of ["evaluation_keys_uri", "encrypted_query_uri"] as const) {
    if (fields[field] === undefined) throw new HttpError(400, "MISSING_FIELD", `The request has no "${field}".`);
    if (typeof fields[field] !== "string") throw new HttpError(400, "BAD_URI", `"${field}" must be a string s3:// URI.`);
  }
  return { evaluation_keys_uri: fields.evaluation_keys_uri as string, encrypted_query_uri: fields.encrypted_query_uri as string };
}

function parseField(uri: string, field: string): S3Location {
  try {
    return parseS3Uri(uri);
  } catch (e) {
    throw new HttpError(400, "BAD_URI", `${field}: ${(e as Error).message}`);
  }
}

/** The caller's request id when it sent a sane one (SageMaker's inference id), else a new one. */
function requestId(c: Context): string {
  const given = c.req.header("x-amzn-sagemaker-inference-id") ?? c.req.header("x-request-id");
  return given && /^[A-Za-z0-9._:-]{1,128}$/.test(given) ? given : globalThis.crypto.randomUUID();
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

/** The model being loaded, loaded, or failed to load. */
class ModelState {
  private model?: ModelServer;
  private failure?: string;

  constructor(modelServer: ModelServer | Promise<ModelServer>, log: Logger) {
    Promise.resolve(modelServer).then(
      (m) => {
        this.model = m;
      },
      (e: unknown) => {
        this.failure = e instanceof Error ? e.message : String(e);
        log({ level: "error", msg: "model load failed", error: this.failure });
      },
    );
  }

  get ready(): boolean {
    return this.model !== undefined;
  }

  notReadyError(): HttpError {
    return this.failure
      ? new HttpError(503, "MODEL_LOAD_FAILED", `The model failed to load: ${this.failure}`)
      : new HttpError(503, "MODEL_LOADING", "The model is still loading; retry shortly.");
  }

  current(): ModelServer {
    if (!this.model) throw this.notReadyError();
    return this.model;
  }
}
