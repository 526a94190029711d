// Lookup tables for programmable bootstrapping (SPEC §6). A table is the polynomial V (N u64)
// that the blind rotation turns by the input's mod-switched phase m̃ ∈ [0, 2N): coefficient 0
// of X^{−m̃}·V is V[m̃] for m̃ < N and −V[m̃ − N] otherwise (X^N = −1).
import type { EngineCore, LoadedParameters } from "./core.js";
import type { Encoding } from "./encoding.js";
import { encodeMessage } from "./encoding.js";
import { InvalidArgumentError } from "./errors.js";
import { WasmResource } from "./resource.js";

export class LookupTable extends WasmResource {
  readonly params: LoadedParameters;
  /** Encoding of the bootstrap's output ciphertexts. */
  readonly output: Encoding;
  /** How many functions the table packs (many-LUT) and the coefficient stride between them. */
  readonly functionCount: number;
  readonly stride: number;
  /**
   * For many-LUT tables: inputs must be below this (p / functionCount). The engine cannot check an
   * encrypted input; a larger one yields another function's output. Infinity for single tables.
   */
  readonly inputBound: number;

  constructor(
    core: EngineCore, params: LoadedParameters, coefficients: BigUint64Array, output: Encoding,
    functionCount = 1, stride = 0, inputBound = Number.POSITIVE_INFINITY,
  ) {
    const N = params.set.polynomialSize;
    if (coefficients.length !== N) throw new InvalidArgumentError(`A lookup table has N = ${N} coefficients, got ${coefficients.length}.`);
    const pointer = core.allocate(N * 8);
    core.u64(pointer, N).set(coefficients);
    super(core, pointer, (p) => core.wasm.dealloc(p), "lookup table");
    this.params = params;
    this.output = output;
    this.functionCount = functionCount;
    this.stride = stride;
    this.inputBound = inputBound;
  }
}

/**
 * The table of f for inputs of `input` encoding and outputs of `output` encoding.
 *
 * One input message spans a "box" of w = Δ_in·2N/2^64 consecutive values of m̃. Coefficient j
 * (0 ≤ j < N) stands for m̃ = j, i.e. the message m = round(j / w):
 * - unsigned input (padding bit, m ∈ [0, p)): V[j] = enc(f(m)) for m < N/w; the last half box
 *   (m = N/w, where m̃ wraps past N) holds −enc(f(0)), so that a slightly negative noisy 0 —
 *   m̃ just below 2N, read as −V[m̃ − N] — still yields f(0).
 * - signed input (phases in (−2^62, 2^62), m ∈ [−p/2, p/2)): j < N/2 stands for m = round(j/w);
 *   j ≥ N/2 stands for the negative phase m̃ = j + N − 2N, read negated: V[j] = −enc(f(round((j − N)/w))).
 * When w < 1 (a wide accumulator), several messages share one coefficient and f sees the
 * message at its centre: the bootstrap keeps only the top log2(2N) bits ("free rounding").
 */
export function tableCoefficients(
  polySize: number, f: (m: number) => number, input: Encoding, output: Encoding,
): BigUint64Array {
  const width = (Number(input.delta) * 2 * polySize) / 2 ** 64;
  const values = new BigUint64Array(polySize);
  const enc = (m: number) => encodeMessage(checkResult(f(m), m), output);
  for (let j = 0; j < polySize; j++) {
    if (input.signed) {
      const represented = j < polySize / 2 ? Math.round(j / width) : Math.round((j - polySize) / width);
      const clamped = Math.max(-input.modulus / 2, Math.min(input.modulus / 2 - 1, represented));
      values[j] = j < polySize / 2 ? enc(clamped) : BigInt.asUintN(64, -enc(clamped));
    } else {
      const m = Math.round(j / width);
      const messagesInHalf = Math.round(polySize / width);
      values[j] = m >= messagesInHalf ? BigInt.asUintN(64, -enc(0)) : enc(Math.min(m, input.modulus - 1));
    }
  }
  return values;
}

function checkResult(value: number, input: number): number {
  if (!Number.isSafeInteger(value)) {
    throw new InvalidArgumentError(`A lookup-table function must return integers; f(${input}) = ${value}.`);
  }
  return value;
}

/**
 * Many-LUT (as tfhe-rs generate_many_lookup_table): with p the input encoding's modulus (by default message·carry) and F ≤ p/2
 * functions, inputs are restricted to m < p/F; function i occupies messages [i·p/F, (i+1)·p/F)
 * of one table, and output i is extracted at coefficient i·(p/F)·w.
 */
export function manyTableCoefficients(
  polySize: number, fs: readonly ((m: number) => number)[], input: Encoding, output: Encoding,
): { coefficients: BigUint64Array; stride: number; inputBound: number } {
  const p = input.modulus;
  if (input.signed) throw new InvalidArgumentError("Many-LUT bootstraps take unsigned (padding-bit) inputs.");
  if (fs.length < 1 || fs.length > p / 2) {
    throw new InvalidArgumentError(`Many-LUT packs 1…${p / 2} functions for ${p} messages, got ${fs.length}.`);
  }
  const chunk = Math.floor(p / fs.length);
  const combined = (m: number) => fs[Math.min(Math.floor(m / chunk), fs.length - 1)]!(m % chunk);
  const width = (Number(input.delta) * 2 * polySize) / 2 ** 64;
  return { coefficients: tableCoefficients(polySize, combined, input, output), stride: Math.round(chunk * width), inputBound: chunk };
}
