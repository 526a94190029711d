// Tabular data helpers: CSV parsing, train/test split by a split column, and z-score
// standardization. Text in, typed arrays out, no file system: this module runs in browsers too.

import { denseMatrix, type DenseMatrix } from "./types.js";

export interface CsvTable {
  readonly columns: string[];
  readonly rows: string[][];
}

/**
 * Parses RFC 4180 CSV: the first record is the header. Fields may be quoted ("a,b"), with ""
 * for a literal quote and line breaks allowed inside quotes; records end with \n or \r\n. Blank
 * lines are skipped. Throws if a record's field count differs from the header's.
 */
export function parseCsv(text: string): CsvTable {
  const records = parseRecords(text).filter((record) => !(record.length === 1 && record[0] === ""));
  if (records.length === 0) throw new RangeError("The CSV text has no header row.");
  const [columns, ...rows] = records as [string[], ...string[][]];
  rows.forEach((row, i) => {
    if (row.length !== columns.length) {
      throw new RangeError(`CSV record ${i + 2} has ${row.length} fields; the header has ${columns.length}.`);
    }
  });
  return { columns, rows };
}

/** Splits CSV text into records of fields (a small state machine over the characters). */
function parseRecords(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = "";
  let inQuotes = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0; // skip a UTF-8 byte order mark
  for (; i < text.length; i++) {
    const ch = text[i]!;
    if (inQuotes) {
      if (ch !== '"') field += ch;
      else if (text[i + 1] === '"') {
        field += '"';
        i++;
      } else inQuotes = false;
    } else if (ch === '"') inQuotes = true;
    else if (ch === ",") {
      record.push(field);
      field = "";
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      record.push(field);
      records.push(record);
      record = [];
      field = "";
    } else field += ch;
  }
  if (inQuotes) throw new RangeError("The CSV text ends inside a quoted field.");
  // The last record has no line break after it unless the text ends with one.
  if (field !== "" || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  return records;
}

export interface DatasetPart {
  readonly X: DenseMatrix;
  readonly y: Float64Array;
}

export interface SplitDataset {
  readonly featureNames: string[];
  readonly train: DatasetPart;
  readonly test: DatasetPart;
}

/**
 * Reads a numeric CSV dataset: every column but `target` and `split` is a feature. Rows whose
 * split column says "train" / "test" go to that part (other values are ignored); without a split
 * column (or when opts.split names none) every row is training data and `test` is empty.
 */
export function loadSplitDataset(text: string, opts: { target: string; split?: string }): SplitDataset {
  const { columns, rows } = parseCsv(text);
  const targetIndex = columns.indexOf(opts.target);
  if (targetIndex < 0) throw new RangeError(`No column named "${opts.target}" (columns: ${columns.join(", ")}).`);
  const splitIndex = columns.indexOf(opts.split ?? "split");
  const featureIndices = columns.map((_, i) => i).filter((i) => i !== targetIndex && i !== splitIndex);
  const partRows = { train: [] as number[][], test: [] as number[][] };
  const partTargets = { train: [] as number[], test: [] as number[] };
  rows.forEach((row, r) => {
    const part = splitIndex < 0 ? "train" : row[splitIndex]!.trim();
    if (part !== "train" && part !== "test") return;
    partRows[part].push(featureIndices.map((c) => parseNumber(row[c]!, r, columns[c]!)));
    partTargets[part].push(parseNumber(row[targetIndex]!, r, opts.target));
  });
  const toPart = (part: "train" | "test"): DatasetPart => ({
    X: matrixFromRows(partRows[part], featureIndices.length),
    y: Float64Array.from(partTargets[part]),
  });
  return { featureNames: featureIndices.map((i) => columns[i]!), train: toPart("train"), test: toPart("test") };
}

function parseNumber(field: string, row: number, column: string): number {
  const value = field.trim() === "" ? NaN : Number(field);
  if (!Number.isFinite(value)) throw new RangeError(`Row ${row + 2}, column "${column}": "${field}" is not a finite number.`);
  return value;
}

function matrixFromRows(rows: number[][], cols: number): DenseMatrix {
  const data = new Float64Array(rows.length * cols);
  rows.forEach((row, r) => data.set(row, r * cols));
  return denseMatrix(rows.length, cols, data);
}

/** Class labels stored as floats (as loadSplitDataset returns them) to class indices; throws on non-integers or negatives. */
export function toClassIndices(y: ArrayLike<number>): Int32Array {
  const labels = Int32Array.from(y);
  for (let i = 0; i < y.length; i++) {
    if (labels[i] !== y[i] || labels[i]! < 0) throw new RangeError(`Label ${y[i]} at row ${i} is not a class index.`);
  }
  return labels;
}

export interface Standardizer {
  readonly mean: Float64Array;
  readonly std: Float64Array;
}

/**
 * Per-column mean and population standard deviation (as scikit-learn's StandardScaler). A
 * constant column gets std 1, so standardizing leaves it at 0 instead of dividing by zero.
 */
export function fitStandardizer(X: DenseMatrix): Standardizer {
  const { rows, cols, data } = X;
  const mean = new Float64Array(cols);
  const std = new Float64Array(cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) mean[c] = mean[c]! + data[r * cols + c]!;
  for (let c = 0; c < cols; c++) mean[c] = mean[c]! / Math.max(rows, 1);
  // Two passes (mean, then squared deviations) avoid the cancellation of E[x²] − E[x]².
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) std[c] = std[c]! + (data[r * cols + c]! - mean[c]!) ** 2;
  }
  for (let c = 0; c < cols; c++) {
    const deviation = Math.sqrt(std[c]! / Math.max(rows, 1));
    std[c] = deviation > 0 ? deviation : 1;
  }
  return { mean, std };
}

/** (x − mean) / std column by column, as a new matrix. */
export function applyStandardizer(standardizer: Standardizer, X: DenseMatrix): DenseMatrix {
  const { rows, cols, data } = X;
  if (standardizer.mean.length !== cols) throw new RangeError(`The standardizer has ${standardizer.mean.length} columns; X has ${cols}.`);
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[r * cols + c] = (data[r * cols + c]! - standardizer.mean[c]!) / standardizer.std[c]!;
  }
  return denseMatrix(rows, cols, out);
}
