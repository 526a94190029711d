// Micro-benchmark of the negacyclic FFT (assembly/fft.ts): µs per forward transform (digits and
// torus), per backward transform (accumulating into a torus polynomial) and per fourierMulAdd.
// Usage: node bench/fft-micro.js [iterations=10000]
import { instantiateEngine } from "blindml/engine";

const iterations = Number(process.argv[2] ?? 10000);
const wasm = await instantiateEngine();

function time(fn) {
  for (let i = 0; i < Math.min(1000, iterations); i++) fn(); // warm-up (tier-up, caches)
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn();
  return Number(process.hrtime.bigint() - start) / 1e3 / iterations;
}

console.log(`negacyclic FFT, ${iterations} iterations each, µs per call (Node ${process.version})`);
console.log("     N   forward(i64)  forward(torus)  backward(add)  fourierMulAdd");
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

  const forwardI64 = time(() => wasm.fftForwardI64(plan, fourier, digits));
  const forwardTorus = time(() => wasm.fftForwardTorus(plan, fourier, poly));
  // The backward transform destroys its input, so it is timed after a fresh forward transform
  // and that forward's time is subtracted.
  const roundTrip = time(() => {
    wasm.fftForwardI64(plan, fourier, digits);
    wasm.fftBackwardAddTorus(plan, poly, fourier);
  });
  const backward = roundTrip - forwardI64;
  const mulAdd = time(() => wasm.fourierMulAdd(acc, fourier, other, n));
  const f = (x) => x.toFixed(2).padStart(13);
  console.log(`${String(n).padStart(6)} ${f(forwardI64)}  ${f(forwardTorus)}  ${f(backward)}  ${f(mulAdd)}`);
  for (const ptr of [poly, digits, fourier, other, acc]) wasm.dealloc(ptr);
}
