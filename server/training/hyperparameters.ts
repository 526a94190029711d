// The training job's hyperparameters, from /opt/ml/input/config/hyperparameters.json. SageMaker
// passes every value as a string (the Python SDK even JSON-encodes them, so "mlp" may arrive as
// "\"mlp\""); each is parsed and checked here, and any defect is a TrainingInputError that names
// the hyperparameter, because that message becomes the job's FailureReason.
import { MODEL_KINDS, defaultTask, checkTask } from "../../src/cli/models.js";
import type { ModelKind, Task } from "../../src/cli/models.js";

export class TrainingInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TrainingInputError";
  }
}

export const DATASETS = ["mnist"] as const;
export type BuiltInDataset = (typeof DATASETS)[number];

export interface TrainingSettings {
  /** A built-in dataset instead of the training channel's CSV files. */
  readonly dataset?: BuiltInDataset;
  readonly model: ModelKind;
  readonly task: Task;
  /** The CSV column to predict (CSV channels only). */
  readonly target?: string;
  readonly splitColumn: string;
  /** Rows held out at random for the report when there is no split column or validation channel. */
  readonly testFraction: number;
  readonly ignore: readonly string[];
  readonly nBits?: number;
  readonly rounding?: number;
  readonly pFail?: number;
  readonly trees?: number;
  readonly depth?: number;
  readonly hidden?: readonly number[];
  readonly epochs?: number;
  readonly seed: number;
  /** MLP: scale features to [0, 1] (default true; false for MNIST, whose pixels already are). */
  readonly standardize?: boolean;
  /** Images (MNIST): also train on each image shifted by one pixel (×5 rows; default true for MNIST). */
  readonly augmentShifts: boolean;
  /** MNIST: training and held-out sample counts. */
  readonly trainRows: number;
  readonly testRows: number;
}

type Raw = Readonly<Record<string, string>>;

const KNOWN = new Set([
  "dataset", "model", "task", "target", "split_column", "test_fraction", "ignore", "n_bits", "rounding", "p_fail",
  "trees", "depth", "hidden", "epochs", "seed", "standardize", "augment_shifts", "train_rows", "test_rows",
]);

/**
 * The MNIST model of the benchmarks: 784 → 392 ReLU → 10, 8 epochs over the training digits and
 * their one-pixel shifts (bench/lib/datasets.js MNIST_MLP_OPTIONS: float 97.2 %, quantized 97.1 %).
 */
export const MNIST_DEFAULTS = { hidden: [392], epochs: 8, seed: 1, trainRows: 8000, testRows: 2000 } as const;

/** Parses the contents of hyperparameters.json (a JSON object of strings). */
export function parseHyperparameters(json: unknown): TrainingSettings {
  const raw = normalize(json);
  const unknown = Object.keys(raw).filter((name) => !KNOWN.has(name) && !name.startsWith("sagemaker_"));
  if (unknown.length > 0) throw new TrainingInputError(`unknown hyperparameter ${unknown.map((n) => `"${n}"`).join(", ")} (known: ${[...KNOWN].join(", ")})`);
  const dataset = optionalChoice(raw, "dataset", DATASETS);
  const model = optionalChoice(raw, "model", MODEL_KINDS) ?? (dataset === "mnist" ? "mlp" : undefined);
  if (!model) throw new TrainingInputError(`hyperparameter "model" is required (one of ${MODEL_KINDS.join(", ")})`);
  const task = optionalChoice(raw, "task", ["classification", "regression"] as const) ?? defaultTask(model);
  try {
    checkTask(model, task);
  } catch (e) {
    throw new TrainingInputError(`hyperparameters "model" and "task": ${(e as Error).message.replace(/--/g, "")}`);
  }
  if (dataset === undefined && raw.target === undefined) throw new TrainingInputError('hyperparameter "target" is required: the CSV column to predict');
  if (dataset === "mnist" && model !== "mlp") throw new TrainingInputError(`dataset "mnist" trains an mlp, not "${model}"`);
  const mnist = dataset === "mnist";
  return {
    dataset,
    model,
    task,
    target: raw.target,
    splitColumn: raw.split_column ?? "split",
    testFraction: optionalNumber(raw, "test_fraction", (v) => v > 0 && v < 1, "a number between 0 and 1") ?? 0.2,
    ignore: raw.ignore ? raw.ignore.split(",").map((s) => s.trim()).filter((s) => s !== "") : [],
    nBits: optionalInteger(raw, "n_bits", 1, 16),
    rounding: optionalInteger(raw, "rounding", 1, 16),
    pFail: optionalNumber(raw, "p_fail", (v) => v > 0 && v < 1, "a probability in (0, 1)"),
    trees: optionalInteger(raw, "trees", 1, 10_000),
    depth: optionalInteger(raw, "depth", 1, 64),
    hidden: optionalIntegerList(raw, "hidden") ?? (mnist ? MNIST_DEFAULTS.hidden : undefined),
    epochs: optionalInteger(raw, "epochs", 1, 100_000) ?? (mnist ? MNIST_DEFAULTS.epochs : undefined),
    seed: optionalInteger(raw, "seed", 0, Number.MAX_SAFE_INTEGER) ?? (mnist ? MNIST_DEFAULTS.seed : 0),
    standardize: optionalBoolean(raw, "standardize") ?? (mnist ? false : undefined),
    augmentShifts: optionalBoolean(raw, "augment_shifts") ?? mnist,
    trainRows: optionalInteger(raw, "train_rows", 1, 10_000) ?? MNIST_DEFAULTS.trainRows,
    testRows: optionalInteger(raw, "test_rows", 0, 10_000) ?? MNIST_DEFAULTS.testRows,
  };
}

