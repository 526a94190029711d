// blindml train: CSV → fitted model → compiled circuit → server.zip, client.zip, model.tar.gz,
// with the float / quantized / simulated score on the test rows.
import { join } from "node:path";
import { Command, Option } from "commander";
import type { FheModel } from "../ml/index.js";
import { saveModel } from "../artifacts/node.js";
import { seededRandom } from "../ml/train/random.js";
import { readInputText, writeOutputFile } from "./io.js";
import { readFeatureTable, DEFAULT_SPLIT_COLUMN } from "./table.js";
import type { FeatureTable } from "./table.js";
import { MODEL_KINDS, createModel, compileOptions, defaultTask, checkTask, ignoredHyperparameters } from "./models.js";
import type { ModelKind, Task, Hyperparameters } from "./models.js";
import { scoreModes } from "./metrics.js";
import type { ModeScores } from "./metrics.js";
import { progressBar, step, note } from "./progress.js";
import { positiveInteger, nonNegativeInteger, fraction, probability, integerList, nameList } from "./options.js";
import { printFields, describeFiles, formatScore } from "./summary.js";
import { CliError } from "./errors.js";

interface TrainOptions {
  data: string;
  target: string;
  model: ModelKind;
  out: string;
  task?: Task;
  splitColumn: string;
  testFraction?: number;
  ignore?: string[];
  nBits?: number;
  rounding?: number;
  pFail?: number;
  trees?: number;
  depth?: number;
  hidden?: number[];
  epochs?: number;
  seed?: number;
}

interface Part {
  readonly rows: number[][];
  readonly targets: number[];
}

interface TrainingData {
  readonly featureNames: string[];
  readonly train: Part;
  readonly test: Part;
  readonly splitDescription: string;
}

const DEFAULT_TEST_FRACTION = 0.2;
const DEFAULT_MLP_EPOCHS = 20;

export function registerTrain(program: Command): void {
  program
    .command("train")
    .summary("train a model on a CSV file and compile it to an FHE circuit")
    .description("Trains a model on the training rows of a CSV file (header row, numeric columns), compiles it to an FHE circuit, prints its float / quantized / simulated score on the test rows and writes server.zip, client.zip and model.tar.gz.")
    .requiredOption("--data <file>", "CSV file with a header row")
    .requiredOption("--target <column>", "the column to predict")
    .addOption(new Option("--model <kind>", "the model").choices(MODEL_KINDS).makeOptionMandatory())
    .requiredOption("--out <dir>", "folder for server.zip, client.zip, model.tar.gz and train.json")
    .addOption(new Option("--task <task>", "classification or regression (tree, forest, gbdt; default: regression for linear, else classification)").choices(["classification", "regression"]))
    .option("--split-column <name>", "column saying train or test for each row (used when present)", DEFAULT_SPLIT_COLUMN)
    .option("--test-fraction <f>", `rows held out at random for testing, instead of a split column (default ${DEFAULT_TEST_FRACTION} without one)`, fraction)
    .option("--ignore <columns>", "columns that are not features (comma-separated, repeatable)", nameList)
    .option("--n-bits <bits>", "bits of the quantized inputs (and weights / activations where the model has them)", positiveInteger)
    .option("--rounding <bits>", "bits an approximate lookup keeps of its input (default 7)", positiveInteger)
    .option("--p-fail <p>", "target failure probability of one lookup, e.g. 2^-40 (the default) or 1e-9", probability)
    .option("--trees <n>", "forest / gbdt: number of trees (default 20)", positiveInteger)
    .option("--depth <n>", "tree / forest / gbdt: maximum depth (default: unlimited / 4 / 3)", positiveInteger)
    .option("--hidden <widths>", 'mlp: hidden layer widths, e.g. "64" (the default) or "32,16"', integerList)
    .option("--epochs <n>", `mlp: training epochs (default ${DEFAULT_MLP_EPOCHS})`, positiveInteger)
    .option("--seed <n>", "seed of the random test split, forests, boosting and MLP training", nonNegativeInteger)
    .addHelpText("after", "\nExample:\n  blindml train --data breast_cancer.csv --target target --model logistic --out model/")
    .action(async (options: TrainOptions) => train(options));
}

async function train(options: TrainOptions): Promise<void> {
  const task = options.task ?? defaultTask(options.model);
  checkTask(options.model, task);
  warnIgnored(options);
  const data = await loadTrainingData(options);
  const model = fitModel(options, task, data.train);
  step(`Compiling ${model.modelName}`, () => model.compile(data.train.rows, compileOptions(options.model, hyperparameters(options, task), options)),
    (m) => `parameter set ${m.circuit.parameterSet}, ${m.circuit.report.bootstraps} bootstraps per row`);
  const evaluated = data.test.rows.length > 0 ? data.test : data.train;
  const scores = scoreModes(model, task, evaluated.rows, evaluated.targets);
  const files = await writeArtifacts(model, options, task, data, scores);
  await printSummary(model, task, data, scores, files);
}

function hyperparameters(options: TrainOptions, task: Task, onEpoch?: Hyperparameters["onEpoch"]): Hyperparameters {
  const { nBits, trees, depth, hidden, epochs, seed } = options;
  return { task, nBits, trees, depth, hidden, epochs, seed, onEpoch };
}

