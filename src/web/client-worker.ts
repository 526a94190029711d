// The Web Worker behind BrowserInferenceClient: it holds the engine, the secret key and the AWS
// clients, so key generation (seconds) and encryption never block the page. The page talks to it
// through the messages of protocol.ts. The secret key never leaves this worker except through an
// explicit export-keys request (and into IndexedDB when persistKeys is on).
import { S3Client } from "@aws-sdk/client-s3";
import { SageMakerRuntimeClient } from "@aws-sdk/client-sagemaker-runtime";
import { loadEngine } from "../engine/index.js";
import { SageMakerInferenceClient, fetchModelClient } from "../sagemaker/client.js";
import type { ModelClient } from "../artifacts/client.js";
import { ModelStateError } from "../ml/errors.js";
import { hasKeyStore, saveKeys, loadKeys, deleteKeys } from "./key-store.js";
import type { ErrorPayload, KeyBytes, KeyProgress, KeysReady, ModelInfo, Reply, Request, WebClientConfig } from "./protocol.js";

interface WorkerScope {
  onmessage: ((event: MessageEvent<Request>) => void) | null;
  postMessage(message: Reply, transfer?: Transferable[]): void;
}

const scope = globalThis as unknown as WorkerScope;

interface Opened {
  readonly config: WebClientConfig;
  readonly model: ModelClient;
  readonly inference: SageMakerInferenceClient;
}

let opened: Opened | undefined;
// one request at a time: a predict must not run while keys are being replaced
let queue: Promise<unknown> = Promise.resolve();

scope.onmessage = (event) => {
  const request = event.data;
  // every request gets exactly one answer, and the queue never stays rejected
  queue = queue.then(() => handle(request)).then(
    (value) => reply({ id: request.id, ok: true, value }),
    (error) => reply({ id: request.id, ok: false, error: toPayload(error) }),
  );
};

function reply(message: Reply): void {
  const value = "ok" in message && message.ok ? message.value : undefined;
  const transfer = isKeyBytes(value) ? [value.clientKey.buffer, value.evaluationKeys.buffer] : [];
  try {
    scope.postMessage(message, transfer as Transferable[]);
  } catch (e) {
    // e.g. a value that cannot be cloned: the page still hears that this request failed
    scope.postMessage({ id: message.id, ok: false, error: toPayload(e) });
  }
}

async function handle(request: Request): Promise<unknown> {
  switch (request.op) {
    case "open":
      return open(request.config);
    case "keys":
      return keys(request.id, request.regenerate);
    case "predict":
      return current().inference.predict(request.rows, {
        mode: request.mode,
        onProgress: (progress) => scope.postMessage({ id: request.id, progress }),
      });
    case "export-keys": {
      const exported = current().model.exportKeys();
      // copies: the transfer must not detach the arrays the client keeps using
      return { clientKey: exported.clientKey.slice(), evaluationKeys: exported.evaluationKeys.slice() } satisfies KeyBytes;
    }
    case "import-keys":
      return importKeys(request.keys);
    case "forget-keys": {
      const { model, config } = current();
      model.free();
      if (persist(config)) await deleteKeys(model.manifest.circuitId);
      return null;
    }
  }
}

async function open(config: WebClientConfig): Promise<ModelInfo> {
  opened?.model.free();
  opened = undefined;
  const engine = await loadEngine(new URL(config.wasmUrl, location.href));
  const s3 = new S3Client({
    region: config.region,
    credentials: config.credentials,
    ...(config.s3Endpoint ? { endpoint: config.s3Endpoint, forcePathStyle: true } : {}),
    // a plain PUT body: S3-compatible servers need not decode the SDK's aws-chunked CRC framing
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
  const runtime = new SageMakerRuntimeClient({ region: config.region, credentials: config.credentials, ...(config.runtimeEndpoint ? { endpoint: config.runtimeEndpoint } : {}) });
  const model = await fetchModelClient(s3, config.modelUri, { engine });
  // someone is watching: look for the result at least once a second (the default backs off to 5 s)
  const inference = new SageMakerInferenceClient({ model, s3, runtime, endpointName: config.endpointName, uploadPrefix: config.uploadPrefix, poll: { maxDelayMs: 1_000 } });
  opened = { config, model, inference };
  const { spec, manifest } = model;
  return {
    circuitId: manifest.circuitId,
    task: spec.task,
    features: spec.features,
    classes: spec.output.classes ? [...spec.output.classes] : undefined,
    parameterSet: manifest.parameterSet,
    needsEvaluationKeys: model.needsEvaluationKeys,
  };
}

/**
 * Loads this model's stored keys, or generates (and stores) new ones. Storage is a convenience:
 * a stored record that cannot be read or imported (damaged, from another version) is dropped and
 * new keys are made; keys that cannot be stored (storage blocked, quota) are still used
 * (`persisted: false`).
 */
async function keys(id: number, regenerate: boolean): Promise<KeysReady> {
  const { model, config } = current();
  const started = performance.now();
  const progress = (stage: KeyProgress["stage"]) => scope.postMessage({ id, progress: { stage, elapsedMs: performance.now() - started } });
  const circuitId = model.manifest.circuitId;
  const parameterSet = model.parameterSet.name;
  if (!regenerate && persist(config)) {
    progress("load");
    const stored = await loadKeys(circuitId, parameterSet).catch(() => undefined);
    if (stored) {
      try {
        model.importKeys(stored);
        return { source: "stored", parameterSet, evaluationKeyBytes: stored.evaluationKeys.length, persisted: true, ms: performance.now() - started };
      } catch {
        await deleteKeys(circuitId).catch(() => undefined);
      }
    }
  }
  progress("secret-key");
  model.generateKeys();
  progress("evaluation-keys");
  const evaluationKeys = model.evaluationKeys();
  const persisted = persist(config) && (progress("store"), await store(model));
  return { source: "generated", parameterSet, evaluationKeyBytes: evaluationKeys.length, persisted, ms: performance.now() - started };
}

async function importKeys(bytes: KeyBytes): Promise<KeysReady> {
  const { model, config } = current();
  const started = performance.now();
  model.importKeys(bytes);
  const persisted = persist(config) && (await store(model));
  return { source: "imported", parameterSet: model.parameterSet.name, evaluationKeyBytes: model.evaluationKeys().length, persisted, ms: performance.now() - started };
}

/** Saves the model's current keys; false when storage refused them. */
function store(model: ModelClient): Promise<boolean> {
  return saveKeys(model.manifest.circuitId, model.parameterSet.name, model.exportKeys()).then(() => true, () => false);
}

function persist(config: WebClientConfig): boolean {
  return config.persistKeys !== false && hasKeyStore();
}

function current(): Opened {
  if (!opened) throw new ModelStateError("The client is not open: call open() with a configuration first.");
  return opened;
}

function isKeyBytes(value: unknown): value is KeyBytes {
  return typeof value === "object" && value !== null && (value as KeyBytes).clientKey instanceof Uint8Array && (value as KeyBytes).evaluationKeys instanceof Uint8Array;
}

function toPayload(error: unknown): ErrorPayload {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { name: error.name, message: error.message, ...(typeof code === "string" ? { code } : {}) };
  }
  return { name: "Error", message: String(error) };
}
