// The engine's exported surface (the ABI the TypeScript wrapper calls). Each abi_*.ts file is a
// thin layer of exports over the files that own the algorithms; see docs/SPEC.md for the math.
export { alloc, allocZeroed, dealloc, wipe } from "./memory";
export * from "./abi_random";
export * from "./abi_fft";
export * from "./abi_engine";
export * from "./abi_glwe";
