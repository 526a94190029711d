// CSV files of rows for the command line: a header row, numeric feature columns, optionally a
// target column (taken out as labels / values) and a split column ("train" / "test", as the
// project's datasets carry) that is never a feature.
import { parseCsv } from "../ml/data.js";
import { UsageError, CliError } from "./errors.js";

export const DEFAULT_SPLIT_COLUMN = "split";

export interface TableSelection {
  /** Column taken out as the target (labels or values). */
  readonly target?: string;
  /** Column naming each row's part; dropped from the features when present. */
  readonly splitColumn?: string;
  /** Keep only rows whose split column holds this value. */
  readonly split?: string;
  /** Further columns that are not features. */
  readonly ignore?: readonly string[];
  /** Keep at most this many rows (after the split filter). */
  readonly limit?: number;
}

export interface FeatureTable {
  readonly featureNames: string[];
  readonly rows: number[][];
  /** Target values per row, when a target column was named. */
  readonly targets?: number[];
  /** Split column values per row, when the file has one. */
  readonly splits?: string[];
}

export function readFeatureTable(text: string, what: string, selection: TableSelection = {}): FeatureTable {
  const { columns, rows } = parseCsvOrExplain(text, what);
  const targetIndex = selection.target === undefined ? -1 : columnIndex(columns, selection.target, what);
  const splitIndex = columns.indexOf(selection.splitColumn ?? DEFAULT_SPLIT_COLUMN);
  if (selection.split !== undefined && splitIndex < 0) {
    throw new UsageError(`${what} has no "${selection.splitColumn ?? DEFAULT_SPLIT_COLUMN}" column to pick the "${selection.split}" rows from`);
  }
  const ignored = new Set((selection.ignore ?? []).map((name) => columnIndex(columns, name, what)));
  const featureIndices = columns.map((_, i) => i).filter((i) => i !== targetIndex && i !== splitIndex && !ignored.has(i));
  const picked = rows
    .map((fields, r) => ({ fields, line: r + 2 }))
    .filter(({ fields }) => selection.split === undefined || fields[splitIndex]!.trim() === selection.split)
    .slice(0, selection.limit ?? Infinity);
  return {
    featureNames: featureIndices.map((i) => columns[i]!),
    rows: picked.map(({ fields, line }) => featureIndices.map((i) => parseNumber(fields[i]!, line, columns[i]!, what))),
    targets: targetIndex < 0 ? undefined : picked.map(({ fields, line }) => parseNumber(fields[targetIndex]!, line, columns[targetIndex]!, what)),
    splits: splitIndex < 0 ? undefined : picked.map(({ fields }) => fields[splitIndex]!.trim()),
  };
}

/** Refuses rows whose width is not the model's, naming the columns read. */
export function checkFeatureCount(table: FeatureTable, expected: number, what: string): void {
  if (table.rows.length === 0) throw new CliError(`${what} has no data rows (after the --split / --limit selection)`);
  const found = table.featureNames.length;
  if (found !== expected) {
    const hint = found > expected ? "leave the other columns out with --ignore" : "the file lacks some of the model's features";
    throw new CliError(`${what} has ${found} feature columns; the model takes ${expected} (${hint})`);
  }
}

function parseCsvOrExplain(text: string, what: string): { columns: string[]; rows: string[][] } {
  try {
    return parseCsv(text);
  } catch (e) {
    throw new CliError(`${what} is not a readable CSV file: ${(e as Error).message}`);
  }
}

function columnIndex(columns: readonly string[], name: string, what: string): number {
  const index = columns.indexOf(name);
  if (index < 0) throw new UsageError(`${what} has no column "${name}" (columns: ${abbreviate(columns)})`);
  return index;
}

function abbreviate(columns: readonly string[]): string {
  return columns.length <= 12 ? columns.join(", ") : `${columns.slice(0, 12).join(", ")}, … ${columns.length} in all`;
}

function parseNumber(field: string, line: number, column: string, what: string): number {
  const value = field.trim() === "" ? NaN : Number(field);
  if (!Number.isFinite(value)) throw new CliError(`${what}, line ${line}, column "${column}": "${field}" is not a number`);
  return value;
}
