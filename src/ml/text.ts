// Text → fixed-width numeric features, for models whose client holds raw text (e-mails, messages).
// The client runs the featurizer before the model's input quantization, so the server only ever
// sees the encrypted feature vector. A featurizer is plain data (toJSON / fromJSON): ship it next
// to client.zip and every client computes the same features.
//
// Features, in order:
//   1. one per vocabulary token: log(1 + count) of the token in the text ("log-count", default) or
//      1/0 presence ("binary"). The vocabulary is the `vocabularySize` tokens with the highest
//      mutual information between "the document contains the token" and the label on the
//      training texts (among tokens in at least `minDocumentFrequency` documents). Mutual
//      information ranks tokens that are informative either way (typical of one class, or of the
//      other) and discounts rare tokens, which a difference of frequencies does not.
//   2. unless structure is false, six statistics of the whole text that token counts miss:
//      log(1 + characters), uppercase share of letters, log(1 + "!"), log(1 + "$"),
//      log(1 + URLs), log(1 + HTML tags).
// Tokens: HTML tags and entities removed (stripMarkup), then maximal runs of Unicode letters and
// digits, lowercased, of minTokenLength to maxTokenLength characters and holding at least one
// letter (pure numbers are mostly dates and ids: noise). Everything is deterministic: ties in the
// ranking break by token order.
import { denseMatrix } from "./types.js";
import type { DenseMatrix } from "./types.js";
import { ModelStateError } from "./errors.js";

export interface TextFeaturizerOptions {
  /** Tokens kept (default 64). */
  vocabularySize?: number;
  /** A token must occur in at least this many training texts to be kept (default 5). */
  minDocumentFrequency?: number;
  /** "log-count" (default): log(1 + occurrences); "binary": 1 if present. */
  weighting?: "log-count" | "binary";
  /** Append the six structure statistics (default true). */
  structure?: boolean;
  /**
   * Drop HTML tags, comments and character entities before tokenizing (default true): markup
   * words (td, font, bgcolor) are many, correlated with each other and would crowd out the
   * vocabulary; the structure statistics still count the tags.
   */
  stripMarkup?: boolean;
  /** Token length bounds in characters (defaults 2 and 24). */
  minTokenLength?: number;
  maxTokenLength?: number;
}

/** The JSON form of a fitted featurizer. */
export interface TextFeaturizerState {
  readonly format: "blindml-text-featurizer";
  readonly version: 1;
  readonly options: Required<TextFeaturizerOptions>;
  readonly vocabulary: readonly string[];
  /** Mutual information (nats) of each vocabulary token with the label, for inspection. */
  readonly scores: readonly number[];
}

export const STRUCTURE_FEATURES = ["chars_log", "uppercase_share", "exclamations_log", "dollars_log", "urls_log", "html_tags_log"] as const;

const DEFAULTS: Required<TextFeaturizerOptions> = {
  vocabularySize: 64, minDocumentFrequency: 5, weighting: "log-count", structure: true, stripMarkup: true, minTokenLength: 2, maxTokenLength: 24,
};

export class TextFeaturizer {
  readonly options: Required<TextFeaturizerOptions>;
  private vocabularyList?: string[];
  private vocabularyIndex?: Map<string, number>;
  private tokenScores?: number[];

  constructor(options: TextFeaturizerOptions = {}) {
    this.options = { ...DEFAULTS, ...options };
    const o = this.options;
    if (!(Number.isInteger(o.vocabularySize) && o.vocabularySize >= 0)) throw new RangeError(`vocabularySize must be a non-negative integer, got ${o.vocabularySize}.`);
    if (!(o.minTokenLength >= 1 && o.maxTokenLength >= o.minTokenLength)) throw new RangeError(`Token lengths must satisfy 1 ≤ min ≤ max (got ${o.minTokenLength}, ${o.maxTokenLength}).`);
  }

