// Files for the command line: reading inputs with clear messages, writing outputs (creating their
// folder), finding a model artifact in a folder, and human-readable sizes and durations.
import { readFile, writeFile, mkdir, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { CliError } from "./errors.js";

/** Reads a whole file; a missing or unreadable file becomes one clear CliError. */
export async function readInputFile(path: string, what: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    throw new CliError(`cannot read ${what} "${path}": ${fileProblem(e)}`);
  }
}

export async function readInputText(path: string, what: string): Promise<string> {
  return new TextDecoder().decode(await readInputFile(path, what));
}

/** Writes a file, creating its folder first. */
export async function writeOutputFile(path: string, data: Uint8Array | string, what: string, mode?: number): Promise<void> {
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, data, mode === undefined ? {} : { mode });
  } catch (e) {
    throw new CliError(`cannot write ${what} "${path}": ${fileProblem(e)}`);
  }
}

function fileProblem(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case "ENOENT": return "no such file or directory";
    case "EISDIR": return "it is a directory";
    case "EACCES":
    case "EPERM": return "permission denied";
    case "ENOTDIR": return "a part of the path is not a directory";
    default: return (error as Error).message;
  }
}

export async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() ?? false;
}

export async function exists(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined)) !== undefined;
}

/**
 * The artifact file a path names: the path itself, or for a folder (as `train --out` writes) its
 * client.zip / server.zip, else its model.tar.gz.
 */
export async function resolveArtifact(path: string, role: "client" | "server"): Promise<string> {
  if (!(await isDirectory(path))) return path;
  for (const name of [`${role}.zip`, "model.tar.gz"]) {
    if (await exists(join(path, name))) return join(path, name);
  }
  throw new CliError(`the folder "${path}" holds neither ${role}.zip nor model.tar.gz`);
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
}

export function formatSeconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}
