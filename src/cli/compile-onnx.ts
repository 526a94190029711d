// blindml compile: an ONNX model (scikit-learn / skl2onnx, or a small PyTorch MLP) → a compiled
// FHE circuit calibrated on the rows of a CSV file → server.zip, client.zip, model.tar.gz.
import type { Command } from "commander";
import { importOnnx } from "../ml/index.js";
import { saveModel } from "../artifacts/node.js";
import { readInputFile, readInputText } from "./io.js";
import { readFeatureTable, DEFAULT_SPLIT_COLUMN } from "./table.js";
import { scoreModes } from "./metrics.js";
import { step } from "./progress.js";
import { positiveInteger, probability, nameList } from "./options.js";
import { printFields, describeFiles, formatScore } from "./summary.js";
import { CliError } from "./errors.js";

interface CompileOptions {
  calibration: string;
  out: string;
  target?: string;
  ignore?: string[];
  splitColumn: string;
  split?: string;
  nBits?: number;
  rounding?: number;
  pFail?: number;
}

export function registerCompile(program: Command): void {
  program
    .command("compile")
    .summary("compile an ONNX model to an FHE circuit")
    .description(`Imports an ONNX model, quantizes and compiles it to an FHE circuit calibrated on the rows of a CSV file (header row, the model's feature columns in order; a "${DEFAULT_SPLIT_COLUMN}" column is never a feature), and writes server.zip, client.zip and model.tar.gz. With --target, also prints the float / quantized / simulated score on those rows.`)
    .argument("<model.onnx>", "the ONNX model")
    .requiredOption("--calibration <file>", "CSV file of representative input rows")
    .requiredOption("--out <dir>", "folder for server.zip, client.zip and model.tar.gz")
    .option("--target <column>", "a label / value column of the calibration file: taken out of the features and scored against")
    .option("--ignore <columns>", "columns that are not features (comma-separated, repeatable)", nameList)
    .option("--split-column <name>", "column saying train or test for each row", DEFAULT_SPLIT_COLUMN)
    .option("--split <part>", "calibrate only on the rows whose split column holds this value (e.g. train)")
    .option("--n-bits <bits>", "bits of the quantized inputs and weights", positiveInteger)
    .option("--rounding <bits>", "bits an approximate lookup keeps of its input (default 7)", positiveInteger)
    .option("--p-fail <p>", "target failure probability of one lookup, e.g. 2^-40 (the default) or 1e-9", probability)
    .addHelpText("after", "\nExample:\n  blindml compile model.onnx --calibration train.csv --target target --out model/")
    .action(async (modelPath: string, options: CompileOptions) => compileOnnx(modelPath, options));
}

async function compileOnnx(modelPath: string, options: CompileOptions): Promise<void> {
  const bytes = await readInputFile(modelPath, "the ONNX model");
  const text = await readInputText(options.calibration, "the calibration file");
  const table = readFeatureTable(text, options.calibration, { target: options.target, splitColumn: options.splitColumn, split: options.split, ignore: options.ignore });
  if (table.rows.length === 0) throw new CliError(`${options.calibration} has no calibration rows`);
  // Tree models quantize their features at import: the bit width goes to both steps.
  const treeOptions = options.nBits === undefined ? {} : { trees: { nBits: options.nBits } };
  const model = step("Importing ONNX", () => importOnnx(bytes, treeOptions), (m) => m.modelName);
  step(`Compiling ${model.modelName}`, () => model.compile(table.rows, { nBits: options.nBits, rounding: options.rounding, pFail: options.pFail }),
    (m) => `parameter set ${m.circuit.parameterSet}, ${m.circuit.report.bootstraps} bootstraps per row`);
  const saved = await saveModel(model, options.out, { tarball: true });
  const { report } = model.circuit;
  const fields: [string, string][] = [
    ["model", `${model.modelName} (${model.task}, ${model.clientSpec.features} features), calibrated on ${table.rows.length} rows`],
    ["circuit", `parameter set ${report.parameterSet}, ${report.bootstraps} bootstraps per row${report.bootstraps > 0 ? "" : ", no evaluation keys needed"}`],
  ];
  if (table.targets) {
    const scores = scoreModes(model, model.task, table.rows, table.targets);
    fields.push([`${scores.metric} on these rows`, `float ${formatScore(scores.float)}, quantized ${formatScore(scores.quantized)}, simulate ${formatScore(scores.simulate)}`]);
  }
  fields.push(["wrote", await describeFiles([saved.serverZip, saved.clientZip, saved.tarball!])]);
  printFields(fields);
}
