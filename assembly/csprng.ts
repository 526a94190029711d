// The engine's only source of randomness: the ChaCha20 stream cipher (RFC 8439, §2.3) used as a
// deterministic random bit generator. A 32-byte seed (drawn by the host from the operating
// system's CSPRNG) is the ChaCha20 key; the 96-bit nonce separates independent streams under one
// seed (e.g. the mask stream of each key or list); the keystream is the random output.
//
// The ChaCha20 state is sixteen 32-bit words, read and written little-endian (RFC 8439 §2.3):
//
//     words 0..3    the constants "expand 32-byte k"
//     words 4..11   the 256-bit key
//     word  12      the 32-bit block counter
//     words 13..15  the 96-bit nonce
//
// A block is the state after 20 rounds (10 "double rounds": a column round then a diagonal round
// of quarter-rounds), plus the initial state, serialized as 64 bytes.
//
// Two implementations of the block function live here: `chacha20Block`, the scalar textbook
// version, one block at a time; and `chacha20Blocks4`, four consecutive blocks at once, one per
// 32-bit lane of the SIMD vectors. The tests check that they agree.

/** The four constant words "expand 32-byte k" (RFC 8439 §2.3), state words 0..3. */
const SIGMA_0: u32 = 0x61707865;
const SIGMA_1: u32 = 0x3320646e;
const SIGMA_2: u32 = 0x79622d32;
const SIGMA_3: u32 = 0x6b206574;

/** Bytes in one ChaCha20 block. */
export const CHACHA20_BLOCK_BYTES: usize = 64;

/** Bytes produced by one call of the four-way block function: blocks c, c+1, c+2, c+3. */
export const CHACHA20_CHUNK_BYTES: usize = 4 * CHACHA20_BLOCK_BYTES;

/** A stream may use every value of its 32-bit block counter once: 2^32 blocks = 256 GiB. */
const BLOCKS_PER_STREAM: u64 = 1 << 32;

// ---------------------------------------------------------------------------------------------
// The scalar block function.

/** The initial state word `i` for the given key (32 bytes), block counter and nonce (12 bytes). */
function initialStateWord(i: i32, key: usize, counter: u32, nonce: usize): u32 {
  if (i == 0) return SIGMA_0;
  if (i == 1) return SIGMA_1;
  if (i == 2) return SIGMA_2;
  if (i == 3) return SIGMA_3;
  if (i < 12) return load<u32>(key + ((i - 4) << 2));
  if (i == 12) return counter;
  return load<u32>(nonce + ((i - 13) << 2));
}

/**
 * The ChaCha quarter-round (RFC 8439 §2.1) on the state words a, b, c, d of the 16-word state at
 * `x`:  a += b; d ^= a; d <<<= 16;  c += d; b ^= c; b <<<= 12;
 *       a += b; d ^= a; d <<<= 8;   c += d; b ^= c; b <<<= 7.
 */
function quarterRound(x: usize, a: i32, b: i32, c: i32, d: i32): void {
  let wa = load<u32>(x + (a << 2));
  let wb = load<u32>(x + (b << 2));
  let wc = load<u32>(x + (c << 2));
  let wd = load<u32>(x + (d << 2));
  wa += wb; wd = rotl<u32>(wd ^ wa, 16);
  wc += wd; wb = rotl<u32>(wb ^ wc, 12);
  wa += wb; wd = rotl<u32>(wd ^ wa, 8);
  wc += wd; wb = rotl<u32>(wb ^ wc, 7);
  store<u32>(x + (a << 2), wa);
  store<u32>(x + (b << 2), wb);
  store<u32>(x + (c << 2), wc);
  store<u32>(x + (d << 2), wd);
}

/**
 * The ChaCha20 block function (RFC 8439 §2.3): writes the 64-byte block number `counter` of the
 * keystream for `key` (32 bytes) and `nonce` (12 bytes) to `out`. `out` is used as the working
 * state, so it must not overlap `key` or `nonce`.
 */
