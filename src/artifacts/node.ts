// Node-only conveniences: writing artifacts to a directory and keeping keys in a key directory.
// (Everything else in src/artifacts is browser-safe; this file is imported from "blindml/node".)
import { mkdir, readFile, writeFile, chmod } from "node:fs/promises";
import { join } from "node:path";
import type { FheModel } from "../ml/model.js";
import { packServer, packClient, packModelTarball, SERVER_ZIP, CLIENT_ZIP } from "./package.js";
import type { ModelClient } from "./client.js";

export interface SavedModel {
  serverZip: string;
  clientZip: string;
  tarball?: string;
}

/** Writes server.zip and client.zip (and model.tar.gz with `tarball`) into `dir`. */
export async function saveModel(model: FheModel, dir: string, options: { tarball?: boolean } = {}): Promise<SavedModel> {
  await mkdir(dir, { recursive: true });
  const server = packServer(model.modelName, model.circuit);
  const client = packClient(model.modelName, model.circuit, model.clientSpec);
  const saved: SavedModel = { serverZip: join(dir, SERVER_ZIP), clientZip: join(dir, CLIENT_ZIP) };
  await writeFile(saved.serverZip, server);
  await writeFile(saved.clientZip, client);
  if (options.tarball) {
    saved.tarball = join(dir, "model.tar.gz");
    await writeFile(saved.tarball, await packModelTarball(server, client));
  }
  return saved;
}

/** The files of a key directory (saveKeys / loadKeys). */
export const CLIENT_KEY_FILE = "client.key";
export const EVALUATION_KEYS_FILE = "evaluation.keys";

/** Saves a client's keys: the secret key readable by the owner only (mode 0600). */
export async function saveKeys(client: ModelClient, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const { clientKey, evaluationKeys } = client.exportKeys();
  const keyPath = join(dir, CLIENT_KEY_FILE);
  await writeFile(keyPath, clientKey, { mode: 0o600 });
  await chmod(keyPath, 0o600);
  await writeFile(join(dir, EVALUATION_KEYS_FILE), evaluationKeys);
}

/** Loads keys saved by saveKeys; returns false (keys untouched) when the directory has none. */
export async function loadKeys(client: ModelClient, dir: string): Promise<boolean> {
  let clientKey: Uint8Array;
  try {
    clientKey = await readFile(join(dir, CLIENT_KEY_FILE));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw e;
  }
  const evaluationKeys = await readFile(join(dir, EVALUATION_KEYS_FILE)).catch(() => undefined);
  client.importKeys({ clientKey, evaluationKeys });
  return true;
}
