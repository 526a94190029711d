// One SageMaker training job: hyperparameters + data → fitted model → compiled FHE circuit →
// server.zip and client.zip in the model directory (SageMaker packs it into model.tar.gz), and a
// report with the float and quantized scores in the output data directory (output.tar.gz).
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { FheModel, DenseMatrix } from "../../src/ml/index.js";
import { shiftAugment, toDenseMatrix } from "../../src/ml/index.js";
import { saveModel } from "../../src/artifacts/node.js";
import { createModel, compileOptions } from "../../src/cli/models.js";
import type { Hyperparameters } from "../../src/cli/models.js";
import { accuracy, rSquared } from "../../src/cli/metrics.js";
import type { Logger } from "../log.js";
import type { SageMakerLayout } from "../sagemaker-layout.js";
import { parseHyperparameters, TrainingInputError } from "./hyperparameters.js";
import type { TrainingSettings } from "./hyperparameters.js";
import { loadMnist, readCsvChannels } from "./data.js";
import type { Part } from "./data.js";

export interface TrainingReport {
  readonly model: string;
  readonly kind: string;
  readonly task: string;
  readonly features: number;
  readonly data: string;
  readonly trainRows: number;
  readonly testRows: number;
  readonly parameterSet: string;
  readonly bootstrapsPerRow: number;
  readonly needsEvaluationKeys: boolean;
  readonly metric: "accuracy" | "R²";
  /** Scores on the held-out rows (absent without any). */
  readonly float?: number;
  readonly quantized?: number;
  readonly ms: { readonly load: number; readonly fit: number; readonly compile: number; readonly score: number };
  readonly files: readonly string[];
}

export const REPORT_FILE = "training-report.json";

/** Reads the job's inputs from `layout`, trains, and writes the artifacts; throws on any failure. */
export async function runTrainingJob(layout: SageMakerLayout, log: Logger): Promise<TrainingReport> {
  const settings = parseHyperparameters(await readHyperparameters(layout.hyperparametersFile));
  log({ level: "info", msg: "hyperparameters", ...describeSettings(settings) });
  const lap = stopwatch();

  const data = settings.dataset === "mnist" ? loadMnist(settings.trainRows, settings.testRows) : await readCsvChannels(layout.trainingChannel, layout.validationChannel, settings);
  const load = lap();
  log({ level: "info", msg: "data", description: data.description, features: data.featureNames.length, trainRows: data.train.rows.length, testRows: data.test.rows.length, ms: load });

  const training = settings.augmentShifts ? shiftedImages(data.train, data.featureNames.length) : { X: toDenseMatrix(data.train.rows), y: data.train.targets };
  const model = createModel(settings.model, hyperparameters(settings, log)).fit(training.X, training.y);
  const fit = lap();
  log({ level: "info", msg: "fitted", model: model.modelName, ms: fit });

  try {
    model.compile(data.train.rows, compileOptions(settings.model, hyperparameters(settings, log), settings));
    const compile = lap();
    const { report: circuit } = model.circuit;
    log({ level: "info", msg: "compiled", parameterSet: circuit.parameterSet, bootstrapsPerRow: circuit.bootstraps, ms: compile });

    const scores = score(model, settings, data.test);
    const scoring = lap();
    log({ level: "info", msg: "scored", metric: scores.metric, float: scores.float, quantized: scores.quantized, rows: data.test.rows.length, ms: scoring });

    const saved = await saveModel(model, layout.modelDir);
    const report: TrainingReport = {
      model: model.modelName, kind: settings.model, task: settings.task, features: data.featureNames.length, data: data.description,
      trainRows: data.train.rows.length, testRows: data.test.rows.length,
      parameterSet: circuit.parameterSet, bootstrapsPerRow: circuit.bootstraps, needsEvaluationKeys: circuit.bootstraps > 0,
      ...scores, ms: { load, fit, compile, score: scoring }, files: [saved.serverZip, saved.clientZip],
    };
    await writeReport(layout.outputDataDir, report);
    return report;
  } finally {
    model.free();
  }
}

/** hyperparameters.json, or {} when there is none (SageMaker always writes one, maybe empty). */
/** Training rows plus their one-pixel shifts, for square images (28×28 for MNIST). */
function shiftedImages(part: Part, pixels: number): { X: DenseMatrix; y: ArrayLike<number> } {
  const side = Math.round(Math.sqrt(pixels));
  if (side * side !== pixels) throw new TrainingInputError(`augment_shifts needs square images; rows have ${pixels} values`);
  return shiftAugment(toDenseMatrix(part.rows), part.targets, { width: side, height: side });
}

async function readHyperparameters(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw new TrainingInputError(`cannot read ${path}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new TrainingInputError(`${path} is not valid JSON: ${(e as Error).message}`);
  }
}

function hyperparameters(s: TrainingSettings, log: Logger): Hyperparameters {
  // one log line per epoch: CloudWatch shows training progress, and the demo relays it
  const onEpoch = (epoch: number, loss: number, accuracy: number) =>
    log({ level: "info", msg: "epoch", epoch, of: s.epochs, loss: round(loss, 4), trainingAccuracy: round(accuracy, 4) });
  return { task: s.task, nBits: s.nBits, trees: s.trees, depth: s.depth, hidden: s.hidden, epochs: s.epochs, seed: s.seed, standardize: s.standardize, onEpoch };
}

const SCORE_BATCH_ROWS = 256;

/** Float and quantized (the circuit in the clear) scores on the held-out rows. */
function score(model: FheModel, settings: TrainingSettings, test: Part): Pick<TrainingReport, "metric" | "float" | "quantized"> {
  const metric = settings.task === "classification" ? "accuracy" : "R²";
  if (test.rows.length === 0) return { metric };
  const measure = settings.task === "classification" ? accuracy : rSquared;
  const quantized: number[] = [];
  for (let start = 0; start < test.rows.length; start += SCORE_BATCH_ROWS) {
    quantized.push(...(model.predict(test.rows.slice(start, start + SCORE_BATCH_ROWS)) as number[]));
  }
  return { metric, float: round(measure(model.predictFloat(test.rows), test.targets), 4), quantized: round(measure(quantized, test.targets), 4) };
}

async function writeReport(dir: string, report: TrainingReport): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, REPORT_FILE), `${JSON.stringify(report, null, 2)}\n`);
}

function describeSettings(s: TrainingSettings): Record<string, unknown> {
  const { dataset, model, task, target, nBits, hidden, epochs, seed, trees, depth } = s;
  return Object.fromEntries(Object.entries({ dataset, model, task, target, nBits, hidden, epochs, seed, trees, depth }).filter(([, v]) => v !== undefined));
}

function stopwatch(): () => number {
  let last = performance.now();
  return () => {
    const now = performance.now();
    const ms = Math.round(now - last);
    last = now;
    return ms;
  };
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
