// A network exported from PyTorch to ONNX, imported, quantized on calibration rows, compiled and
// run under encryption (the fixture test/fixtures/onnx/mlp_torch.onnx: digits, 64 → 32 → 10).
//   node examples/onnx.js
import { readFileSync } from "node:fs";
import { importOnnx } from "blindml";
import { readSharedDataset } from "../bench/lib/datasets.js";

const { train, test } = readSharedDataset("digits");
const model = importOnnx(readFileSync(new URL("../test/fixtures/onnx/mlp_torch.onnx", import.meta.url)));
model.compile(train.X);
const X = { rows: 3, cols: test.X.cols, data: test.X.data.slice(0, 3 * test.X.cols) };
console.log(`${model.modelName} on set ${model.circuit.report.parameterSet}: clear ${model.predict(X).join(" ")}, encrypted ${(await model.predict(X, { fhe: "execute" })).join(" ")}, truth ${Array.from(test.y.slice(0, 3)).join(" ")}`);
model.free();
