// blindml's ML layer: models compiled to FHE circuits (see circuit.ts for the IR).
export { LinearRegression, LogisticRegression, LinearSVC } from "./models/linear.js";
export { MLPClassifier } from "./models/mlp.js";
export {
  DecisionTreeClassifier, DecisionTreeRegressor, RandomForestClassifier, RandomForestRegressor,
  GradientBoostingClassifier, GradientBoostingRegressor,
} from "./models/trees.js";
export { parseOnnx, evaluateImported, OnnxImportError } from "./onnx.js";
export type { ImportedModel } from "./onnx.js";
export { importOnnx, modelFromImported } from "./import.js";
export type { ImportOnnxOptions } from "./import.js";
export type { MlpClassifierOptions } from "./models/mlp.js";
export { FheModel, quantizeRows, dequantize, decide, probabilities } from "./model.js";
export type { FheMode, Rows, ClientSpec, InputTransform, OutputTransform, ModelCompileOptions, PredictOptions, BitWidths } from "./model.js";
export { compileGraph } from "./compile.js";
export type { CompileOptions } from "./compile.js";
export { runClear } from "./evaluate.js";
export { CircuitExecutor, encryptRows, decryptRows, runSeededInChunks } from "./fhe.js";
export { ParallelCircuitExecutor, bindPool, createBootstrapPool, workerCircuit } from "./parallel.js";
export type { BootstrapPool, BootstrapShare, PoolBinding, PoolHandle, WorkerCircuit, WorkerLookup } from "./parallel.js";
export { ShareRunner } from "./share-runner.js";
export type { Graph, GraphNode, CompiledCircuit, CircuitReport, CircuitInterface, LookupReport, ValueEncoding } from "./circuit.js";
export { CompileError, ModelStateError, ModelMismatchError, WorkerError } from "./errors.js";
export { parseCsv, loadSplitDataset, fitStandardizer, applyStandardizer } from "./data.js";
export { TextFeaturizer, tokenize, stripMarkup, structureFeatures, rankTokens, presenceMutualInformation, STRUCTURE_FEATURES } from "./text.js";
export type { TextFeaturizerOptions, TextFeaturizerState } from "./text.js";
export type { DenseMatrix, LinearParams, TreeParams, TreeEnsembleParams, MlpParams, QuantizedMlp } from "./types.js";
export { toDenseMatrix, denseMatrix } from "./types.js";
export { shiftAugment, ONE_PIXEL_SHIFTS } from "./augment.js";
export type { ImageShape } from "./augment.js";
