// Bootstraps on a pool of worker threads: the parallel executor's output is bit-identical to the
// in-thread executor's (one row and a batch), predictions equal the quantized-clear ones, worker
// errors reject with WorkerError and leave the pool serving, a dead worker is replaced, and
// ModelServer / FheModel run on workers.
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  MLPClassifier, CircuitExecutor, ParallelCircuitExecutor, bindPool, encryptRows, decryptRows, quantizeRows, decide,
  ModelClient, ModelServer, packServer, packClient, ModelMismatchError, WorkerError, engine as E,
} from "blindml";
import { createWorkerPool } from "blindml/node";
import { readSharedDataset } from "../bench/lib/datasets.js";

const cancer = readSharedDataset("breast_cancer");
const mlp = new MLPClassifier({ hidden: [8], epochs: 40, seed: 3 }).fit(cancer.train.X, cancer.train.y).compile(cancer.train.X);
const { circuit, clientSpec } = mlp;
const cols = cancer.test.X.cols;
const rowOf = (i) => Array.from(cancer.test.X.data.slice(i * cols, (i + 1) * cols));
// rows whose quantized-clear decision has a clear margin (a low output bit may carry noise)
const margins = mlp.scores(cancer.test.X).map((s, i) => [Math.abs(s[1] - s[0]), i]).sort((a, b) => b[0] - a[0]);
const clearRows = margins.slice(0, 5).map(([, i]) => rowOf(i));
const matrix = (rows) => ({ rows: rows.length, cols, data: Float64Array.from(rows.flat()) });
const sameBytes = (a, b) => Buffer.from(a.toBytes()).equals(Buffer.from(b.toBytes()));
const freeAll = (...vectors) => vectors.forEach((v) => v.free()); // (Node 20 has no `using` in JS)

// one key set and one 2-worker pool for the executor-level tests
const engine = await E.loadEngine();
const ck = engine.generateClientKey(E.PARAMETER_SETS[circuit.parameterSet]);
const evaluator = engine.createEvaluator(ck.generateEvaluationKeys());
const inThread = new CircuitExecutor(evaluator, circuit);
const pool = await createWorkerPool({ workers: 2 });
const binding = await bindPool(pool, circuit, evaluator.exportExpandedKeys({ shared: true }));
const parallel = new ParallelCircuitExecutor(evaluator, circuit, binding);
const encrypt = (rows) => evaluator.expandVector(encryptRows(ck, clientSpec.circuit, quantizeRows(clientSpec.input, matrix(rows))));
const predictions = (output) => decryptRows(ck, clientSpec.circuit, output).map((o) => decide(clientSpec.output, Array.from(o, (v, j) => clientSpec.output.scale * v + (clientSpec.output.offset[j] ?? 0))));

test("2 workers: bit-identical to the in-thread executor, one row and a batch; the clear predictions", async () => {
  for (const rows of [clearRows.slice(0, 1), clearRows]) {
    const input = encrypt(rows);
    const expected = inThread.run(input);
    const got = await parallel.run(input);
    assert.is(got.length, rows.length * 2);
    assert.ok(sameBytes(got, expected), `${rows.length} row(s): the shares rejoin to the same ciphertexts`);
    assert.equal(predictions(got), mlp.predict(matrix(rows)));
    freeAll(input, expected, got);
  }
});

test("concurrent runs queue on the pool and each gets its own answer", async () => {
  const inputs = clearRows.slice(0, 3).map((r) => encrypt([r]));
  const outputs = await Promise.all(inputs.map((input) => parallel.run(input)));
  outputs.forEach((out, i) => {
    const expected = inThread.run(inputs[i]);
    assert.ok(sameBytes(out, expected), `run ${i}`);
    expected.free();
  });
  freeAll(...inputs, ...outputs);
});

