// Aligned "label  value" lines for command summaries on stdout.
import { stat } from "node:fs/promises";
import { formatBytes } from "./io.js";

export function printFields(fields: readonly (readonly [string, string])[]): void {
  const width = Math.max(...fields.map(([label]) => label.length));
  for (const [label, value] of fields) process.stdout.write(`${label.padEnd(width)}  ${value}\n`);
}

/** "path (size)" for each written file. */
export async function describeFiles(paths: readonly string[]): Promise<string> {
  const sizes = await Promise.all(paths.map(async (path) => (await stat(path)).size));
  return paths.map((path, i) => `${path} (${formatBytes(sizes[i]!)})`).join(", ");
}

export function formatScore(value: number): string {
  return Number.isNaN(value) ? "n/a" : value.toFixed(4);
}
