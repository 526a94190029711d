// SageMakerInferenceClient: the client side of encrypted inference on a SageMaker endpoint. It
// keeps the secret key in a ModelClient, uploads the public evaluation keys once (under their
// SHA-256, so any client with the same keys reuses the object), and for each query: encrypts,
// uploads, invokes the endpoint (async by default), waits for the result object, downloads and
// decrypts it. Browser-safe: only the AWS SDK clients, fetch-free web APIs and timers.
import type { S3Client } from "@aws-sdk/client-s3";
import { InvokeEndpointAsyncCommand, InvokeEndpointCommand } from "@aws-sdk/client-sagemaker-runtime";
import type { SageMakerRuntimeClient } from "@aws-sdk/client-sagemaker-runtime";
import { ModelClient } from "../artifacts/client.js";
import type { Prediction } from "../artifacts/client.js";
import { sha256Hex } from "../artifacts/package.js";
import type { Rows } from "../ml/model.js";
import type { Engine } from "../engine/index.js";
import { parseS3Uri, joinS3Uri } from "./s3-uri.js";
import { headObject, getObjectBytes, putObjectBytes, s3ErrorKind, s3ErrorName } from "./s3-objects.js";
import { describeFailure, isModelMismatchCode, REQUEST_CONTENT_TYPE, RESULT_CONTENT_TYPE } from "./protocol.js";
import type { InvocationRequest, FailureDescription } from "./protocol.js";
import { AccessDeniedError, EndpointFailureError, EndpointModelMismatchError, InferenceTimeoutError, SageMakerError } from "./errors.js";
import type { EndpointFailureDetails } from "./errors.js";

export type ProgressStage = "keys" | "encrypt" | "upload" | "invoke" | "wait" | "download" | "decrypt" | "done";

export interface ProgressEvent {
  readonly stage: ProgressStage;
  /** Milliseconds since predict() started. */
  readonly elapsedMs: number;
  readonly inferenceId?: string;
  /** Bytes moved in this stage (uploads and downloads). */
  readonly bytes?: number;
  /** "uploaded" or "reused" for the keys stage; the poll attempt number while waiting. */
  readonly detail?: string;
}

export interface PollOptions {
  /** First wait before looking for the result (ms). */
  initialDelayMs: number;
  /** Longest wait between two looks (ms). */
  maxDelayMs: number;
  /** Growth of the wait between looks. */
  factor: number;
  /** Give up (InferenceTimeoutError) after this long (ms). */
  timeoutMs: number;
}

const DEFAULT_POLL: PollOptions = { initialDelayMs: 100, maxDelayMs: 5_000, factor: 1.6, timeoutMs: 15 * 60_000 };
const MAX_FAILURE_BYTES = 1 << 20;

export interface SageMakerInferenceClientOptions {
  /** Holds the secret key: call generateKeys() or importKeys() before predicting. */
  model: ModelClient;
  s3: S3Client;
  runtime: SageMakerRuntimeClient;
  endpointName: string;
  /** s3:// prefix this client writes under: evaluation-keys/<sha256>.bin and queries/<id>.{query,json}. */
  uploadPrefix: string;
  /** X-Amzn-SageMaker-InvocationTimeoutSeconds for async calls (SageMaker's default is 900). */
  invocationTimeoutSeconds?: number;
  poll?: Partial<PollOptions>;
  onProgress?: (event: ProgressEvent) => void;
}

export interface PredictOptions {
  /** "async" (InvokeEndpointAsync, the default) or "sync" (InvokeEndpoint: payloads ≤ 6 MB, ≤ 60 s). */
  mode?: "async" | "sync";
  onProgress?: (event: ProgressEvent) => void;
}

export interface KeysReference {
  readonly uri: string;
  readonly bytes: number;
  /** Whether this call uploaded them (false when the object was there: reused). */
  readonly uploaded: boolean;
}

