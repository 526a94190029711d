// Exports of the random layer: the ChaCha20 keystream (csprng.ts) and the samplers built on it
// (sampling.ts). Pointers are byte offsets into linear memory; u64/i64 values cross as BigInt.

import { CHACHA20_STREAM_BYTES, chacha20Blocks4, streamSkipToBlock } from "./csprng";

export { chacha20Block, streamInit, streamFill, streamNextU64, streamNextU32 } from "./csprng";
export {
  sampleUniformTorus,
  sampleBinary,
  sampleTUniform,
  addTUniformNoise,
  tuniformVariance,
} from "./sampling";

/** Bytes to allocate for one ChaCha20 stream (`CHACHA20_STREAM_BYTES`). */
export function chacha20StreamBytes(): usize {
  return CHACHA20_STREAM_BYTES;
}

/** Test hook: the four-way block function (256 bytes: blocks counter..counter+3) into `out`. */
export function testChacha20Blocks4(key: usize, counter: u32, nonce: usize, out: usize): void {
  chacha20Blocks4(key, counter, nonce, out);
}

/** Test hook: moves a stream forward to block `block` (a multiple of 4), never backward. */
export function testStreamSkipToBlock(stream: usize, block: u64): void {
  streamSkipToBlock(stream, block);
}