export function chacha20Block(key: usize, counter: u32, nonce: usize, out: usize): void {
  for (let i = 0; i < 16; i++) store<u32>(out + (i << 2), initialStateWord(i, key, counter, nonce));
  for (let doubleRound = 0; doubleRound < 10; doubleRound++) {
    // Column round.
    quarterRound(out, 0, 4, 8, 12);
    quarterRound(out, 1, 5, 9, 13);
    quarterRound(out, 2, 6, 10, 14);
    quarterRound(out, 3, 7, 11, 15);
    // Diagonal round.
    quarterRound(out, 0, 5, 10, 15);
    quarterRound(out, 1, 6, 11, 12);
    quarterRound(out, 2, 7, 8, 13);
    quarterRound(out, 3, 4, 9, 14);
  }
  // Feed-forward: adding the initial state makes the block function non-invertible.
  for (let i = 0; i < 16; i++) {
    const p = out + (i << 2);
    store<u32>(p, load<u32>(p) + initialStateWord(i, key, counter, nonce));
  }
}

// ---------------------------------------------------------------------------------------------
// The four-way block function: the same computation on four blocks at once. Vector `xi` holds
// state word i of blocks c, c+1, c+2, c+3 in its lanes 0..3, so every step of the quarter-round
// is one SIMD instruction for all four blocks.

/**
 * Rotates each 32-bit lane of `v` left by `n` bits (n is a constant at every call site). Shifts
 * measured slightly faster in V8 than byte shuffles for n = 8 and 16, so all four use them.
 */
// @ts-ignore: decorator
@inline function rotlLanes(v: v128, n: i32): v128 {
  return v128.or(i32x4.shl(v, n), i32x4.shr_u(v, 32 - n));
}

/**
 * Stores four consecutive state words of four blocks. On entry lane j of `a`, `b`, `c`, `d` is
 * word w, w+1, w+2, w+3 of block j; a 4x4 transpose turns this into block j's words w..w+3, which
 * go to `out + 64 j` (`out` already points at word w of block 0).
 */
// @ts-ignore: decorator
@inline function storeTransposed(out: usize, a: v128, b: v128, c: v128, d: v128): void {
  const ab01 = i32x4.shuffle(a, b, 0, 4, 1, 5); // a0 b0 a1 b1
  const ab23 = i32x4.shuffle(a, b, 2, 6, 3, 7); // a2 b2 a3 b3
  const cd01 = i32x4.shuffle(c, d, 0, 4, 1, 5); // c0 d0 c1 d1
  const cd23 = i32x4.shuffle(c, d, 2, 6, 3, 7); // c2 d2 c3 d3
  v128.store(out, i64x2.shuffle(ab01, cd01, 0, 2)); //       block 0: a0 b0 c0 d0
  v128.store(out + 64, i64x2.shuffle(ab01, cd01, 1, 3)); //  block 1: a1 b1 c1 d1
  v128.store(out + 128, i64x2.shuffle(ab23, cd23, 0, 2)); // block 2: a2 b2 c2 d2
  v128.store(out + 192, i64x2.shuffle(ab23, cd23, 1, 3)); // block 3: a3 b3 c3 d3
}

/**
 * Writes the 256 bytes of keystream blocks `counter`, `counter + 1`, `counter + 2`, `counter + 3`
 * (counters taken mod 2^32, as in `chacha20Block`) for `key` and `nonce` to `out`, in order.
 * Same output as four calls of `chacha20Block`.
 */
