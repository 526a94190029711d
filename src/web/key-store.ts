// Keys kept between visits in the origin's IndexedDB: the secret client key and the compressed
// evaluation keys, under the model's circuit id. IndexedDB is origin-scoped (other sites cannot
// read it) but not encrypted at rest; a page that needs more calls exportKeys() and keeps the
// bytes where it trusts. Works in windows and workers; absent in Node and Deno.
import type { KeyBytes } from "./protocol.js";

const DATABASE = "blindml";
const STORE = "keys";

/** The record layout; a record of another version is treated as absent. */
const RECORD_VERSION = 1;

interface StoredKeys extends KeyBytes {
  readonly version: number;
  readonly parameterSet: string;
  readonly savedAt: string;
}

export class KeyStoreError extends Error {
  override name = "KeyStoreError";
}

/** Whether this runtime has IndexedDB. */
export function hasKeyStore(): boolean {
  return typeof indexedDB !== "undefined";
}

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DATABASE, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(new KeyStoreError(`IndexedDB "${DATABASE}" cannot be opened: ${request.error?.message ?? "unknown error"}`));
  });
}

/** Runs one request in a transaction and resolves with its result once the transaction commits. */
async function transact<T>(mode: IDBTransactionMode, run: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await open();
  try {
    return await new Promise<T>((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const request = run(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(request.result);
      tx.onerror = () => reject(new KeyStoreError(`IndexedDB ${mode} failed: ${tx.error?.message ?? "unknown error"}`));
      tx.onabort = () => reject(new KeyStoreError(`IndexedDB ${mode} aborted: ${tx.error?.message ?? "quota exceeded?"}`));
    });
  } finally {
    db.close();
  }
}

export async function saveKeys(circuitId: string, parameterSet: string, keys: KeyBytes): Promise<void> {
  const record: StoredKeys = { version: RECORD_VERSION, clientKey: keys.clientKey, evaluationKeys: keys.evaluationKeys, parameterSet, savedAt: new Date().toISOString() };
  await transact("readwrite", (store) => store.put(record, circuitId));
}

/** The keys saved for this model, or undefined (none, or saved for another parameter set). */
export async function loadKeys(circuitId: string, parameterSet: string): Promise<KeyBytes | undefined> {
  const record = (await transact("readonly", (store) => store.get(circuitId))) as StoredKeys | undefined;
  if (!record || record.version !== RECORD_VERSION || record.parameterSet !== parameterSet) return undefined;
  if (!(record.clientKey instanceof Uint8Array) || !(record.evaluationKeys instanceof Uint8Array)) return undefined;
  return { clientKey: record.clientKey, evaluationKeys: record.evaluationKeys };
}

export async function deleteKeys(circuitId: string): Promise<void> {
  await transact("readwrite", (store) => store.delete(circuitId));
}
