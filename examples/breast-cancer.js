// Logistic regression on breast_cancer (../shared/datasets): train in the clear, compile, then the
// deployment split — ModelClient (secret key) encrypts, ModelServer (no secret) evaluates, the
// client decrypts. A leveled model: the server needs no evaluation keys at all.
//   node examples/breast-cancer.js
import { LogisticRegression, ModelClient, ModelServer, packServer, packClient } from "blindml";
import { readSharedDataset } from "../bench/lib/datasets.js";

const { train, test } = readSharedDataset("breast_cancer");
const model = new LogisticRegression().fit(train.X, train.y).compile(train.X);

const client = (await ModelClient.load(packClient(model.modelName, model.circuit, model.clientSpec))).generateKeys();
const server = await ModelServer.load(packServer(model.modelName, model.circuit));

const t0 = performance.now();
const query = client.encrypt(test.X);
const result = await server.run(query, client.evaluationKeys());
const { predictions } = client.decrypt(result);
const ms = performance.now() - t0;

const correct = predictions.filter((p, i) => p === test.y[i]).length;
const clear = model.predict(test.X);
console.log(`${test.X.rows} encrypted rows in ${ms.toFixed(0)} ms (query ${query.length} B, result ${result.length} B)`);
console.log(`accuracy ${(correct / test.X.rows).toFixed(4)}; equal to the quantized model on ${predictions.filter((p, i) => p === clear[i]).length}/${test.X.rows} rows`);
client.free();
server.free();
