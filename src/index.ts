// blindml: encrypted machine-learning inference. The engine is re-exported under "blindml/engine".
export * as engine from "./engine/index.js";