export function chacha20Blocks4(key: usize, counter: u32, nonce: usize, out: usize): void {
  const counters = i32x4.add(i32x4.splat(counter), i32x4(0, 1, 2, 3));
  let x0 = i32x4.splat(SIGMA_0);
  let x1 = i32x4.splat(SIGMA_1);
  let x2 = i32x4.splat(SIGMA_2);
  let x3 = i32x4.splat(SIGMA_3);
  let x4 = v128.load32_splat(key);
  let x5 = v128.load32_splat(key, 4);
  let x6 = v128.load32_splat(key, 8);
  let x7 = v128.load32_splat(key, 12);
  let x8 = v128.load32_splat(key, 16);
  let x9 = v128.load32_splat(key, 20);
  let x10 = v128.load32_splat(key, 24);
  let x11 = v128.load32_splat(key, 28);
  let x12 = counters;
  let x13 = v128.load32_splat(nonce);
  let x14 = v128.load32_splat(nonce, 4);
  let x15 = v128.load32_splat(nonce, 8);

  for (let doubleRound = 0; doubleRound < 10; doubleRound++) {
    // Column round: quarter-rounds on (0 4 8 12), (1 5 9 13), (2 6 10 14), (3 7 11 15).
    x0 = i32x4.add(x0, x4); x12 = rotlLanes(v128.xor(x12, x0), 16);
    x8 = i32x4.add(x8, x12); x4 = rotlLanes(v128.xor(x4, x8), 12);
    x0 = i32x4.add(x0, x4); x12 = rotlLanes(v128.xor(x12, x0), 8);
    x8 = i32x4.add(x8, x12); x4 = rotlLanes(v128.xor(x4, x8), 7);

    x1 = i32x4.add(x1, x5); x13 = rotlLanes(v128.xor(x13, x1), 16);
    x9 = i32x4.add(x9, x13); x5 = rotlLanes(v128.xor(x5, x9), 12);
    x1 = i32x4.add(x1, x5); x13 = rotlLanes(v128.xor(x13, x1), 8);
    x9 = i32x4.add(x9, x13); x5 = rotlLanes(v128.xor(x5, x9), 7);

    x2 = i32x4.add(x2, x6); x14 = rotlLanes(v128.xor(x14, x2), 16);
    x10 = i32x4.add(x10, x14); x6 = rotlLanes(v128.xor(x6, x10), 12);
    x2 = i32x4.add(x2, x6); x14 = rotlLanes(v128.xor(x14, x2), 8);
    x10 = i32x4.add(x10, x14); x6 = rotlLanes(v128.xor(x6, x10), 7);

    x3 = i32x4.add(x3, x7); x15 = rotlLanes(v128.xor(x15, x3), 16);
    x11 = i32x4.add(x11, x15); x7 = rotlLanes(v128.xor(x7, x11), 12);
    x3 = i32x4.add(x3, x7); x15 = rotlLanes(v128.xor(x15, x3), 8);
    x11 = i32x4.add(x11, x15); x7 = rotlLanes(v128.xor(x7, x11), 7);

    // Diagonal round: quarter-rounds on (0 5 10 15), (1 6 11 12), (2 7 8 13), (3 4 9 14).
    x0 = i32x4.add(x0, x5); x15 = rotlLanes(v128.xor(x15, x0), 16);
    x10 = i32x4.add(x10, x15); x5 = rotlLanes(v128.xor(x5, x10), 12);
    x0 = i32x4.add(x0, x5); x15 = rotlLanes(v128.xor(x15, x0), 8);
    x10 = i32x4.add(x10, x15); x5 = rotlLanes(v128.xor(x5, x10), 7);

    x1 = i32x4.add(x1, x6); x12 = rotlLanes(v128.xor(x12, x1), 16);
    x11 = i32x4.add(x11, x12); x6 = rotlLanes(v128.xor(x6, x11), 12);
    x1 = i32x4.add(x1, x6); x12 = rotlLanes(v128.xor(x12, x1), 8);
    x11 = i32x4.add(x11, x12); x6 = rotlLanes(v128.xor(x6, x11), 7);

    x2 = i32x4.add(x2, x7); x13 = rotlLanes(v128.xor(x13, x2), 16);
    x8 = i32x4.add(x8, x13); x7 = rotlLanes(v128.xor(x7, x8), 12);
    x2 = i32x4.add(x2, x7); x13 = rotlLanes(v128.xor(x13, x2), 8);
    x8 = i32x4.add(x8, x13); x7 = rotlLanes(v128.xor(x7, x8), 7);

    x3 = i32x4.add(x3, x4); x14 = rotlLanes(v128.xor(x14, x3), 16);
    x9 = i32x4.add(x9, x14); x4 = rotlLanes(v128.xor(x4, x9), 12);
    x3 = i32x4.add(x3, x4); x14 = rotlLanes(v128.xor(x14, x3), 8);
    x9 = i32x4.add(x9, x14); x4 = rotlLanes(v128.xor(x4, x9), 7);
  }

  // Feed-forward: add the initial state (reloaded rather than kept, to spare vector registers).
  x0 = i32x4.add(x0, i32x4.splat(SIGMA_0));
  x1 = i32x4.add(x1, i32x4.splat(SIGMA_1));
  x2 = i32x4.add(x2, i32x4.splat(SIGMA_2));
  x3 = i32x4.add(x3, i32x4.splat(SIGMA_3));
  x4 = i32x4.add(x4, v128.load32_splat(key));
  x5 = i32x4.add(x5, v128.load32_splat(key, 4));
  x6 = i32x4.add(x6, v128.load32_splat(key, 8));
  x7 = i32x4.add(x7, v128.load32_splat(key, 12));
  x8 = i32x4.add(x8, v128.load32_splat(key, 16));
  x9 = i32x4.add(x9, v128.load32_splat(key, 20));
  x10 = i32x4.add(x10, v128.load32_splat(key, 24));
  x11 = i32x4.add(x11, v128.load32_splat(key, 28));
  x12 = i32x4.add(x12, counters);
  x13 = i32x4.add(x13, v128.load32_splat(nonce));
  x14 = i32x4.add(x14, v128.load32_splat(nonce, 4));
  x15 = i32x4.add(x15, v128.load32_splat(nonce, 8));

  storeTransposed(out, x0, x1, x2, x3);
  storeTransposed(out + 16, x4, x5, x6, x7);
  storeTransposed(out + 32, x8, x9, x10, x11);
  storeTransposed(out + 48, x12, x13, x14, x15);
}