export interface InferenceTimings {
  keys: number;
  encrypt: number;
  upload: number;
  invoke: number;
  wait: number;
  download: number;
  decrypt: number;
  total: number;
}

export interface InferenceResult extends Prediction {
  readonly inferenceId: string;
  readonly mode: "async" | "sync";
  readonly keys: KeysReference;
  readonly bytes: { readonly query: number; readonly result: number };
  /** Milliseconds per stage. */
  readonly timings: InferenceTimings;
}

interface Invocation {
  readonly inferenceId: string;
  readonly request: InvocationRequest;
  readonly started: number;
  readonly report: (event: Omit<ProgressEvent, "elapsedMs" | "inferenceId">) => void;
}

export class SageMakerInferenceClient {
  readonly model: ModelClient;
  private readonly s3: S3Client;
  private readonly runtime: SageMakerRuntimeClient;
  private readonly endpointName: string;
  private readonly uploadPrefix: string;
  private readonly invocationTimeoutSeconds?: number;
  private readonly poll: PollOptions;
  private readonly onProgress?: (event: ProgressEvent) => void;
  // keyed by the ModelClient's evaluation-key array, which stays the same object until new keys
  private readonly keyUploads = new WeakMap<Uint8Array, Promise<KeysReference>>();

  constructor(options: SageMakerInferenceClientOptions) {
    parseS3Uri(joinS3Uri(options.uploadPrefix, "x")); // fail now, not at the first upload
    this.model = options.model;
    this.s3 = options.s3;
    this.runtime = options.runtime;
    this.endpointName = options.endpointName;
    this.uploadPrefix = options.uploadPrefix;
    this.invocationTimeoutSeconds = options.invocationTimeoutSeconds;
    this.poll = { ...DEFAULT_POLL, ...options.poll };
    this.onProgress = options.onProgress;
  }

  /** Makes sure the evaluation keys are in S3 (HEAD first, upload only when absent). */
  async ensureEvaluationKeys(): Promise<{ reference: KeysReference; firstUse: boolean }> {
    const keys = this.model.evaluationKeys();
    const pending = this.keyUploads.get(keys);
    if (pending) return { reference: await pending, firstUse: false };
    const upload = this.uploadKeys(keys);
    this.keyUploads.set(keys, upload);
    upload.catch(() => this.keyUploads.delete(keys)); // a failed upload is retried next time
    return { reference: await upload, firstUse: true };
  }

  /** Encrypts rows, runs them on the endpoint and decrypts the answer. */
  async predict(rows: Rows, options: PredictOptions = {}): Promise<InferenceResult> {
    const mode = options.mode ?? "async";
    const started = now();
    const inferenceId = globalThis.crypto.randomUUID();
    const report = (event: Omit<ProgressEvent, "elapsedMs" | "inferenceId">) => {
      const full = { ...event, inferenceId, elapsedMs: now() - started };
      this.onProgress?.(full);
      options.onProgress?.(full);
    };
    const timings: InferenceTimings = { keys: 0, encrypt: 0, upload: 0, invoke: 0, wait: 0, download: 0, decrypt: 0, total: 0 };
    const lap = stopwatch();

    const { reference, firstUse } = await this.ensureEvaluationKeys();
    const keys: KeysReference = { ...reference, uploaded: firstUse && reference.uploaded }; // uploaded by this call
    timings.keys = lap();
    report({ stage: "keys", detail: keys.uploaded ? "uploaded" : "reused", bytes: keys.uploaded ? keys.bytes : 0 });

    const query = this.model.encrypt(rows);
    timings.encrypt = lap();
    report({ stage: "encrypt", bytes: query.length });

    const queryUri = joinS3Uri(this.uploadPrefix, "queries", `${inferenceId}.query`);
    await this.put(queryUri, query, RESULT_CONTENT_TYPE);
    const request: InvocationRequest = { evaluation_keys_uri: keys.uri, encrypted_query_uri: queryUri };
    const invocation: Invocation = { inferenceId, request, started, report };

    const resultBytes = mode === "sync" ? await this.invokeSync(invocation, timings, lap) : await this.invokeAsync(invocation, timings, lap);

    const prediction = this.model.decrypt(resultBytes);
    timings.decrypt = lap();
    timings.total = now() - started;
    report({ stage: "done" });
    return { ...prediction, inferenceId, mode, keys, bytes: { query: query.length, result: resultBytes.length }, timings };
  }

