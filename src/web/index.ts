// blindml/web: the browser client. The page imports this; the engine and the secret key live in
// the Web Worker (client-worker.js) beside it. Built by `npm run build:web` into dist/web/ as ESM
// bundles with blindml.wasm next to them.
export { BrowserInferenceClient, BrowserClientError } from "./browser-client.js";
export type { BrowserClientOptions } from "./browser-client.js";
export type { ModelInfo, KeyProgress, KeysReady, KeyBytes, WebClientConfig, InferenceResult, ProgressEvent } from "./protocol.js";
