// Leveled operations on 2_2 (add, sub, negate, scalar multiply, plaintext add, trivial), a linear
// combination fed to a bootstrap, evaluators over exported expanded keys (same engine and a second
// engine, as workers do), and memory: freeing, no growth over many iterations, use after free.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { loadEngine, PARAMETER_SETS, makeEncoding, InvalidArgumentError } from "blindml/engine";
import { LONG, TEST_SEED, engine, clientKey, evaluator, evaluationKeys, prng, mod, throwsTyped } from "./helpers.js";

const P = 16;
const rand = prng(TEST_SEED ^ 0x0b5);
const MESSAGES = Array.from({ length: P }, (_, m) => m);

/** One encryption of every message (fresh per test). */
const encryptAll = () => MESSAGES.map((m) => clientKey("2_2").encrypt(m));

test("add and sub over every pair of messages, modulo p (with wrap-around)", () => {
  const ck = clientKey("2_2");
  const ev = evaluator("2_2");
  const cts = encryptAll();
  const wrong = [];
  for (const a of MESSAGES) {
    for (const b of MESSAGES) {
      const sum = ev.add(cts[a], cts[b]);
      const difference = ev.sub(cts[a], cts[b]);
      const gotSum = ck.decrypt(sum);
      const gotDifference = ck.decrypt(difference);
      if (gotSum !== (a + b) % P) wrong.push({ op: "add", a, b, got: gotSum });
      if (gotDifference !== mod(a - b, P)) wrong.push({ op: "sub", a, b, got: gotDifference });
      sum.free();
      difference.free();
    }
  }
  assert.equal(wrong, []);
  // The operands are left untouched.
  assert.equal(ck.decryptMany(cts), MESSAGES);
});

test("addAssign/subAssign work in place; a sum of 8 ciphertexts wraps modulo p", () => {
  const ck = clientKey("2_2");
  const ev = evaluator("2_2");
  const values = [15, 14, 13, 9, 7, 3, 1, 8];
  const cts = values.map((m) => ck.encrypt(m));
  const acc = cts[0].clone();
  for (const ct of cts.slice(1)) assert.is(ev.addAssign(acc, ct), acc);
  assert.is(ck.decrypt(acc), values.reduce((s, v) => s + v, 0) % P);
  ev.subAssign(acc, cts[0]);
  assert.is(ck.decrypt(acc), (values.reduce((s, v) => s + v, 0) - 15) % P);
  assert.is(ck.decrypt(cts[0]), 15);
});

test("negate, multiplyByInteger (positive, negative, zero, bigint, large) and addPlaintext", () => {
  const ck = clientKey("2_2");
  const ev = evaluator("2_2");
  const cts = encryptAll();
  const wrong = [];
  const check = (op, m, got, expected) => {
    if (got !== expected) wrong.push({ op, m, expected, got });
  };
  const scalars = [0, 1, 2, 3, 5, 7, 15, 16, 17, 1000, -1, -3, -16, -1001, 3n, -5n, 2n ** 64n + 3n];
  for (const m of MESSAGES) {
    check("negate", m, ck.decrypt(ev.negate(cts[m])), mod(-m, P));
    for (const c of scalars) {
      check(`× ${c}`, m, ck.decrypt(ev.multiplyByInteger(cts[m], c)), mod(Number(BigInt(m) * BigInt.asIntN(64, BigInt(c)) % 16n), P));
    }
    for (const k of [0, 1, 5, 15, 16, 31, -1, -7, 7n]) {
      check(`+ ${k}`, m, ck.decrypt(ev.addPlaintext(cts[m], k)), mod(m + Number(k), P));
    }
  }
  assert.equal(wrong, []);
  assert.equal(ck.decryptMany(cts), MESSAGES, "operands unchanged");
  throwsTyped(() => ev.multiplyByInteger(cts[1], 1.5), InvalidArgumentError, { message: /1\.5/ });
  throwsTyped(() => ev.addPlaintext(cts[1], 0.5), InvalidArgumentError);
});

