// blindml: encrypted machine-learning inference. Layers, each importing only the ones before it:
// engine (TFHE, "blindml/engine") → ml (models compiled to circuits) → artifacts (client/server).
export * as engine from "./engine/index.js";
export * from "./ml/index.js";
export * from "./artifacts/index.js";
