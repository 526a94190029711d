// The contract between the client and the inference server, shared so both sides spell it alike:
// the JSON request body of POST /invocations, its content types, and the JSON error body.

/** The body of POST /invocations (and of the async input object SageMaker passes on). */
export interface InvocationRequest {
  readonly evaluation_keys_uri: string;
  readonly encrypted_query_uri: string;
}

/** What the server answers with any non-2xx status. */
export interface ErrorBody {
  readonly error: string;
  readonly code: string;
}

export const REQUEST_CONTENT_TYPE = "application/json";
export const RESULT_CONTENT_TYPE = "application/octet-stream";

/** Remote codes meaning "these bytes were made for another model or parameter set". */
const MISMATCH_CODES = new Set(["BLINDML_MODEL_MISMATCH", "BLINDML_PARAMETER_MISMATCH", "BLINDML_KIND_MISMATCH"]);

export function isModelMismatchCode(code: string | undefined): boolean {
  return code !== undefined && MISMATCH_CODES.has(code);
}

export interface FailureDescription {
  readonly message: string;
  readonly code?: string;
  readonly status?: number;
}

const MAX_MESSAGE_CHARS = 2000;

/**
 * Reads a failure payload: the server's JSON error body, the local runtime's wrapper around it
 * (with the server's status), or any other text an endpoint may write (kept, shortened).
 */
export function describeFailure(text: string): FailureDescription {
  try {
    const parsed = JSON.parse(text) as Partial<ErrorBody> & { status?: unknown };
    if (parsed && typeof parsed.error === "string") {
      return {
        message: parsed.error.slice(0, MAX_MESSAGE_CHARS),
        code: typeof parsed.code === "string" ? parsed.code : undefined,
        status: typeof parsed.status === "number" ? parsed.status : undefined,
      };
    }
  } catch {
    // not JSON: fall through and keep the text itself
  }
  return { message: text.trim().slice(0, MAX_MESSAGE_CHARS) || "(empty failure payload)" };
}