/** Every value as a plain string, JSON-encoded strings unwrapped. */
function normalize(json: unknown): Raw {
  if (!json || typeof json !== "object" || Array.isArray(json)) throw new TrainingInputError("hyperparameters.json must hold a JSON object");
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(json as Record<string, unknown>)) {
    if (typeof value === "number" || typeof value === "boolean") out[name] = String(value); // lenient for hand-written files
    else if (typeof value === "string") out[name] = unwrapJsonString(value).trim();
    else throw new TrainingInputError(`hyperparameter "${name}" must be a string, got ${JSON.stringify(value)}`);
  }
  return out;
}

function unwrapJsonString(value: string): string {
  if (!(value.length >= 2 && value.startsWith('"') && value.endsWith('"'))) return value;
  try {
    const inner: unknown = JSON.parse(value);
    return typeof inner === "string" ? inner : value;
  } catch {
    return value;
  }
}

function optionalChoice<T extends string>(raw: Raw, name: string, choices: readonly T[]): T | undefined {
  const value = raw[name];
  if (value === undefined) return undefined;
  if (!(choices as readonly string[]).includes(value)) throw new TrainingInputError(`hyperparameter "${name}" must be one of ${choices.join(", ")}, got "${value}"`);
  return value as T;
}

function optionalInteger(raw: Raw, name: string, min: number, max: number): number | undefined {
  const value = raw[name];
  if (value === undefined) return undefined;
  const n = /^-?\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new TrainingInputError(`hyperparameter "${name}" must be an integer from ${min} to ${max}, got "${value}"`);
  return n;
}

function optionalNumber(raw: Raw, name: string, valid: (v: number) => boolean, expected: string): number | undefined {
  const value = raw[name];
  if (value === undefined) return undefined;
  const power = /^2\^(-?\d+(?:\.\d+)?)$/.exec(value); // "2^-40", as the CLI takes p_fail
  const n = power ? 2 ** Number(power[1]) : value === "" ? NaN : Number(value);
  if (!Number.isFinite(n) || !valid(n)) throw new TrainingInputError(`hyperparameter "${name}" must be ${expected}, got "${value}"`);
  return n;
}

/** "392", "32,16" or "[32, 16]". */
function optionalIntegerList(raw: Raw, name: string): number[] | undefined {
  const value = raw[name];
  if (value === undefined) return undefined;
  const parts = value.replace(/^\[|\]$/g, "").split(",").map((p) => p.trim());
  if (parts.length === 0 || parts.some((p) => !/^\d+$/.test(p) || Number(p) < 1 || Number(p) > 100_000)) {
    throw new TrainingInputError(`hyperparameter "${name}" must be positive integers separated by commas, e.g. "64" or "32,16", got "${value}"`);
  }
  return parts.map(Number);
}

function optionalBoolean(raw: Raw, name: string): boolean | undefined {
  const value = raw[name];
  if (value === undefined) return undefined;
  if (/^(true|1|yes)$/i.test(value)) return true;
  if (/^(false|0|no)$/i.test(value)) return false;
  throw new TrainingInputError(`hyperparameter "${name}" must be true or false, got "${value}"`);
}