test("trivial ciphertexts decrypt to their message, mix with encryptions and bootstrap", () => {
  const ck = clientKey("2_2");
  const ev = evaluator("2_2");
  const lut = ev.lookupTable((x) => (x * 3 + 1) % P);
  const wrong = [];
  for (const m of MESSAGES) {
    const t = ev.trivial(m);
    assert.is(t.keyKind, "big");
    if (ck.decrypt(t) !== m) wrong.push({ op: "trivial", m, got: ck.decrypt(t) });
    const sum = ev.add(t, ck.encrypt(5));
    if (ck.decrypt(sum) !== (m + 5) % P) wrong.push({ op: "trivial + 5", m, got: ck.decrypt(sum) });
    if (m % 4 === 0) {
      const out = ck.decrypt(ev.bootstrap(t, lut));
      if (out !== (m * 3 + 1) % P) wrong.push({ op: "bootstrap(trivial)", m, got: out });
    }
  }
  assert.equal(wrong, []);
  // A trivial encryption is public: its mask is zero and its body is m·Δ (Δ = 2^59 for 2_2).
  const bytes = ev.trivial(3).serialize();
  const words = new BigUint64Array(bytes.slice(24 + 22, bytes.length - 4).buffer);
  assert.ok(words.subarray(0, words.length - 1).every((w) => w === 0n));
  assert.is(words[words.length - 1], 3n << 59n);
  // With another encoding.
  const signed = makeEncoding({ modulus: 16, delta: 2n ** 58n, signed: true });
  assert.is(ck.decrypt(ev.trivial(-5, signed)), -5);
});

test("linear combination 2·a + b − 1 then bootstrap", () => {
  const ck = clientKey("2_2");
  const ev = evaluator("2_2");
  const table = rand.table(P, P);
  const lut = ev.lookupTable((x) => table[x]);
  const wrong = [];
  // Every (a, b) with 2a + b − 1 in [0, 16) and b ≥ 1 (the padding bit stays clear): 64 pairs;
  // the default run takes 20 of them, LONG takes all.
  const pairs = [];
  for (let a = 0; a < 8; a++) for (let b = 1; 2 * a + b - 1 < P && b < P; b++) pairs.push([a, b]);
  const chosen = LONG ? pairs : Array.from({ length: 20 }, () => pairs[rand.int(pairs.length)]);
  for (const [a, b] of chosen) {
    const combination = ev.addPlaintext(ev.add(ev.multiplyByInteger(ck.encrypt(a), 2), ck.encrypt(b)), -1);
    const x = 2 * a + b - 1;
    const direct = ck.decrypt(combination);
    const out = ck.decrypt(ev.bootstrap(combination, lut));
    if (direct !== x || out !== table[x]) wrong.push({ a, b, x, direct, expected: table[x], got: out });
  }
  assert.equal(wrong, []);
});

test("an evaluator over exported expanded keys gives byte-identical bootstrap results", () => {
  const ck = clientKey("2_2");
  const ev = evaluator("2_2");
  const expanded = ev.exportExpandedKeys();
  assert.is(expanded.keyswitchKey.length + expanded.fourierBootstrapKey.length, ev.expandedKeyBytes);
  const copy = engine.createEvaluatorFromExpanded(PARAMETER_SETS["2_2"], expanded);
  try {
    const table = rand.table(P, P);
    const lut = ev.lookupTable((x) => table[x]);
    for (const m of [0, 5, 10, 15]) {
      const ct = ck.encrypt(m);
      const a = ev.bootstrap(ct, lut);
      const b = copy.bootstrap(ct, lut);
      assert.is(ck.decrypt(b), table[m]);
      assert.equal(b.serialize(), a.serialize(), `m = ${m}`);
    }
    // Wrong sizes are refused before anything is copied.
    throwsTyped(
      () => engine.createEvaluatorFromExpanded(PARAMETER_SETS["2_2"], { ...expanded, keyswitchKey: expanded.keyswitchKey.subarray(8) }),
      InvalidArgumentError, { message: /2_2/ },
    );
  } finally {
    copy.free();
  }
  // Freeing the copy leaves the original working; the copy refuses further use.
  const lut = ev.lookupTable((x) => x);
  const ct = ck.encrypt(9);
  throwsTyped(() => copy.bootstrap(ct, lut), InvalidArgumentError, { message: /freed/ });
  throwsTyped(() => copy.exportExpandedKeys(), InvalidArgumentError, { message: /freed/ });
  assert.is(ck.decrypt(ev.bootstrap(ct, lut)), 9);
});