function warnIgnored(options: TrainOptions): void {
  const { trees, depth, hidden, epochs } = options;
  const ignored = ignoredHyperparameters(options.model, { trees, depth, hidden, epochs });
  if (ignored.length > 0) note(`note: --model ${options.model} takes no ${ignored.join(", ")}; ignored`);
}

async function loadTrainingData(options: TrainOptions): Promise<TrainingData> {
  const text = await readInputText(options.data, "the data file");
  const table = readFeatureTable(text, options.data, { target: options.target, splitColumn: options.splitColumn, ignore: options.ignore });
  if (table.rows.length === 0) throw new CliError(`${options.data} has no data rows`);
  if (table.splits && options.testFraction === undefined) return splitByColumn(table, options.splitColumn);
  return splitAtRandom(table, options.testFraction ?? DEFAULT_TEST_FRACTION, options.seed ?? 0);
}

function splitByColumn(table: FeatureTable, column: string): TrainingData {
  const part = (name: string): Part => {
    const indices = table.splits!.flatMap((s, i) => (s === name ? [i] : []));
    return { rows: indices.map((i) => table.rows[i]!), targets: indices.map((i) => table.targets![i]!) };
  };
  const train = part("train");
  if (train.rows.length === 0) throw new CliError(`no row has "train" in the "${column}" column (pass --test-fraction to split at random)`);
  return { featureNames: table.featureNames, train, test: part("test"), splitDescription: `"${column}" column` };
}

function splitAtRandom(table: FeatureTable, testFraction: number, seed: number): TrainingData {
  const random = seededRandom(seed);
  const order = table.rows.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const testCount = Math.min(order.length - 1, Math.round(order.length * testFraction));
  const pick = (indices: number[]): Part => ({ rows: indices.map((i) => table.rows[i]!), targets: indices.map((i) => table.targets![i]!) });
  return {
    featureNames: table.featureNames,
    test: pick(order.slice(0, testCount)),
    train: pick(order.slice(testCount)),
    splitDescription: `random ${Math.round(testFraction * 100)} % test (seed ${seed})`,
  };
}

function fitModel(options: TrainOptions, task: Task, train: Part): FheModel {
  if (options.model === "mlp") return fitWithEpochBar(options, task, train);
  const model = createModel(options.model, hyperparameters(options, task));
  return step(`Fitting ${model.modelName}`, () => model.fit(train.rows, train.targets), () => `${train.rows.length} rows`);
}

function fitWithEpochBar(options: TrainOptions, task: Task, train: Part): FheModel {
  const epochs = options.epochs ?? DEFAULT_MLP_EPOCHS;
  const progress = progressBar("Training MLPClassifier", epochs, "epochs");
  let last = "";
  const onEpoch = (epoch: number, loss: number, accuracy: number) => {
    last = `loss ${loss.toFixed(4)}, training accuracy ${accuracy.toFixed(4)}`;
    progress.update(epoch, last);
  };
  const model = createModel("mlp", hyperparameters(options, task, onEpoch)).fit(train.rows, train.targets);
  progress.finish(`${epochs} epochs on ${train.rows.length} rows, ${last}`);
  return model;
}

async function writeArtifacts(model: FheModel, options: TrainOptions, task: Task, data: TrainingData, scores: ModeScores): Promise<string[]> {
  const saved = await saveModel(model, options.out, { tarball: true });
  const report = join(options.out, "train.json");
  await writeOutputFile(report, `${JSON.stringify(trainingReport(model, options, task, data, scores), null, 2)}\n`, "the training report");
  return [saved.serverZip, saved.clientZip, saved.tarball!, report];
}

function trainingReport(model: FheModel, options: TrainOptions, task: Task, data: TrainingData, scores: ModeScores) {
  const { report } = model.circuit;
  return {
    model: model.modelName, kind: options.model, task, target: options.target, features: data.featureNames,
    trainRows: data.train.rows.length, testRows: data.test.rows.length, split: data.splitDescription,
    parameterSet: report.parameterSet, bootstrapsPerRow: report.bootstraps, needsEvaluationKeys: report.bootstraps > 0,
    scores: { metric: scores.metric, float: scores.float, quantized: scores.quantized, simulate: scores.simulate },
    /** The quantized circuit's predictions on the test rows (training rows when there are none), in file order. */
    quantizedPredictions: scores.quantizedPredictions,
  };
}

async function printSummary(model: FheModel, task: Task, data: TrainingData, scores: ModeScores, files: string[]): Promise<void> {
  const { report } = model.circuit;
  const evaluatedOn = data.test.rows.length > 0 ? "test" : "training (no test rows)";
  const keys = report.bootstraps > 0 ? "the server needs evaluation keys" : "leveled: no evaluation keys needed";
  printFields([
    ["model", `${model.modelName} (${task}, ${data.featureNames.length} features)`],
    ["rows", `${data.train.rows.length} training, ${data.test.rows.length} test (${data.splitDescription})`],
    ["circuit", `parameter set ${report.parameterSet}, ${report.bootstraps} bootstraps per row, ${keys}`],
    [`${scores.metric} on ${evaluatedOn} rows`, `float ${formatScore(scores.float)}, quantized ${formatScore(scores.quantized)}, simulate ${formatScore(scores.simulate)}`],
    ["wrote", await describeFiles(files)],
  ]);
}
