// ChaCha20 (assembly/csprng.ts): RFC 8439 test vectors, the four-way block function against the
// scalar one, and the keystream object's bookkeeping.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { instantiateEngine } from "blindml/engine";

const wasm = await instantiateEngine();

const hexToBytes = (hex) => Uint8Array.from(hex.replace(/[^0-9a-f]/gi, "").match(/../g), (h) => parseInt(h, 16));
const toHex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

/** Copies `bytes` into freshly allocated wasm memory and returns the pointer. */
function put(bytes) {
  const ptr = wasm.alloc(Math.max(bytes.length, 1));
  new Uint8Array(wasm.memory.buffer, ptr, bytes.length).set(bytes);
  return ptr;
}

/** A copy of `length` bytes of wasm memory at `ptr`. */
const read = (ptr, length) => new Uint8Array(wasm.memory.buffer, ptr, length).slice();

/** The key of RFC 8439 §2.3.2 and §2.4.2: bytes 00 01 02 … 1f. */
const RFC_KEY = Uint8Array.from({ length: 32 }, (_, i) => i);

/** A stream keyed with `key`, nonce words (n0, n1, n2). */
function newStream(key, n0 = 0, n1 = 0, n2 = 0) {
  const stream = wasm.alloc(wasm.chacha20StreamBytes());
  const seed = put(key);
  wasm.streamInit(stream, seed, n0, n1, n2);
  wasm.dealloc(seed);
  return stream;
}

/** The next `length` keystream bytes of `stream`. */
function draw(stream, length) {
  const dst = wasm.alloc(Math.max(length, 1));
  wasm.streamFill(stream, dst, length);
  const bytes = read(dst, length);
  wasm.dealloc(dst);
  return bytes;
}

test("RFC 8439 §2.3.2: the block function test vector", () => {
  const key = put(RFC_KEY);
  const nonce = put(hexToBytes("00 00 00 09 00 00 00 4a 00 00 00 00"));
  const out = wasm.alloc(64);
  wasm.chacha20Block(key, 1, nonce, out);
  // RFC 8439 §2.3.2, "Serialized Block".
  const expected =
    "10 f1 e7 e4 d1 3b 59 15 50 0f dd 1f a3 20 71 c4" +
    "c7 d1 f4 c7 33 c0 68 03 04 22 aa 9a c3 d4 6c 4e" +
    "d2 82 64 46 07 9f aa 09 14 c2 d7 05 d9 8b 02 a2" +
    "b5 12 9c d1 de 16 4e b9 cb d0 83 e8 a2 50 3c 4e";
  assert.is(toHex(read(out, 64)), toHex(hexToBytes(expected)));

  // The four-way function's lane 0 must give the same block (and lane 1 block 2, etc.).
  const out4 = wasm.alloc(256);
  wasm.testChacha20Blocks4(key, 1, nonce, out4);
  assert.is(toHex(read(out4, 64)), toHex(hexToBytes(expected)));
  [key, nonce, out, out4].forEach((p) => wasm.dealloc(p));
});

test("RFC 8439 §2.4.2: the sunscreen keystream (blocks 1 and 2) through a stream", () => {
  // Nonce bytes 00 00 00 00 00 00 00 4a 00 00 00 00 are the little-endian words (0, 0x4a000000, 0).
  const stream = newStream(RFC_KEY, 0, 0x4a000000, 0);
  draw(stream, 64); // the RFC starts at block counter 1; the stream starts at 0
  const plaintext = new TextEncoder().encode(
    "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
  );
  const keystream = draw(stream, plaintext.length);
  const ciphertext = plaintext.map((p, i) => p ^ keystream[i]);
  // RFC 8439 §2.4.2, "Ciphertext Sunscreen".
  const expected =
    "6e 2e 35 9a 25 68 f9 80 41 ba 07 28 dd 0d 69 81" +
    "e9 7e 7a ec 1d 43 60 c2 0a 27 af cc fd 9f ae 0b" +
    "f9 1b 65 c5 52 47 33 ab 8f 59 3d ab cd 62 b3 57" +
    "16 39 d6 24 e6 51 52 ab 8f 53 0c 35 9f 08 61 d8" +
    "07 ca 0d bf 50 0d 6a 61 56 a3 8e 08 8a 22 b6 5e" +
    "52 bc 51 4d 16 cc f8 06 81 8c e9 1a b7 79 37 36" +
    "5a f9 0b bf 74 a3 5b e6 b4 0b 8e ed f2 78 5e 42" +
    "87 4d";
  assert.is(toHex(ciphertext), toHex(hexToBytes(expected)));
  wasm.dealloc(stream);
});

