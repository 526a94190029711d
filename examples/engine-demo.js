// The engine end to end, as client and server would split it (the full SageMaker flow comes with
// the serving issue): the client makes keys and encrypts; the "server" receives only bytes —
// compressed evaluation keys and a ciphertext — evaluates a lookup table under encryption, and
// returns bytes that only the client can decrypt.
//
//   npm run demo            (set 2_2; `npm run demo -- 1_1` for another set)
import { loadEngine, PARAMETER_SETS, log2PFailPerBootstrap } from "blindml/engine";

const setName = process.argv[2] ?? "2_2";
const params = PARAMETER_SETS[setName];
if (params === undefined) {
  console.error(`Unknown parameter set "${setName}"; choose one of ${Object.keys(PARAMETER_SETS).join(", ")}.`);
  process.exit(2);
}
const ms = (t0) => `${(performance.now() - t0).toFixed(1)} ms`;
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
const mb = (n) => `${(n / 1e6).toFixed(2)} MB`;

const engine = await loadEngine();
console.log(`blindml engine demo — parameter set ${setName} (n=${params.lweDimension}, k=${params.glweDimension}, N=${params.polynomialSize}), ` +
  `model p_fail per bootstrap 2^${log2PFailPerBootstrap(params).toFixed(1)}`);

// ---- client ----
let t = performance.now();
const clientKey = engine.generateClientKey(params);
console.log(`client: secret key generated in ${ms(t)}`);
t = performance.now();
const evaluationKeyBytes = clientKey.generateEvaluationKeys().serialize();
console.log(`client: evaluation keys generated in ${ms(t)} — ${mb(evaluationKeyBytes.length)} to upload once`);
const p = clientKey.encoding.modulus;
const messages = Array.from({ length: 8 }, (_, i) => (i * 5 + 3) % p);
t = performance.now();
const query = clientKey.encryptMany(messages).serialize();
console.log(`client: ${messages.length} values encrypted in ${ms(t)} — query ${query.length} B (seeded: ${(query.length / messages.length).toFixed(1)} B per value)`);

// ---- server: sees bytes only ----
t = performance.now();
const evaluator = engine.createEvaluator(engine.deserializeEvaluationKeys(evaluationKeyBytes));
console.log(`server: keys expanded in ${ms(t)} (${mb(evaluator.expandedKeyBytes)} in memory)`);
const square = evaluator.lookupTable((x) => (x * x) % p);
const inputs = engine.deserializeCiphertextList(query).expand();
t = performance.now();
const outputs = inputs.map((ct) => evaluator.bootstrap(ct, square));
const perBootstrap = (performance.now() - t) / inputs.length;
const response = outputs.map((ct) => ct.serialize());
console.log(`server: ${inputs.length} programmable bootstraps (x² mod ${p}), ${perBootstrap.toFixed(1)} ms each — response ${kib(response.reduce((a, b) => a + b.length, 0))}`);

// ---- client ----
const results = response.map((bytes) => clientKey.decrypt(engine.deserializeCiphertext(bytes)));
let wrong = 0;
for (let i = 0; i < messages.length; i++) {
  const expected = (messages[i] * messages[i]) % p;
  if (results[i] !== expected) wrong++;
  console.log(`  x = ${String(messages[i]).padStart(2)}  →  decrypted ${String(results[i]).padStart(2)}  (expected ${expected})`);
}
console.log(wrong === 0 ? "all results correct" : `${wrong} wrong results`);
process.exit(wrong === 0 ? 0 : 1);