  private async uploadKeys(keys: Uint8Array): Promise<KeysReference> {
    const uri = joinS3Uri(this.uploadPrefix, "evaluation-keys", `${await sha256Hex(keys)}.bin`);
    const existing = await this.guard("HeadObject", uri, () => headObject(this.s3, parseS3Uri(uri)));
    // the name is the content's hash, so an object of the right size is these very keys
    if (existing && existing.size === keys.length) return { uri, bytes: keys.length, uploaded: false };
    await this.put(uri, keys, RESULT_CONTENT_TYPE);
    return { uri, bytes: keys.length, uploaded: true };
  }

  private async invokeAsync(invocation: Invocation, timings: InferenceTimings, lap: () => number): Promise<Uint8Array> {
    const { inferenceId, request, report } = invocation;
    const inputUri = joinS3Uri(this.uploadPrefix, "queries", `${inferenceId}.json`);
    await this.put(inputUri, new TextEncoder().encode(JSON.stringify(request)), REQUEST_CONTENT_TYPE);
    timings.upload = lap();
    report({ stage: "upload" });

    const answer = await this.guard("InvokeEndpointAsync", this.endpointName, () =>
      this.runtime.send(
        new InvokeEndpointAsyncCommand({
          EndpointName: this.endpointName,
          InputLocation: inputUri,
          ContentType: REQUEST_CONTENT_TYPE,
          Accept: RESULT_CONTENT_TYPE,
          InferenceId: inferenceId,
          InvocationTimeoutSeconds: this.invocationTimeoutSeconds,
        }),
      ),
    );
    timings.invoke = lap();
    report({ stage: "invoke" });
    if (!answer.OutputLocation) throw new SageMakerError("BLINDML_TRANSPORT", `InvokeEndpointAsync on ${this.endpointName} returned no OutputLocation.`);

    const found = await this.waitForResult(answer.InferenceId ?? inferenceId, answer.OutputLocation, answer.FailureLocation, report);
    timings.wait = lap();
    if (found.failed) throw await this.readFailure(found.uri, answer.InferenceId ?? inferenceId);
    const bytes = await this.guard("GetObject", found.uri, () => getObjectBytes(this.s3, parseS3Uri(found.uri)));
    timings.download = lap();
    report({ stage: "download", bytes: bytes.length });
    return bytes;
  }

  private async invokeSync(invocation: Invocation, timings: InferenceTimings, lap: () => number): Promise<Uint8Array> {
    const { inferenceId, request, report } = invocation;
    timings.upload = lap();
    report({ stage: "upload" });
    try {
      const answer = await this.runtime.send(
        new InvokeEndpointCommand({
          EndpointName: this.endpointName,
          Body: new TextEncoder().encode(JSON.stringify(request)),
          ContentType: REQUEST_CONTENT_TYPE,
          Accept: RESULT_CONTENT_TYPE,
          InferenceId: inferenceId,
        }),
      );
      timings.invoke = lap();
      report({ stage: "download", bytes: answer.Body?.length ?? 0 });
      return answer.Body ?? new Uint8Array(0);
    } catch (e) {
      const modelError = e as { name?: string; OriginalStatusCode?: number; OriginalMessage?: string; message?: string };
      if (modelError.name === "ModelError") {
        const failure = describeFailure(modelError.OriginalMessage ?? modelError.message ?? "");
        throw endpointFailure(failure, { inferenceId, status: failure.status ?? modelError.OriginalStatusCode });
      }
      throw this.translate(e, "InvokeEndpoint", this.endpointName);
    }
  }

