// TextFeaturizer (src/ml/text.ts): tokens, markup stripping, structure statistics, the mutual-
// information vocabulary, JSON round trips; and the SpamAssassin split and its float baseline
// (bench/lib/spam.js).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { TextFeaturizer, tokenize, stripMarkup, structureFeatures, presenceMutualInformation, rankTokens, LogisticRegression, ModelStateError } from "blindml";
import { emailText, loadSpamTexts, loadSpam } from "../bench/lib/spam.js";

const close = (a, b, eps = 1e-12) => Math.abs(a - b) <= eps;
// uvu's assert.throws calls a function argument as a predicate: classes need instanceof
const throwsA = (fn, Type, pattern) => assert.throws(fn, (e) => e instanceof Type && (!pattern || pattern.test(e.message)));

test("tokenize: lowercased letter/digit runs of 2–24 characters holding a letter", () => {
  assert.equal(tokenize("Hello, WORLD! a 2002 x1 Ünïcode naïve café ok"), ["hello", "world", "x1", "ünïcode", "naïve", "café", "ok"]);
  assert.equal(tokenize("abc abcdef", 4, 6), ["abcdef"]);
  assert.equal(tokenize(`${"z".repeat(25)} fine`), ["fine"]);
});

test("stripMarkup removes tags, comments and entities, keeping the words apart", () => {
  assert.is(stripMarkup("<p>Buy <b>now</b>&nbsp;&amp; save<!-- hidden --></p>"), " Buy  now    save  ");
  assert.is(stripMarkup("a < b and c > d"), "a < b and c > d", "comparisons are not tags");
});

test("structureFeatures: length, uppercase share, ! and $ counts, URLs, HTML tags", () => {
  const f = Array.from(structureFeatures("FREE money!!! $$$ at http://x.com <b>now</b>"));
  const want = [Math.log1p(44), 4 / 24, Math.log1p(3), Math.log1p(3), Math.log1p(1), Math.log1p(2)];
  want.forEach((w, i) => assert.ok(close(f[i], w), `feature ${i}: ${f[i]} vs ${w}`));
  assert.equal(Array.from(structureFeatures("")), [0, 0, 0, 0, 0, 0]);
});

test("presenceMutualInformation: ln 2 for a perfect split of two equal classes, 0 for independence", () => {
  assert.ok(close(presenceMutualInformation([10, 0], [10, 10]), Math.LN2));
  assert.is(presenceMutualInformation([5, 5], [10, 10]), 0);
  // a token in every document says nothing either
  assert.is(presenceMutualInformation([7, 3], [7, 3]), 0);
  const partial = presenceMutualInformation([8, 2], [10, 10]);
  assert.ok(partial > 0 && partial < Math.LN2);
});

const TEXTS = ["cheap pills cheap", "cheap offer now", "meeting agenda attached", "agenda for the meeting", "pills offer", "lunch meeting"];
const LABELS = [1, 1, 0, 0, 1, 0];

test("fit keeps the most informative tokens (ties by token) and transform counts them", () => {
  const f = new TextFeaturizer({ vocabularySize: 3, minDocumentFrequency: 2, structure: false }).fit(TEXTS, LABELS);
  // meeting: all three ham texts, no spam → ln 2; agenda/cheap/offer/pills: 2 of 3 texts of one class
  assert.equal(f.vocabulary, ["meeting", "agenda", "cheap"]);
  const scores = f.toJSON().scores;
  assert.ok(close(scores[0], Math.LN2) && close(scores[1], scores[2]) && scores[1] < scores[0]);
  assert.equal(Array.from(f.transform("Cheap cheap MEETING pills")), [Math.log1p(1), 0, Math.log1p(2)]);
  assert.equal(f.featureNames, ["token:meeting", "token:agenda", "token:cheap"]);
  const binary = new TextFeaturizer({ vocabularySize: 3, minDocumentFrequency: 2, structure: false, weighting: "binary" }).fit(TEXTS, LABELS);
  assert.equal(Array.from(binary.transform("cheap cheap meeting")), [1, 0, 1]);
});