  /** Picks the vocabulary on labelled training texts (labels: any numbers, one per text). */
  fit(texts: readonly string[], labels: ArrayLike<number>): this {
    if (texts.length !== labels.length) throw new ModelStateError(`${texts.length} texts but ${labels.length} labels.`);
    if (texts.length === 0) throw new ModelStateError("TextFeaturizer needs at least one training text.");
    const ranked = rankTokens(texts.map((t) => new Set(this.tokens(t))), labels, this.options.minDocumentFrequency);
    const kept = ranked.slice(0, this.options.vocabularySize);
    this.setVocabulary(kept.map((k) => k.token), kept.map((k) => k.score));
    return this;
  }

  /** The feature vector of one text. */
  transform(text: string): Float64Array {
    const { vocabulary, index } = this.fitted();
    const out = new Float64Array(this.featureCount);
    for (const token of this.tokens(text)) {
      const at = index.get(token);
      if (at !== undefined) out[at] = out[at]! + 1;
    }
    for (let i = 0; i < vocabulary.length; i++) {
      out[i] = this.options.weighting === "binary" ? (out[i]! > 0 ? 1 : 0) : Math.log1p(out[i]!);
    }
    if (this.options.structure) out.set(structureFeatures(text), vocabulary.length);
    return out;
  }

  /** Feature rows of many texts, as the models' input matrix. */
  transformMany(texts: readonly string[]): DenseMatrix {
    const cols = this.featureCount;
    const data = new Float64Array(texts.length * cols);
    texts.forEach((t, r) => data.set(this.transform(t), r * cols));
    return denseMatrix(texts.length, cols, data);
  }

  get featureCount(): number {
    return this.fitted().vocabulary.length + (this.options.structure ? STRUCTURE_FEATURES.length : 0);
  }

  get vocabulary(): readonly string[] {
    return this.fitted().vocabulary;
  }

  /** "token:<word>" per vocabulary entry, then the structure statistics' names. */
  get featureNames(): string[] {
    const names = this.fitted().vocabulary.map((t) => `token:${t}`);
    return this.options.structure ? [...names, ...STRUCTURE_FEATURES] : names;
  }

  /** The tokens of a text, in order, as fit() and transform() see them. */
  tokens(text: string): string[] {
    const words = this.options.stripMarkup ? stripMarkup(text) : text;
    return tokenize(words, this.options.minTokenLength, this.options.maxTokenLength);
  }

  toJSON(): TextFeaturizerState {
    const { vocabulary } = this.fitted();
    return { format: "blindml-text-featurizer", version: 1, options: { ...this.options }, vocabulary: [...vocabulary], scores: [...this.tokenScores!] };
  }

  static fromJSON(state: TextFeaturizerState | string): TextFeaturizer {
    const s = (typeof state === "string" ? JSON.parse(state) : state) as TextFeaturizerState;
    if (s?.format !== "blindml-text-featurizer") throw new ModelStateError("Not a blindml text featurizer (format field missing or wrong).");
    if (s.version !== 1) throw new ModelStateError(`Text featurizer version ${s.version}; this blindml reads version 1.`);
    if (!Array.isArray(s.vocabulary) || s.vocabulary.some((t) => typeof t !== "string")) throw new ModelStateError("The featurizer's vocabulary must be a list of strings.");
    const f = new TextFeaturizer(s.options);
    f.setVocabulary([...s.vocabulary], Array.isArray(s.scores) ? [...s.scores] : s.vocabulary.map(() => NaN));
    return f;
  }

  private setVocabulary(vocabulary: string[], scores: number[]): void {
    this.vocabularyList = vocabulary;
    this.vocabularyIndex = new Map(vocabulary.map((t, i) => [t, i]));
    this.tokenScores = scores;
  }

  private fitted(): { vocabulary: string[]; index: Map<string, number> } {
    if (!this.vocabularyList || !this.vocabularyIndex) throw new ModelStateError("TextFeaturizer is not fitted: call fit(texts, labels) or fromJSON first.");
    return { vocabulary: this.vocabularyList, index: this.vocabularyIndex };
  }
}

const TOKEN_RUN = /[\p{L}\p{N}]+/gu;
const HAS_LETTER = /\p{L}/u;

