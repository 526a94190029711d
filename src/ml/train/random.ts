// A small seeded pseudo-random generator for the trainers. Training must be reproducible (the
// same seed gives the same model on every platform), so nothing here touches Math.random.

/** A source of uniform floats in [0, 1). */
export type RandomSource = () => number;

/**
 * xoshiro128** (Blackman & Vigna) seeded through splitmix32, returning floats in [0, 1) with 32
 * random bits. Any 32-bit integer is a valid seed; equal seeds give equal sequences.
 */
export function seededRandom(seed: number): RandomSource {
  // splitmix32 spreads a possibly tiny seed (0, 1, 2…) over the 128-bit state, which must not be all zero.
  let mixState = seed >>> 0;
  const nextSplitmix = (): number => {
    mixState = (mixState + 0x9e3779b9) >>> 0;
    let z = mixState;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let s0 = nextSplitmix();
  let s1 = nextSplitmix();
  let s2 = nextSplitmix();
  let s3 = nextSplitmix();
  if ((s0 | s1 | s2 | s3) === 0) s0 = 1;

  return () => {
    const result = Math.imul(rotateLeft(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotateLeft(s3, 11);
    return result / 4294967296;
  };
}

function rotateLeft(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** A uniform integer in [0, n). */
export function randomIndex(random: RandomSource, n: number): number {
  return Math.min(n - 1, Math.floor(random() * n));
}

/** Shuffles `items` in place (Fisher–Yates) and returns it. */
export function shuffleInPlace<T extends Int32Array | number[]>(items: T, random: RandomSource): T {
  for (let i = items.length - 1; i > 0; i--) {
    const j = randomIndex(random, i + 1);
    const tmp = items[i]!;
    items[i] = items[j]!;
    items[j] = tmp;
  }
  return items;
}

/** A 32-bit seed drawn from `random`, to seed an independent child generator (one per tree, say). */
export function deriveSeed(random: RandomSource): number {
  return Math.floor(random() * 4294967296) >>> 0;
}