test("a failing share rejects with WorkerError naming the worker's error; the pool still serves", async () => {
  const input = encrypt(clearRows.slice(0, 1));
  const bytes = input.toBytes();
  const share = { circuit: binding.circuit, keys: binding.keys, input: bytes, keyKind: input.keyKind };
  await pool.bootstrap({ ...share, node: 1, from: 0, to: 1 }).then(() => assert.unreachable(), (e) => {
    assert.instance(e, WorkerError);
    assert.is(e.code, "BLINDML_WORKER");
    assert.is(e.workerError.code, "BLINDML_INVALID_ARGUMENT");
    assert.match(e.message, /not a lookup/);
  });
  const oneRowOfNode1 = bytes.subarray(0, (bytes.length / cols) * 8); // node 2 reads node 1's 8 values per row
  await pool.bootstrap({ ...share, input: oneRowOfNode1, node: 2, from: 0, to: 9 }).then(() => assert.unreachable(), (e) => assert.match(e.message, /\[0, 9\) is outside/));
  await pool.bootstrap({ ...share, node: 2, from: 0, to: 1 }).then(() => assert.unreachable(), (e) => assert.match(e.message, /not whole rows/));
  // a query for another model (another input size) is refused before any worker sees it
  const foreign = evaluator.vectorFromBytes(bytes.subarray(0, bytes.length / cols * 7), input.keyKind);
  await parallel.run(foreign).then(() => assert.unreachable(), (e) => assert.instance(e, ModelMismatchError));
  const expected = inThread.run(input);
  const got = await parallel.run(input);
  assert.ok(sameBytes(got, expected));
  freeAll(input, foreign, expected, got);
});

test("a worker that dies is replaced with the circuit and keys; runs go on", async () => {
  await pool.threads[0].worker.terminate(); // white-box: kill one thread of the pool
  const input = encrypt(clearRows.slice(0, 2));
  const expected = inThread.run(input);
  const got = await parallel.run(input);
  assert.ok(sameBytes(got, expected));
  freeAll(input, expected, got);
  assert.is((await pool.workerMemory()).length, 2);
});

test("a closed pool rejects new shares with WorkerError", async () => {
  const input = encrypt(clearRows.slice(0, 1));
  await pool.close();
  await parallel.run(input).then(() => assert.unreachable(), (e) => assert.instance(e, WorkerError));
  input.free(); inThread.free(); evaluator.free(); ck.free();
});

test("FheModel execute mode with workers: 2 predicts what the quantized circuit does", async () => {
  const X = matrix(clearRows.slice(0, 3));
  assert.equal(await mlp.predict(X, { fhe: "execute", workers: 2 }), mlp.predict(X));
  assert.equal(await mlp.predict(X, { fhe: "execute" }), mlp.predict(X), "the same session in this thread");
  mlp.free();
});

test("ModelServer with workers: 2 round trip through ModelClient; errors leave it serving", async () => {
  const client = (await ModelClient.load(packClient(mlp.modelName, circuit, clientSpec))).generateKeys();
  const server = await ModelServer.load(packServer(mlp.modelName, circuit), { workers: 2 });
  const keys = client.evaluationKeys();
  const X = clearRows.slice(0, 2);
  const [first, second] = await Promise.all([server.run(client.encrypt(X), keys), server.run(client.encrypt(X.slice(0, 1)), keys)]);
  assert.equal(client.decrypt(first).predictions, mlp.predict(matrix(X)));
  assert.equal(client.decrypt(second).predictions, mlp.predict(matrix(X.slice(0, 1))));
  // a query for another model is refused; the next one is served from the cached keys
  const other = new MLPClassifier({ hidden: [2], epochs: 5, seed: 1 }).fit(cancer.train.X, cancer.train.y).compile(cancer.train.X);
  const otherClient = (await ModelClient.load(packClient(other.modelName, other.circuit, other.clientSpec))).generateKeys();
  await server.run(otherClient.encrypt(X), keys).then(() => assert.unreachable(), (e) => assert.instance(e, ModelMismatchError));
  assert.equal(client.decrypt(await server.run(client.encrypt(X), keys)).predictions, mlp.predict(matrix(X)));
  assert.is(server.lastRun.keyCacheHit, true);
  await server.close();
  client.free(); otherClient.free();
});

test.run();