/** Lowercased letter/digit runs of min..max characters that hold at least one letter. */
export function tokenize(text: string, minLength = DEFAULTS.minTokenLength, maxLength = DEFAULTS.maxTokenLength): string[] {
  const out: string[] = [];
  for (const match of text.toLowerCase().matchAll(TOKEN_RUN)) {
    const token = match[0];
    // length in code points, so that non-BMP letters count once
    const length = [...token].length;
    if (length >= minLength && length <= maxLength && HAS_LETTER.test(token)) out.push(token);
  }
  return out;
}

const MARKUP = /<!--[\s\S]*?-->|<\/?[a-z!][^<>]*>|&(?:#\d+|#x[0-9a-f]+|[a-z]+);/gi;

/** The text with HTML comments, tags and character entities replaced by spaces. */
export function stripMarkup(text: string): string {
  return text.replace(MARKUP, " ");
}

const URL_PATTERN = /\bhttps?:\/\/|\bwww\./gi;
const HTML_TAG_PATTERN = /<\/?[a-z][a-z0-9]*\b[^<>]*>/gi;
const NOT_LETTER = /[^\p{L}]+/gu;
const NOT_UPPERCASE = /[^\p{Lu}]+/gu;
const NOT_EXCLAMATION = /[^!]+/g;
const NOT_DOLLAR = /[^$]+/g;

/** The six structure statistics, in STRUCTURE_FEATURES order. */
export function structureFeatures(text: string): Float64Array {
  // counting by deletion: no array of matches for megabyte-sized texts
  const kept = (re: RegExp) => text.replace(re, "").length;
  const letters = kept(NOT_LETTER), upper = kept(NOT_UPPERCASE);
  const count = (re: RegExp) => text.match(re)?.length ?? 0;
  return Float64Array.of(
    Math.log1p(text.length),
    letters > 0 ? upper / letters : 0,
    Math.log1p(kept(NOT_EXCLAMATION)),
    Math.log1p(kept(NOT_DOLLAR)),
    Math.log1p(count(URL_PATTERN)),
    Math.log1p(count(HTML_TAG_PATTERN)),
  );
}

/**
 * Tokens of the documents (each a set) ranked by the mutual information (nats) between their
 * presence and the label, highest first; ties by token. Tokens in fewer than minDf documents are
 * dropped. Labels may have any number of classes.
 */
export function rankTokens(documents: readonly ReadonlySet<string>[], labels: ArrayLike<number>, minDf: number): { token: string; score: number }[] {
  const classes = [...new Set(Array.from(labels))].sort((a, b) => a - b);
  const classOf = new Map(classes.map((c, i) => [c, i]));
  const classTotals = new Float64Array(classes.length);
  const perClass = new Map<string, Float64Array>(); // token → documents containing it, per class
  documents.forEach((doc, d) => {
    const c = classOf.get(labels[d]!)!;
    classTotals[c] = classTotals[c]! + 1;
    for (const token of doc) {
      let counts = perClass.get(token);
      if (!counts) perClass.set(token, (counts = new Float64Array(classes.length)));
      counts[c] = counts[c]! + 1;
    }
  });
  const ranked: { token: string; score: number }[] = [];
  for (const [token, counts] of perClass) {
    const df = counts.reduce((a, b) => a + b, 0);
    if (df >= minDf) ranked.push({ token, score: presenceMutualInformation(counts, classTotals) });
  }
  return ranked.sort((a, b) => b.score - a.score || (a.token < b.token ? -1 : a.token > b.token ? 1 : 0));
}

/** I(presence; class) from the per-class document counts with the token and the class sizes. */
export function presenceMutualInformation(withToken: ArrayLike<number>, classTotals: ArrayLike<number>): number {
  let n = 0, present = 0;
  for (let c = 0; c < classTotals.length; c++) {
    n += classTotals[c]!;
    present += withToken[c]!;
  }
  let mi = 0;
  for (let c = 0; c < classTotals.length; c++) {
    const cells = [[withToken[c]!, present], [classTotals[c]! - withToken[c]!, n - present]] as const;
    for (const [joint, marginal] of cells) {
      // p(t,c)·log(p(t,c) / (p(t)·p(c))), with 0·log 0 = 0
      if (joint > 0) mi += (joint / n) * Math.log((joint * n) / (marginal * classTotals[c]!));
    }
  }
  return mi;
}
