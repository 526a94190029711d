// Loading the model from the directory SageMaker unpacks model.tar.gz into (/opt/ml/model):
// server.zip when it is there, else a model.tar.gz holding one.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { ModelServer } from "../src/artifacts/server.js";
import type { ModelServerOptions } from "../src/artifacts/server.js";

export const MODEL_FILES = ["server.zip", "model.tar.gz"] as const;

export async function readModelArtifact(dir: string): Promise<{ path: string; bytes: Uint8Array }> {
  for (const name of MODEL_FILES) {
    const path = join(dir, name);
    try {
      return { path, bytes: await readFile(path) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    }
  }
  throw new Error(`No model in ${dir}: expected ${MODEL_FILES.join(" or ")} (set BLINDML_MODEL_DIR or SM_MODEL_DIR to another directory).`);
}

export async function loadModelServer(dir: string, options: ModelServerOptions = {}): Promise<ModelServer> {
  const { bytes } = await readModelArtifact(dir);
  return ModelServer.load(bytes, options);
}
