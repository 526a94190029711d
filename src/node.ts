// blindml/node: Node-only helpers (files, key directories, the worker-thread pool). The rest of
// blindml runs anywhere.
export { saveModel, saveKeys, loadKeys } from "./artifacts/node.js";
export type { SavedModel } from "./artifacts/node.js";
export { createWorkerPool, WorkerPool } from "./node/worker-pool.js";
export type { WorkerPoolOptions } from "./node/worker-pool.js";