test("minDocumentFrequency drops rare tokens; structure features follow the vocabulary", () => {
  // only "meeting" is in three texts
  const f = new TextFeaturizer({ vocabularySize: 10, minDocumentFrequency: 3 }).fit(TEXTS, LABELS);
  assert.equal(f.vocabulary, ["meeting"]);
  assert.is(f.featureCount, 1 + 6);
  const row = f.transform("Meeting <b>deal</b>!");
  assert.is(row[0], Math.log1p(1));
  assert.equal(Array.from(row.slice(1)), Array.from(structureFeatures("Meeting <b>deal</b>!")));
  const m = f.transformMany(["cheap", "meeting meeting"]);
  assert.is(m.rows, 2);
  assert.is(m.cols, 7);
  assert.is(m.data[0], 0);
  assert.is(m.data[7], Math.log1p(2));
});

test("toJSON / fromJSON: the same features, also through a JSON string", () => {
  const f = new TextFeaturizer({ vocabularySize: 4, minDocumentFrequency: 2 }).fit(TEXTS, LABELS);
  const copy = TextFeaturizer.fromJSON(JSON.stringify(f));
  assert.equal(copy.vocabulary, f.vocabulary);
  assert.equal(copy.options, f.options);
  for (const t of [...TEXTS, "<html>CHEAP pills!!! http://x</html>"]) assert.equal(Array.from(copy.transform(t)), Array.from(f.transform(t)));
  throwsA(() => TextFeaturizer.fromJSON({ format: "other" }), ModelStateError);
  throwsA(() => TextFeaturizer.fromJSON({ ...f.toJSON(), version: 2 }), ModelStateError, /version 2/);
});

test("errors: transform before fit, mismatched labels, bad options", () => {
  throwsA(() => new TextFeaturizer().transform("x"), ModelStateError, /not fitted/);
  throwsA(() => new TextFeaturizer().fit(["a"], [1, 0]), ModelStateError, /1 texts but 2 labels/);
  throwsA(() => new TextFeaturizer({ vocabularySize: -1 }), RangeError);
  throwsA(() => new TextFeaturizer({ minTokenLength: 5, maxTokenLength: 3 }), RangeError);
});

test("rankTokens handles three classes", () => {
  const docs = [["a", "x"], ["a"], ["b", "x"], ["b"], ["c", "x"], ["c"]].map((d) => new Set(d));
  const ranked = rankTokens(docs, [0, 0, 1, 1, 2, 2], 1);
  assert.equal(ranked.map((r) => r.token), ["a", "b", "c", "x"]);
  assert.is(ranked[3].score, 0, "x is in half of every class");
});

test("emailText keeps the (unfolded) subject and the body, not the other headers", () => {
  const raw = "From: a@b\r\nSubject: Win a\r\n  prize\r\nX-List: linux\r\n\r\nHello\r\n\r\nbye";
  assert.is(emailText(raw), "Win a prize\n\nHello\n\nbye");
  assert.is(emailText("From: a@b\n\nbody only"), "\n\nbody only");
});

test("SpamAssassin: fixed stratified 80/20 split; float logistic regression ≥ 0.96 on the test texts", () => {
  const a = loadSpamTexts(), b = loadSpamTexts();
  assert.is(a.train.texts.length, 4837);
  assert.is(a.test.texts.length, 1209);
  assert.equal(a.test.ids.slice(0, 20), b.test.ids.slice(0, 20), "the split is deterministic");
  const train = new Set(a.train.ids);
  assert.ok(a.test.ids.every((id) => !train.has(id)), "train and test are disjoint");
  assert.is(a.test.y.reduce((s, v) => s + v, 0), 379, "spam in the test part: round(1,896 × 0.2)");

  const d = loadSpam();
  assert.is(d.train.X.cols, 70);
  const m = new LogisticRegression().fit(d.train.X, d.train.y);
  const y = Array.from(d.test.y);
  const acc = m.predictFloat(d.test.X).filter((p, i) => p === y[i]).length / y.length;
  assert.ok(acc >= 0.96, `float accuracy ${acc}`);
});

test.run();