// ---------------------------------------------------------------------------------------------
// The keystream: a ChaCha20 key and nonce, the next block counter, and a buffer of 256 bytes of
// keystream (one four-way chunk) not yet handed out.

/**
 * Stream state in linear memory, followed by its 256-byte keystream buffer (at offset 64, so the
 * buffer is 16-byte aligned when the stream is). The host allocates `CHACHA20_STREAM_BYTES` and
 * should wipe them before freeing: the key and buffer are secret.
 */
// @ts-ignore: decorator
@unmanaged
class ChaCha20Stream {
  /** The 256-bit key as eight little-endian words (state words 4..11). */
  key0: u32; key1: u32; key2: u32; key3: u32; key4: u32; key5: u32; key6: u32; key7: u32;
  /** The 96-bit nonce as three words (state words 13..15): the domain separator. */
  nonce0: u32; nonce1: u32; nonce2: u32;
  /** Bytes of the buffer already handed out; `CHACHA20_CHUNK_BYTES` when it is empty. */
  used: u32;
  /** The counter of the next block to generate; a multiple of 4, at most 2^32. */
  nextBlock: u64;
  /** Padding so that the buffer starts 16-byte aligned. */
  reserved: u64;
}

/** Offset of the keystream buffer inside a stream. */
const BUFFER_OFFSET: usize = offsetof<ChaCha20Stream>();

/** Bytes the host must allocate for one stream (state + buffer). */
export const CHACHA20_STREAM_BYTES: usize = BUFFER_OFFSET + CHACHA20_CHUNK_BYTES;

// @ts-ignore: decorator
@inline function keyOf(stream: usize): usize {
  return stream + offsetof<ChaCha20Stream>("key0");
}

// @ts-ignore: decorator
@inline function nonceOf(stream: usize): usize {
  return stream + offsetof<ChaCha20Stream>("nonce0");
}

// @ts-ignore: decorator
@inline function bufferOf(stream: usize): usize {
  return stream + BUFFER_OFFSET;
}

/**
 * Starts a stream: key = the 32 bytes at `seed`, nonce = (nonce0, nonce1, nonce2), block counter
 * 0. Distinct nonces under one seed give independent streams.
 */
export function streamInit(stream: usize, seed: usize, nonce0: u32, nonce1: u32, nonce2: u32): void {
  const s = changetype<ChaCha20Stream>(stream);
  memory.copy(keyOf(stream), seed, 32);
  s.nonce0 = nonce0;
  s.nonce1 = nonce1;
  s.nonce2 = nonce2;
  s.used = <u32>CHACHA20_CHUNK_BYTES;
  s.nextBlock = 0;
  s.reserved = 0;
}

