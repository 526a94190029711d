// Micro-benchmark of the negacyclic FFT (assembly/fft.ts): µs per forward transform (digits,
// torus, and the bootstrap's fused gadget digits of a torus polynomial, β = 23, l = 1), per
// backward transform (accumulating into a torus polynomial; exact, and the bootstrap's coarse
// conversion) and per fourierMulAdd.
// Usage: node bench/fft-micro.js [iterations=10000]
// Each figure: the iterations run in 20 rounds; printed are the best round's µs per call and (in
// parentheses) the mean over all rounds. On a shared or virtual machine the best round is the
// better estimate of the code's cost; pin the process (taskset -c 1 node ...) for stable numbers.
import { instantiateEngine } from "blindml/engine";

const iterations = Number(process.argv[2] ?? 10000);
const ROUNDS = 20;
const perRound = Math.max(1, Math.floor(iterations / ROUNDS));
const wasm = await instantiateEngine();

/** Per-round µs per call of fn (after a warm-up that lets V8 tier the code up). */
function rounds(fn) {
  for (let i = 0; i < Math.min(2000, iterations); i++) fn();
  const result = [];
  for (let r = 0; r < ROUNDS; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < perRound; i++) fn();
    result.push(Number(process.hrtime.bigint() - start) / 1e3 / perRound);
  }
  return result;
}
const best = (xs) => Math.min(...xs);
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const show = (xs) => `${best(xs).toFixed(2)} (${mean(xs).toFixed(2)})`.padStart(15);

console.log(`negacyclic FFT: µs per call, best round (mean); ${ROUNDS} rounds × ${perRound} calls; Node ${process.version}`);
console.log("     N     forward(i64)  forward(torus) forward(digits)   backward(add) backward(coarse)  fourierMulAdd");
for (const n of [512, 2048, 8192]) {
  const plan = wasm.fftPlan(n);
  const poly = wasm.alloc(8 * n);
  const digits = wasm.alloc(8 * n);
  const fourier = wasm.alloc(8 * n);
  const other = wasm.alloc(8 * n);
  const acc = wasm.alloc(8 * n);
  const p = new BigInt64Array(wasm.memory.buffer, poly, n);
  const d = new BigInt64Array(wasm.memory.buffer, digits, n);
  for (let i = 0; i < n; i++) {
    p[i] = BigInt.asIntN(64, BigInt(Math.floor(Math.random() * 2 ** 32)) << 32n);
    d[i] = BigInt(Math.floor(Math.random() * 2 ** 23) - 2 ** 22);
  }
  wasm.fftForwardTorus(plan, other, poly);
  new Float64Array(wasm.memory.buffer, acc, n).fill(0);

  const forwardI64 = rounds(() => wasm.fftForwardI64(plan, fourier, digits));
  const forwardTorus = rounds(() => wasm.fftForwardTorus(plan, fourier, poly));
  const forwardDigits = rounds(() => wasm.fftForwardDigits(plan, fourier, poly, 23, 1, 1));
  // The backward transform destroys its input (it works in place). Its code has no data-dependent
  // branch and its operations cost the same on any f64 (no subnormals arise: values only grow),
  // so it is timed on whatever the previous call left there.
  wasm.fftForwardI64(plan, fourier, digits);
  const backward = rounds(() => wasm.fftBackwardAddTorus(plan, poly, fourier));
  wasm.fftForwardI64(plan, fourier, digits);
  const backwardCoarse = rounds(() => wasm.fftBackwardAddTorusCoarse(plan, poly, fourier));
  const mulAdd = rounds(() => wasm.fourierMulAdd(acc, fourier, other, n));
  console.log(`${String(n).padStart(6)} ${show(forwardI64)} ${show(forwardTorus)} ${show(forwardDigits)} ${show(backward)} ${show(backwardCoarse)} ${show(mulAdd)}`);
  for (const ptr of [poly, digits, fourier, other, acc]) wasm.dealloc(ptr);
}
