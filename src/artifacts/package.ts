// Model artifacts, concrete-ml's FHEModelDev split done our way:
//   server.zip – manifest.json + circuit.json (the compiled circuit: weights, tables, encodings)
//   client.zip – manifest.json + client.json (quantizers, post-processing, the circuit's interface)
//   model.tar.gz – both zips, the layout a SageMaker model archive unpacks to /opt/ml/model.
// Each manifest carries the artifact format version "major.minor": readers accept any minor of
// their major (newer minors only add fields) and refuse another major, naming both versions.
// Everything here is browser-safe (fflate for zip/gzip, nanotar for tar): no Node APIs.
import { zipSync, unzipSync, strToU8, strFromU8 } from "fflate";
import { createTarGzip, parseTarGzip } from "nanotar";
import { fnv1a64 } from "../engine/index.js";
import type { CompiledCircuit } from "../ml/circuit.js";
import type { ClientSpec } from "../ml/model.js";
import { stringifyArtifact, parseArtifact } from "./json.js";
import { ArtifactError } from "./errors.js";

export const ARTIFACT_FORMAT = "blindml-model";
/** Bump the minor for additive changes, the major for anything an older reader would misread. */
export const ARTIFACT_FORMAT_VERSION = "1.0";
export const SERVER_ZIP = "server.zip";
export const CLIENT_ZIP = "client.zip";

export interface Manifest {
  readonly format: typeof ARTIFACT_FORMAT;
  readonly formatVersion: string;
  readonly role: "server" | "client";
  readonly model: string;
  /** FNV-1a 64 of the circuit document (hex): ties queries, results, clients and servers together. */
  readonly circuitId: string;
  readonly parameterSet: string;
  readonly createdAt: string;
}

export interface ServerArtifact {
  readonly manifest: Manifest;
  readonly circuit: CompiledCircuit;
}

export interface ClientArtifact {
  readonly manifest: Manifest;
  readonly spec: ClientSpec;
}

/** The id of a circuit: a hash of its canonical artifact text. */
export function circuitId(circuit: CompiledCircuit): string {
  return fnv1a64(strToU8(stringifyArtifact(circuit))).toString(16).padStart(16, "0");
}

function manifest(role: "server" | "client", model: string, circuit: CompiledCircuit): Manifest {
  return {
    format: ARTIFACT_FORMAT, formatVersion: ARTIFACT_FORMAT_VERSION, role, model,
    circuitId: circuitId(circuit), parameterSet: circuit.parameterSet, createdAt: new Date().toISOString(),
  };
}

export function packServer(model: string, circuit: CompiledCircuit): Uint8Array {
  return zipSync({
    "manifest.json": strToU8(JSON.stringify(manifest("server", model, circuit), null, 2)),
    "circuit.json": strToU8(stringifyArtifact(circuit)),
  });
}

export function packClient(model: string, circuit: CompiledCircuit, spec: ClientSpec): Uint8Array {
  return zipSync({
    "manifest.json": strToU8(JSON.stringify(manifest("client", model, circuit), null, 2)),
    "client.json": strToU8(stringifyArtifact(spec)),
  });
}

export function unpackServer(zip: Uint8Array): ServerArtifact {
  const files = readZip(zip, "server.zip");
  const m = readManifest(files, "server");
  const circuit = parseArtifact<CompiledCircuit>(readText(files, "circuit.json", "server.zip"));
  if (circuitId(circuit) !== m.circuitId) throw new ArtifactError("server.zip: circuit.json does not match its manifest's circuit id (damaged or edited).");
  return { manifest: m, circuit };
}

export function unpackClient(zip: Uint8Array): ClientArtifact {
  const files = readZip(zip, "client.zip");
  const m = readManifest(files, "client");
  return { manifest: m, spec: parseArtifact<ClientSpec>(readText(files, "client.json", "client.zip")) };
}

/** server.zip and client.zip in one gzipped tar (SageMaker's model.tar.gz). */
export async function packModelTarball(serverZip: Uint8Array, clientZip: Uint8Array): Promise<Uint8Array> {
  return createTarGzip([
    { name: SERVER_ZIP, data: serverZip },
    { name: CLIENT_ZIP, data: clientZip },
  ]);
}

/** Whether bytes start with the gzip magic (a model.tar.gz rather than a bare zip). */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length > 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** The zips inside a model.tar.gz (either may be absent, e.g. a client-only bundle). */
export async function unpackModelTarball(bytes: Uint8Array): Promise<{ serverZip?: Uint8Array; clientZip?: Uint8Array }> {
  let items;
  try {
    items = await parseTarGzip(bytes);
  } catch (e) {
    throw new ArtifactError(`model.tar.gz is not a readable gzipped tar: ${(e as Error).message}`);
  }
  const find = (name: string) => items.find((i) => i.name.replace(/^\.\//, "") === name)?.data;
  return { serverZip: find(SERVER_ZIP), clientZip: find(CLIENT_ZIP) };
}

/** Accepts the same major version (any minor); refuses another with both versions named. */
export function checkFormatVersion(found: string, what: string): void {
  const [major] = ARTIFACT_FORMAT_VERSION.split(".");
  const [foundMajor] = String(found).split(".");
  if (foundMajor !== major) {
    throw new ArtifactError(
      `${what} has artifact format version ${found}; this blindml reads ${major}.x (writes ${ARTIFACT_FORMAT_VERSION}). ` +
        `Re-export the model with a matching blindml release.`,
    );
  }
}

function readZip(zip: Uint8Array, what: string): Record<string, Uint8Array> {
  try {
    return unzipSync(zip);
  } catch (e) {
    throw new ArtifactError(`${what} is not a readable zip archive: ${(e as Error).message}`);
  }
}

function readText(files: Record<string, Uint8Array>, name: string, what: string): string {
  const file = files[name];
  if (!file) throw new ArtifactError(`${what} has no ${name}.`);
  return strFromU8(file);
}

function readManifest(files: Record<string, Uint8Array>, role: "server" | "client"): Manifest {
  const what = `${role}.zip`;
  let m: Manifest;
  try {
    m = JSON.parse(readText(files, "manifest.json", what)) as Manifest;
  } catch (e) {
    if (e instanceof ArtifactError) throw e;
    throw new ArtifactError(`${what}: manifest.json is not valid JSON.`);
  }
  if (m.format !== ARTIFACT_FORMAT) throw new ArtifactError(`${what} is not a blindml model artifact (format "${m.format}").`);
  checkFormatVersion(m.formatVersion, what);
  if (m.role !== role) throw new ArtifactError(`${what} holds a ${m.role} artifact, not a ${role} one.`);
  return m;
}

/** Lower-case hex SHA-256 of some bytes (Web Crypto: Node, Deno and browsers): content addresses of keys. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}