test("the four-way block function equals four scalar blocks, for many keys, nonces and counters", () => {
  const key = wasm.alloc(32);
  const nonce = wasm.alloc(12);
  const scalar = wasm.alloc(256);
  const fourWay = wasm.alloc(256);
  const counters = [0, 1, 2, 3, 4, 5, 255, 256, 0x7fffffff, 0x80000000, 0xfffffffb, 0xfffffffc];
  for (let i = 0; i < 200; i++) counters.push((Math.random() * 2 ** 32) >>> 0);
  let seed = 1;
  const nextByte = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
  for (const counter of counters) {
    new Uint8Array(wasm.memory.buffer, key, 32).forEach((_, i, a) => (a[i] = nextByte()));
    new Uint8Array(wasm.memory.buffer, nonce, 12).forEach((_, i, a) => (a[i] = nextByte()));
    for (let j = 0; j < 4; j++) wasm.chacha20Block(key, (counter + j) >>> 0, nonce, scalar + 64 * j);
    wasm.testChacha20Blocks4(key, counter, nonce, fourWay);
    assert.is(toHex(read(fourWay, 256)), toHex(read(scalar, 256)), `counter ${counter}`);
  }
  [key, nonce, scalar, fourWay].forEach((p) => wasm.dealloc(p));
});

test("the stream is the block sequence 0, 1, 2, … of its key and nonce", () => {
  const key = Uint8Array.from({ length: 32 }, (_, i) => (7 * i + 3) & 0xff);
  const stream = newStream(key, 11, 22, 33);
  const got = draw(stream, 64 * 9);
  const keyPtr = put(key);
  const nonce = put(new Uint8Array(new Uint32Array([11, 22, 33]).buffer));
  const block = wasm.alloc(64);
  for (let c = 0; c < 9; c++) {
    wasm.chacha20Block(keyPtr, c, nonce, block);
    assert.is(toHex(got.subarray(64 * c, 64 * c + 64)), toHex(read(block, 64)), `block ${c}`);
  }
  [stream, keyPtr, nonce, block].forEach((p) => wasm.dealloc(p));
});

test("streamFill gives the same bytes however the requests are split", () => {
  const key = Uint8Array.from({ length: 32 }, (_, i) => 255 - i);
  const total = 20000;
  const reference = draw(newStream(key, 5, 6, 7), total);
  const splits = [
    [1],
    [7],
    [64],
    [255],
    [256],
    [1000],
    [3, 256, 1, 512, 255, 1000, 64, 7],
    [257, 511, 1, 1024, 300],
  ];
  for (const pattern of splits) {
    const stream = newStream(key, 5, 6, 7);
    const parts = [];
    let produced = 0;
    for (let k = 0; produced < total; k++) {
      const n = Math.min(pattern[k % pattern.length], total - produced);
      parts.push(draw(stream, n));
      produced += n;
    }
    const joined = new Uint8Array(total);
    let at = 0;
    for (const part of parts) (joined.set(part, at), (at += part.length));
    assert.is(toHex(joined), toHex(reference), `split pattern ${pattern}`);
    wasm.dealloc(stream);
  }
});

test("streamNextU64 / streamNextU32 read the keystream little-endian, also across chunk edges", () => {
  const key = Uint8Array.from({ length: 32 }, (_, i) => i * 5);
  const reference = draw(newStream(key, 1, 2, 3), 4096);
  const view = new DataView(reference.buffer);
  const stream = newStream(key, 1, 2, 3);
  let at = 0;
  // Mix 1-byte fills, u32 and u64 reads so that some reads straddle two 256-byte chunks.
  const steps = ["u64", "u32", "byte", "u64", "u64", "u32", "byte", "byte", "byte", "u64"];
  for (let k = 0; at + 8 <= reference.length; k++) {
    const step = steps[k % steps.length];
    if (step === "u64") {
      // wasm i64 results arrive as signed BigInts; compare as unsigned.
      assert.is(BigInt.asUintN(64, wasm.streamNextU64(stream)), view.getBigUint64(at, true), `u64 at ${at}`);
      at += 8;
    } else if (step === "u32") {
      assert.is(wasm.streamNextU32(stream) >>> 0, view.getUint32(at, true), `u32 at ${at}`);
      at += 4;
    } else {
      assert.is(draw(stream, 1)[0], reference[at], `byte at ${at}`);
      at += 1;
    }
  }
  wasm.dealloc(stream);
});

test("distinct nonces and distinct seeds give distinct streams", () => {
  const key = Uint8Array.from({ length: 32 }, (_, i) => i);
  const otherKey = key.slice();
  otherKey[31] ^= 1;
  const streams = [
    newStream(key, 0, 0, 0),
    newStream(key, 1, 0, 0),
    newStream(key, 0, 1, 0),
    newStream(key, 0, 0, 1),
    newStream(otherKey, 0, 0, 0),
  ];
  const outputs = streams.map((s) => toHex(draw(s, 64)));
  assert.is(new Set(outputs).size, outputs.length);
  streams.forEach((s) => wasm.dealloc(s));
});

test("the stream traps instead of wrapping its 32-bit block counter", () => {
  const stream = newStream(new Uint8Array(32), 9, 9, 9);
  wasm.testStreamSkipToBlock(stream, 2n ** 32n - 4n);
  assert.is(draw(stream, 256).length, 256); // the last four blocks, counters 2^32-4 … 2^32-1
  assert.throws(() => draw(stream, 1));
  assert.throws(() => wasm.testStreamSkipToBlock(newStream(new Uint8Array(32)), 3n)); // not a multiple of 4
  wasm.dealloc(stream);
});

test.run();
