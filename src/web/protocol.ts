// The messages between a page (BrowserInferenceClient) and its Web Worker (client-worker.ts).
// Every request carries an id; the worker answers it once (result or error) and may send any
// number of progress messages with the same id before that. Everything here is structured-clone
// safe: plain objects, arrays and Uint8Arrays.
import type { InferenceResult, ProgressEvent } from "../sagemaker/client.js";

/** Where the worker finds S3, the SageMaker runtime and the model. */
export interface WebClientConfig {
  /** URL of blindml.wasm (the same module Node and Deno load). */
  wasmUrl: string;
  region: string;
  /** Static credentials (the local stack's, or short-lived ones from e.g. Cognito). */
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** S3 endpoint override (the local stack); omit for AWS. */
  s3Endpoint?: string;
  /** SageMaker runtime endpoint override (the local stack); omit for AWS. */
  runtimeEndpoint?: string;
  /** s3:// URI of the model's client.zip or model.tar.gz. */
  modelUri: string;
  endpointName: string;
  /** s3:// prefix the client writes its evaluation keys and queries under. */
  uploadPrefix: string;
  /** Keep keys in this origin's IndexedDB between visits (default true). */
  persistKeys?: boolean;
}

/** What the page learns about the model when the worker has loaded its client artifact. */
export interface ModelInfo {
  readonly circuitId: string;
  readonly task: "classification" | "regression";
  readonly features: number;
  readonly classes?: readonly number[];
  readonly parameterSet: string;
  readonly needsEvaluationKeys: boolean;
}

export type KeyStage = "secret-key" | "evaluation-keys" | "store" | "load";

export interface KeyProgress {
  readonly stage: KeyStage;
  readonly elapsedMs: number;
}

export interface KeysReady {
  /** "stored": loaded from IndexedDB; "generated": made now; "imported": from exported bytes. */
  readonly source: "stored" | "generated" | "imported";
  readonly parameterSet: string;
  readonly evaluationKeyBytes: number;
  /** Whether the keys are in IndexedDB now (false: persistKeys off, no IndexedDB, or storage refused). */
  readonly persisted: boolean;
  readonly ms: number;
}

export interface KeyBytes {
  clientKey: Uint8Array;
  evaluationKeys: Uint8Array;
}

export type Request =
  | { id: number; op: "open"; config: WebClientConfig }
  | { id: number; op: "keys"; regenerate: boolean }
  | { id: number; op: "predict"; rows: number[][]; mode: "async" | "sync" }
  | { id: number; op: "export-keys" }
  | { id: number; op: "import-keys"; keys: KeyBytes }
  | { id: number; op: "forget-keys" };

/** A worker-side error, as it crosses to the page. */
export interface ErrorPayload {
  name: string;
  message: string;
  code?: string;
}

export type Reply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: ErrorPayload }
  | { id: number; progress: KeyProgress | ProgressEvent };

export type { InferenceResult, ProgressEvent };