/**
 * Writes the next four blocks of the stream to `out` (256 bytes). Traps rather than let the block
 * counter wrap: a wrapped counter would repeat keystream.
 */
function nextChunk(stream: usize, out: usize): void {
  const s = changetype<ChaCha20Stream>(stream);
  const block = s.nextBlock;
  assert(block + 4 <= BLOCKS_PER_STREAM, "ChaCha20 stream exhausted (2^32 blocks)");
  chacha20Blocks4(keyOf(stream), <u32>block, nonceOf(stream), out);
  s.nextBlock = block + 4;
}

/**
 * Writes the next `bytes` bytes of keystream to `dst`. The output depends only on how many bytes
 * were drawn before, not on how the requests were split. When the buffer is empty, whole 256-byte
 * chunks are generated straight into `dst`.
 */
export function streamFill(stream: usize, dst: usize, bytes: usize): void {
  const s = changetype<ChaCha20Stream>(stream);
  const buffer = bufferOf(stream);
  while (bytes > 0) {
    if (<usize>s.used == CHACHA20_CHUNK_BYTES) {
      if (bytes >= CHACHA20_CHUNK_BYTES) {
        nextChunk(stream, dst);
        dst += CHACHA20_CHUNK_BYTES;
        bytes -= CHACHA20_CHUNK_BYTES;
        continue;
      }
      nextChunk(stream, buffer);
      s.used = 0;
    }
    const available = CHACHA20_CHUNK_BYTES - <usize>s.used;
    const n = bytes < available ? bytes : available;
    memory.copy(dst, buffer + <usize>s.used, n);
    s.used += <u32>n;
    dst += n;
    bytes -= n;
  }
}

/** Eight bytes of scratch for reads that straddle two chunks (wiped after use). */
const STRADDLE_SCRATCH: usize = memory.data(8, 8);

/** The next 8 keystream bytes as a little-endian u64. */
export function streamNextU64(stream: usize): u64 {
  const s = changetype<ChaCha20Stream>(stream);
  if (s.used == <u32>CHACHA20_CHUNK_BYTES) {
    nextChunk(stream, bufferOf(stream));
    s.used = 0;
  }
  const used = <usize>s.used;
  if (used + 8 <= CHACHA20_CHUNK_BYTES) {
    s.used = <u32>(used + 8);
    return load<u64>(bufferOf(stream) + used);
  }
  streamFill(stream, STRADDLE_SCRATCH, 8);
  const value = load<u64>(STRADDLE_SCRATCH);
  store<u64>(STRADDLE_SCRATCH, 0);
  return value;
}

/** The next 4 keystream bytes as a little-endian u32. */
export function streamNextU32(stream: usize): u32 {
  const s = changetype<ChaCha20Stream>(stream);
  if (s.used == <u32>CHACHA20_CHUNK_BYTES) {
    nextChunk(stream, bufferOf(stream));
    s.used = 0;
  }
  const used = <usize>s.used;
  if (used + 4 <= CHACHA20_CHUNK_BYTES) {
    s.used = <u32>(used + 4);
    return load<u32>(bufferOf(stream) + used);
  }
  streamFill(stream, STRADDLE_SCRATCH, 4);
  const value = load<u32>(STRADDLE_SCRATCH);
  store<u64>(STRADDLE_SCRATCH, 0);
  return value;
}

/**
 * Discards keystream up to block `block` (a multiple of 4, not before the current position): the
 * next byte drawn is the first byte of that block. Only moves forward, so it never repeats
 * keystream; it lets tests reach the end of the counter range.
 */
export function streamSkipToBlock(stream: usize, block: u64): void {
  const s = changetype<ChaCha20Stream>(stream);
  assert(block % 4 == 0 && block >= s.nextBlock && block <= BLOCKS_PER_STREAM, "invalid skip");
  s.nextBlock = block;
  s.used = <u32>CHACHA20_CHUNK_BYTES;
}
