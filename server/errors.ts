// HTTP errors of the inference server and the mapping of the library's typed errors onto
// statuses: the client's fault is a 4xx with a stable code, only our own faults are a 500.
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { BlindmlError } from "../src/engine/index.js";
import type { ErrorBody } from "../src/sagemaker/protocol.js";

export class HttpError extends Error {
  readonly status: ContentfulStatusCode;
  readonly code: string;

  constructor(status: ContentfulStatusCode, code: string, message: string) {
    super(message);
    this.name = "HttpError";
    this.status = status;
    this.code = code;
  }
}

// The bytes the client sent are not for this model, or damaged: the request is well-formed
// but cannot be processed (422), and resending it unchanged will fail again.
const UNPROCESSABLE = new Set([
  "BLINDML_FORMAT",
  "BLINDML_VERSION",
  "BLINDML_PARAMETER_MISMATCH",
  "BLINDML_KIND_MISMATCH",
  "BLINDML_CORRUPT",
  "BLINDML_MODEL_MISMATCH",
]);

/** The HTTP answer for any error thrown while serving a request. */
export function toHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  if (error instanceof BlindmlError) {
    if (error.code === "BLINDML_TOO_LARGE") return new HttpError(413, error.code, error.message);
    if (UNPROCESSABLE.has(error.code)) return new HttpError(422, error.code, error.message);
  }
  // anything else is a bug or a resource problem on our side; its message stays in our log
  return new HttpError(500, "INTERNAL", "The inference server failed; the request can be retried.");
}

export function errorBody(error: HttpError): ErrorBody {
  return { error: error.message, code: error.code };
}