  /** Looks for the output and the failure object with a growing delay, until the timeout. */
  private async waitForResult(
    inferenceId: string,
    outputUri: string,
    failureUri: string | undefined,
    report: Invocation["report"],
  ): Promise<{ uri: string; failed: boolean }> {
    const started = now();
    let delay = this.poll.initialDelayMs;
    for (let attempt = 1; ; attempt++) {
      await sleep(Math.min(delay, Math.max(0, this.poll.timeoutMs - (now() - started))));
      const [output, failure] = await Promise.all([
        this.guard("HeadObject", outputUri, () => headObject(this.s3, parseS3Uri(outputUri))),
        failureUri ? this.guard("HeadObject", failureUri, () => headObject(this.s3, parseS3Uri(failureUri))) : undefined,
      ]);
      if (output) return { uri: outputUri, failed: false };
      if (failure && failureUri) return { uri: failureUri, failed: true };
      report({ stage: "wait", detail: String(attempt) });
      if (now() - started >= this.poll.timeoutMs) throw new InferenceTimeoutError(inferenceId, now() - started, outputUri);
      delay = Math.min(delay * this.poll.factor, this.poll.maxDelayMs);
    }
  }

  private async readFailure(uri: string, inferenceId: string): Promise<EndpointFailureError> {
    const bytes = await this.guard("GetObject", uri, () => getObjectBytes(this.s3, parseS3Uri(uri), MAX_FAILURE_BYTES));
    const failure = describeFailure(new TextDecoder().decode(bytes));
    return endpointFailure(failure, { inferenceId, failureLocation: uri, status: failure.status });
  }

  private async put(uri: string, bytes: Uint8Array, contentType: string): Promise<void> {
    await this.guard("PutObject", uri, () => putObjectBytes(this.s3, parseS3Uri(uri), bytes, contentType));
  }

  /** Runs one AWS call and turns its failure into a typed error naming the operation. */
  private async guard<T>(operation: string, resource: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (e) {
      throw this.translate(e, operation, resource);
    }
  }

  private translate(error: unknown, operation: string, resource: string): Error {
    if (error instanceof SageMakerError) return error;
    if (s3ErrorKind(error) === "access-denied") return new AccessDeniedError(operation, resource, error);
    const message = error instanceof Error ? error.message : String(error);
    return new SageMakerError("BLINDML_TRANSPORT", `${operation} on ${resource} failed (${s3ErrorName(error)}): ${message}`, { cause: error });
  }
}

/** Loads the client artifact (client.zip, or model.tar.gz holding one) from S3. */
export async function fetchModelClient(s3: S3Client, uri: string, options: { maxBytes?: number; engine?: Engine } = {}): Promise<ModelClient> {
  let bytes: Uint8Array;
  try {
    bytes = await getObjectBytes(s3, parseS3Uri(uri), options.maxBytes ?? 256 * 2 ** 20);
  } catch (e) {
    if (s3ErrorKind(e) === "access-denied") throw new AccessDeniedError("GetObject", uri, e);
    throw e;
  }
  return ModelClient.load(bytes, { engine: options.engine });
}

function endpointFailure(failure: FailureDescription, details: EndpointFailureDetails): EndpointFailureError {
  const full: EndpointFailureDetails = { ...details, remoteCode: failure.code };
  const status = details.status ? ` (HTTP ${details.status}${failure.code ? `, ${failure.code}` : ""})` : failure.code ? ` (${failure.code})` : "";
  const message = `The endpoint failed the inference${status}: ${failure.message}`;
  return isModelMismatchCode(failure.code) ? new EndpointModelMismatchError(message, full) : new EndpointFailureError(message, full);
}


function now(): number {
  return performance.now();
}

/** Returns a function giving the milliseconds since its previous call. */
function stopwatch(): () => number {
  let last = now();
  return () => {
    const t = now();
    const lap = t - last;
    last = t;
    return lap;
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
