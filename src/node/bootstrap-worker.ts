// Entry of one worker thread of a WorkerPool (worker-pool.ts): loads an engine, answers
// registrations and shares one message at a time, in the order they arrive (so a share always
// finds the circuit and keys registered before it).
import { parentPort } from "node:worker_threads";
import { loadEngine } from "../engine/index.js";
import { ShareRunner } from "../ml/share-runner.js";
import type { WorkerReply, WorkerRequest } from "./worker-pool.js";

if (!parentPort) throw new Error("bootstrap-worker.js runs inside a WorkerPool's worker thread.");
const port = parentPort;
const runner = new ShareRunner(await loadEngine());

port.on("message", (request: WorkerRequest) => {
  const { reply, transfer } = answer(request);
  port.postMessage(reply, transfer);
});
port.postMessage({ ready: true, memoryBytes: runner.memoryBytes } satisfies WorkerReply);

function answer(request: WorkerRequest): { reply: WorkerReply; transfer: ArrayBuffer[] } {
  const { id } = request;
  try {
    const bytes = perform(request);
    // the output buffer is this thread's own copy: move it rather than clone it
    return { reply: { id, ok: true, memoryBytes: runner.memoryBytes, bytes }, transfer: bytes ? [bytes.buffer as ArrayBuffer] : [] };
  } catch (e) {
    const error = e instanceof Error ? e : new Error(String(e));
    const code = (error as { code?: unknown }).code;
    return { reply: { id, ok: false, error: { name: error.name, code: typeof code === "string" ? code : undefined, message: error.message } }, transfer: [] };
  }
}

function perform(request: WorkerRequest): Uint8Array | undefined {
  switch (request.op) {
    case "circuit": runner.addCircuit(request.handle, request.circuit); return undefined;
    case "keys": runner.addKeys(request.handle, request.parameterSet, request.keys); return undefined;
    case "remove": runner.remove(request.handle); return undefined;
    case "share": return runner.bootstrap(request.share);
    case "memory": return undefined;
  }
}
