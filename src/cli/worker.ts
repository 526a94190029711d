// The worker thread of background.ts: runs one task and posts its outcome (or error) back.
import { parentPort, workerData } from "node:worker_threads";
import { ModelClient, ModelServer } from "../artifacts/index.js";
import { saveKeys } from "../artifacts/node.js";
import type { BackgroundTask, KeygenTask, KeygenOutcome, RunTask, RunOutcome, WorkerReply } from "./background.js";

async function generateKeys(task: KeygenTask): Promise<KeygenOutcome> {
  const client = (await ModelClient.load(task.clientArtifact)).generateKeys();
  try {
    await saveKeys(client, task.keyDir);
    const { clientKey, evaluationKeys } = client.exportKeys();
    return {
      parameterSet: client.parameterSet.name, needsEvaluationKeys: client.needsEvaluationKeys,
      clientKeyBytes: clientKey.length, evaluationKeyBytes: evaluationKeys.length,
    };
  } finally {
    client.free();
  }
}

async function evaluate(task: RunTask): Promise<RunOutcome> {
  const server = await ModelServer.load(task.serverArtifact);
  try {
    const { result, info } = await server.runWithInfo(task.query, task.evaluationKeys);
    return {
      result, rows: info.rows, model: server.manifest.model, parameterSet: server.set.name,
      bootstrapsPerRow: server.circuit.report.bootstraps, keyMs: info.keyMs, evaluateMs: info.evaluateMs,
    };
  } finally {
    server.free();
  }
}

async function perform(task: BackgroundTask): Promise<KeygenOutcome | RunOutcome> {
  return task.kind === "keygen" ? generateKeys(task) : evaluate(task);
}

function replyOf(error: unknown): WorkerReply<never> {
  const e = error instanceof Error ? error : new Error(String(error));
  const code = (e as { code?: unknown }).code;
  return { ok: false, error: { name: e.name, message: e.message, code: typeof code === "string" ? code : undefined, stack: e.stack } };
}

perform(workerData as BackgroundTask).then(
  (value) => parentPort!.postMessage({ ok: true, value } satisfies WorkerReply<typeof value>),
  (error: unknown) => parentPort!.postMessage(replyOf(error)),
);
