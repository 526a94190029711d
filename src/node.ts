// blindml/node: Node-only helpers (files, key directories). The rest of blindml runs anywhere.
export { saveModel, saveKeys, loadKeys } from "./artifacts/node.js";
export type { SavedModel } from "./artifacts/node.js";
