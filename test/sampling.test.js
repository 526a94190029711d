// The samplers (assembly/sampling.ts): TUniform(b) noise, binary keys, uniform torus masks.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { instantiateEngine } from "blindml/engine";

const wasm = await instantiateEngine();

/** A stream whose 32-byte seed is the byte `seedByte` repeated, with nonce words (n0, 0, 0). */
function newStream(seedByte, n0 = 0) {
  const stream = wasm.alloc(wasm.chacha20StreamBytes());
  const seed = wasm.alloc(32);
  new Uint8Array(wasm.memory.buffer, seed, 32).fill(seedByte);
  wasm.streamInit(stream, seed, n0, 0, 0);
  wasm.dealloc(seed);
  return stream;
}

/** `count` TUniform(b) samples from `addTUniformNoise` over zeros, as BigInts. */
function tuniformSamples(stream, count, b) {
  const dst = wasm.allocZeroed(count * 8);
  wasm.addTUniformNoise(stream, dst, count, b);
  const samples = new BigInt64Array(wasm.memory.buffer, dst, count).slice();
  wasm.dealloc(dst);
  return samples;
}

/** Sample mean and variance (as numbers) of BigInt samples. */
function moments(samples) {
  let sum = 0;
  let sumSquares = 0;
  for (const s of samples) {
    const x = Number(s);
    sum += x;
    sumSquares += x * x;
  }
  const mean = sum / samples.length;
  return { mean, variance: sumSquares / samples.length - mean * mean };
}

const expectedVariance = (b) => (2 ** (2 * b + 1) + 1) / 6;

for (const b of [2, 3]) {
  test(`TUniform(${b}): support, end points at half frequency, frequencies, mean and variance`, () => {
    const n = 200000;
    const bound = 2 ** b;
    const samples = tuniformSamples(newStream(b), n, b);
    const counts = new Map();
    for (const s of samples) {
      const v = Number(s);
      assert.ok(Number.isInteger(v) && v >= -bound && v <= bound, `sample ${v} outside [-${bound}, ${bound}]`);
      counts.set(v, (counts.get(v) ?? 0) + 1);
    }
    assert.is(counts.size, 2 * bound + 1, "every value of [-2^b, 2^b] occurs");

    // P(v) = 2^-(b+1) inside, 2^-(b+2) at the two ends.
    const probability = (v) => (Math.abs(v) === bound ? 2 ** -(b + 2) : 2 ** -(b + 1));
    let chiSquare = 0;
    for (let v = -bound; v <= bound; v++) {
      const expected = n * probability(v);
      chiSquare += ((counts.get(v) ?? 0) - expected) ** 2 / expected;
    }
    // 2^(b+1) degrees of freedom (8 or 16); a value this large has probability below 1e-6.
    assert.ok(chiSquare < (b === 2 ? 40 : 55), `chi-square ${chiSquare}`);

    const inner = (counts.get(0) + counts.get(1) + counts.get(-1)) / 3;
    const ends = (counts.get(bound) + counts.get(-bound)) / 2;
    assert.ok(Math.abs(ends / inner - 0.5) < 0.05, `end/inner frequency ratio ${ends / inner}`);

    const { mean, variance } = moments(samples);
    assert.ok(Math.abs(mean) < 0.05, `mean ${mean}`);
    assert.ok(Math.abs(variance / expectedVariance(b) - 1) < 0.02, `variance ${variance}`);
    assert.is(wasm.tuniformVariance(b), expectedVariance(b));
  });
}

for (const b of [17, 30, 31, 45, 61]) {
  test(`TUniform(${b}): range, mean and variance`, () => {
    const n = 100000;
    const bound = 1n << BigInt(b);
    const samples = tuniformSamples(newStream(b), n, b);
    for (const s of samples) assert.ok(s >= -bound && s <= bound, `sample ${s} outside [-2^${b}, 2^${b}]`);
    const { mean, variance } = moments(samples);
    const sigma = Math.sqrt(expectedVariance(b));
    assert.ok(Math.abs(mean) < (5 * sigma) / Math.sqrt(n), `mean ${mean}`);
    assert.ok(Math.abs(variance / expectedVariance(b) - 1) < 0.02, `variance ${variance}`);
    assert.ok(Math.abs(wasm.tuniformVariance(b) / expectedVariance(b) - 1) < 1e-12);
  });
}

test("addTUniformNoise adds (mod 2^64) the same samples as repeated sampleTUniform", () => {
  for (const b of [1, 3, 29, 30, 31, 45]) {
    const count = 1003; // not a multiple of the vector width or the batch size: exercises the tails
    const dst = wasm.alloc(count * 8);
    const initial = new BigUint64Array(count).map((_, i) => (BigInt(i) * 0x9e3779b97f4a7c15n) & (2n ** 64n - 1n));
    initial[0] = 2n ** 64n - 1n; // adding a positive sample must wrap
    initial[1] = 0n; // adding a negative sample must wrap
    new BigUint64Array(wasm.memory.buffer, dst, count).set(initial);
    wasm.addTUniformNoise(newStream(7, b), dst, count, b);
    const after = new BigUint64Array(wasm.memory.buffer, dst, count).slice();
    const oneByOne = newStream(7, b);
    for (let i = 0; i < count; i++) {
      const sample = wasm.sampleTUniform(oneByOne, b);
      assert.is(after[i], BigInt.asUintN(64, initial[i] + sample), `b = ${b}, i = ${i}`);
    }
    wasm.dealloc(dst);
  }
});

test("TUniform rejects bounds outside 1..61", () => {
  const stream = newStream(1);
  assert.throws(() => wasm.sampleTUniform(stream, 0));
  assert.throws(() => wasm.sampleTUniform(stream, 62));
  assert.throws(() => wasm.addTUniformNoise(stream, wasm.alloc(8), 1, 62));
});

test("sampleBinary: only 0 and 1, mean 1/2, one keystream bit per output", () => {
  const n = 100000;
  const dst = wasm.alloc(n * 8);
  wasm.sampleBinary(newStream(42), dst, n);
  const bits = new BigUint64Array(wasm.memory.buffer, dst, n).slice();
  let ones = 0;
  for (const bit of bits) {
    assert.ok(bit === 0n || bit === 1n, `value ${bit}`);
    ones += Number(bit);
  }
  assert.ok(Math.abs(ones / n - 0.5) < 0.01, `mean ${ones / n}`); // 6 standard deviations

  // Output j of each group of 64 is bit j of the next keystream u64.
  const reference = newStream(42);
  for (let word = 0; word < 40; word++) {
    const w = BigInt.asUintN(64, wasm.streamNextU64(reference));
    for (let j = 0; j < 64; j++) assert.is(bits[64 * word + j], (w >> BigInt(j)) & 1n);
  }
  wasm.dealloc(dst);
});

test("sampleUniformTorus: the keystream as u64, top bit 1 half of the time", () => {
  const n = 100000;
  const dst = wasm.alloc(n * 8);
  wasm.sampleUniformTorus(newStream(9), dst, n);
  const values = new BigUint64Array(wasm.memory.buffer, dst, n).slice();
  let top = 0;
  for (const v of values) top += Number(v >> 63n);
  assert.ok(Math.abs(top / n - 0.5) < 0.01, `top-bit frequency ${top / n}`);
  assert.ok(new Set(values).size === n, "no repeated 64-bit value");

  const reference = newStream(9);
  for (let i = 0; i < 100; i++) assert.is(values[i], BigInt.asUintN(64, wasm.streamNextU64(reference)));
  wasm.dealloc(dst);
});

test.run();
