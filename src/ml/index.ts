// blindml's ML layer: models compiled to FHE circuits (see circuit.ts for the IR).
export { LinearRegression, LogisticRegression, LinearSVC } from "./models/linear.js";
export { MLPClassifier } from "./models/mlp.js";
export {
  DecisionTreeClassifier, DecisionTreeRegressor, RandomForestClassifier, RandomForestRegressor,
  GradientBoostingClassifier, GradientBoostingRegressor,
} from "./models/trees.js";
export { parseOnnx, evaluateImported, OnnxImportError } from "./onnx.js";
export type { MlpClassifierOptions } from "./models/mlp.js";
export { FheModel, quantizeRows, dequantize, decide, probabilities } from "./model.js";
export type { FheMode, Rows, ClientSpec, InputTransform, OutputTransform, ModelCompileOptions, PredictOptions, BitWidths } from "./model.js";
export { compileGraph } from "./compile.js";
export type { CompileOptions } from "./compile.js";
export { runClear } from "./evaluate.js";
export { CircuitExecutor, encryptRows, decryptRows } from "./fhe.js";
export type { Graph, GraphNode, CompiledCircuit, CircuitReport, CircuitInterface, LookupReport, ValueEncoding } from "./circuit.js";
export { CompileError, ModelStateError, ModelMismatchError } from "./errors.js";
export { parseCsv, loadSplitDataset, fitStandardizer, applyStandardizer } from "./data.js";
export type { DenseMatrix, LinearParams, TreeParams, TreeEnsembleParams, MlpParams, QuantizedMlp } from "./types.js";
export { toDenseMatrix, denseMatrix } from "./types.js";
