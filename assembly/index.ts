// The engine's exported surface (the ABI the TypeScript wrapper calls). Each export is a thin
// forward to the file that owns the algorithm; see docs/SPEC.md for the mathematics.
export { alloc, allocZeroed, dealloc, wipe } from "./memory";
