// Typed errors of the SageMaker client. Each has a stable `code` to branch on (messages may be
// reworded). They extend Error rather than BlindmlError because BlindmlError's code is a closed
// union in the engine; the codes below are new kinds of failure, all of them about transport.

export type SageMakerErrorCode =
  | "BLINDML_TIMEOUT"
  | "BLINDML_ENDPOINT_FAILURE"
  | "BLINDML_MODEL_MISMATCH"
  | "BLINDML_ACCESS_DENIED"
  | "BLINDML_TRANSPORT";

export class SageMakerError extends Error {
  readonly code: SageMakerErrorCode;

  constructor(code: SageMakerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = "SageMakerError";
  }
}

/** Neither the output nor the failure object appeared within the client's wait limit. */
export class InferenceTimeoutError extends SageMakerError {
  readonly inferenceId: string;
  readonly waitedMs: number;

  constructor(inferenceId: string, waitedMs: number, outputLocation: string) {
    super(
      "BLINDML_TIMEOUT",
      `No result for inference ${inferenceId} after ${(waitedMs / 1000).toFixed(1)} s (waiting for ${outputLocation}). ` +
        `The endpoint may be scaling up from zero or busy: wait longer (timeoutMs) or check its backlog.`,
    );
    this.name = "InferenceTimeoutError";
    this.inferenceId = inferenceId;
    this.waitedMs = waitedMs;
  }
}

export interface EndpointFailureDetails {
  readonly inferenceId?: string;
  /** Where the endpoint wrote the failure (async) — absent for synchronous calls. */
  readonly failureLocation?: string;
  /** The inference server's HTTP status, when known. */
  readonly status?: number;
  /** The inference server's error code (e.g. BLINDML_CORRUPT), when it sent one. */
  readonly remoteCode?: string;
}

/** The endpoint ran the invocation and reported a failure (its message is kept). */
export class EndpointFailureError extends SageMakerError {
  readonly details: EndpointFailureDetails;

  constructor(message: string, details: EndpointFailureDetails, code: SageMakerErrorCode = "BLINDML_ENDPOINT_FAILURE") {
    super(code, message);
    this.name = "EndpointFailureError";
    this.details = details;
  }
}

/** The endpoint refused the query or keys as made for another model or parameter set. */
export class EndpointModelMismatchError extends EndpointFailureError {
  constructor(message: string, details: EndpointFailureDetails) {
    super(message, details, "BLINDML_MODEL_MISMATCH");
    this.name = "EndpointModelMismatchError";
  }
}

/** S3 or the SageMaker runtime refused the caller's credentials or permissions. */
export class AccessDeniedError extends SageMakerError {
  readonly operation: string;
  readonly resource: string;

  constructor(operation: string, resource: string, cause?: unknown) {
    super(
      "BLINDML_ACCESS_DENIED",
      `Access denied: ${operation} on ${resource}. Check the credentials and the IAM policy ` +
        `(S3 also answers 403 instead of 404 for a missing object when s3:ListBucket is not granted).`,
      { cause },
    );
    this.name = "AccessDeniedError";
    this.operation = operation;
    this.resource = resource;
  }
}