test("a second engine instance given the expanded keys bootstraps (worker setup); memory stays flat over 300 iterations", async () => {
  const ck = clientKey("2_2");
  const ev = evaluator("2_2");
  const second = await loadEngine();
  assert.is.not(second.core.wasm.memory, engine.core.wasm.memory);
  const worker = second.createEvaluatorFromExpanded(PARAMETER_SETS["2_2"], ev.exportExpandedKeys());
  const table = rand.table(P, P);
  const lutHere = ev.lookupTable((x) => table[x]);
  const lutThere = worker.lookupTable((x) => table[x]);
  // Ciphertexts travel between instances as bytes.
  for (const m of [1, 6, 11]) {
    const ct = ck.encrypt(m);
    const remote = worker.bootstrap(second.deserializeCiphertext(ct.serialize()), lutThere).serialize();
    assert.is(ck.decrypt(engine.deserializeCiphertext(remote)), table[m], `m = ${m}`);
    assert.equal(remote, ev.bootstrap(ct, lutHere).serialize(), `m = ${m}: same bytes as the first instance`);
  }

  // Memory: in the second instance (small heap), encrypt → bootstrap → decrypt → free, repeatedly.
  const key = second.deserializeClientKey(ck.serialize());
  const memory = second.core.wasm.memory;
  const ITERATIONS = LONG ? 1000 : 300;
  const WARM_UP = 5;
  let sizeAfterWarmUp = 0;
  const inputPointers = new Set();
  const outputPointers = new Set();
  const wrong = [];
  for (let i = 0; i < ITERATIONS; i++) {
    const m = i % P;
    const ct = key.encrypt(m);
    const out = worker.bootstrap(ct, lutThere);
    if (key.decrypt(out) !== table[m]) wrong.push({ i, m });
    if (i >= WARM_UP) {
      inputPointers.add(ct.pointer);
      outputPointers.add(out.pointer);
    }
    ct.free();
    out.free();
    if (i === WARM_UP - 1) sizeAfterWarmUp = memory.buffer.byteLength;
  }
  assert.equal(wrong, []);
  assert.is(memory.buffer.byteLength, sizeAfterWarmUp, "wasm memory grew during the loop");
  // Memory returned by free() is reused: the blocks land at the same addresses every iteration
  // (a block leaked per iteration would push later allocations elsewhere).
  assert.ok(inputPointers.size <= 2, `input ciphertexts at ${inputPointers.size} different addresses`);
  assert.ok(outputPointers.size <= 2, `output ciphertexts at ${outputPointers.size} different addresses`);
  key.free();
  lutThere.free();
  worker.free();
});

test("using a freed ciphertext or table throws InvalidArgumentError", () => {
  const ck = clientKey("2_2");
  const ev = evaluator("2_2");
  const lut = ev.lookupTable((x) => x);
  const ct = ck.encrypt(3);
  const other = ck.encrypt(4);
  assert.is(ct.freed, false);
  ct.free();
  ct.free(); // harmless
  assert.is(ct.freed, true);
  const freed = { message: /freed/ };
  throwsTyped(() => ck.decrypt(ct), InvalidArgumentError, freed);
  throwsTyped(() => ev.bootstrap(ct, lut), InvalidArgumentError, freed);
  throwsTyped(() => ev.keyswitch(ct), InvalidArgumentError, freed);
  throwsTyped(() => ev.add(ct, other), InvalidArgumentError, freed);
  throwsTyped(() => ev.add(other, ct), InvalidArgumentError, freed);
  throwsTyped(() => ev.negate(ct), InvalidArgumentError, freed);
  throwsTyped(() => ev.multiplyByInteger(ct, 2), InvalidArgumentError, freed);
  throwsTyped(() => ev.addPlaintext(ct, 1), InvalidArgumentError, freed);
  throwsTyped(() => ct.serialize(), InvalidArgumentError, freed);
  throwsTyped(() => ct.clone(), InvalidArgumentError, freed);
  assert.is(ck.decrypt(other), 4, "the other operand is intact");

  lut.free();
  throwsTyped(() => ev.bootstrap(other, lut), InvalidArgumentError, freed);

  // (A freed evaluator is covered with the expanded-keys evaluator above.)
  assert.is(ck.decrypt(ev.bootstrap(other, ev.lookupTable((x) => x + 1))), 5);
});

test("objects of another engine instance are refused with a typed error, not misread", async () => {
  const ck = clientKey("2_2");
  const ev = evaluator("2_2");
  const other = await loadEngine();
  const ck2 = other.deserializeClientKey(ck.serialize());
  const foreign = ck2.encrypt(5);
  const local = ck.encrypt(1);
  const another = { message: /another engine instance/ };
  throwsTyped(() => ev.bootstrap(foreign, ev.lookupTable((x) => x)), InvalidArgumentError, another);
  throwsTyped(() => ev.add(local, foreign), InvalidArgumentError, another);
  throwsTyped(() => ev.add(foreign, local), InvalidArgumentError, another);
  throwsTyped(() => ev.negate(foreign), InvalidArgumentError, another);
  throwsTyped(() => ck.decrypt(foreign), InvalidArgumentError, another);
  const ev2 = other.createEvaluator(other.deserializeEvaluationKeys(evaluationKeys("2_2").serialize()));
  const foreignTable = ev2.lookupTable((x) => 15 - x);
  throwsTyped(() => ev.bootstrap(local, foreignTable), InvalidArgumentError, another);
  // Through bytes, objects move between instances correctly.
  assert.is(ck.decrypt(ev.bootstrap(engine.deserializeCiphertext(foreign.serialize()), ev.lookupTable((x) => x + 1))), 6);
  ev2.free();
});

test.run();
