// ModelClient: what runs where the data is. It holds the secret key (never sent anywhere), the
// input quantizers and the post-processing; it encrypts rows into a compact query (8 bytes a value
// plus a seed) and decrypts results into predictions. Browser-safe.
import { loadEngine, PARAMETER_SETS } from "../engine/index.js";
import type { ClientKey, Engine, ParameterSet } from "../engine/index.js";
import type { ClientSpec, Rows } from "../ml/model.js";
import { asMatrix, quantizeRows, dequantize, decide, probabilities } from "../ml/model.js";
import { encryptRows, decryptRows } from "../ml/fhe.js";
import { unpackClient, unpackModelTarball, isGzip } from "./package.js";
import type { Manifest } from "./package.js";
import { encodeQuery, decodeResult, checkCircuitId } from "./wire.js";
import { ArtifactError } from "./errors.js";
import { ModelStateError } from "../ml/errors.js";

export interface Prediction {
  /** Class labels (classifiers) or values (regressors), one per row. */
  readonly predictions: number[];
  /** Dequantized scores per row (logits, decision values, votes or the regression value). */
  readonly scores: number[][];
  /** Class probabilities per row (classifiers). */
  readonly probabilities?: number[][];
}

export class ModelClient {
  readonly manifest: Manifest;
  readonly spec: ClientSpec;
  readonly engine: Engine;
  private clientKey?: ClientKey;
  private compressedKeys?: Uint8Array;

  private constructor(engine: Engine, manifest: Manifest, spec: ClientSpec) {
    this.engine = engine;
    this.manifest = manifest;
    this.spec = spec;
  }

  /** From client.zip bytes, or a model.tar.gz holding one. */
  static async load(artifact: Uint8Array, options: { engine?: Engine } = {}): Promise<ModelClient> {
    const zip = isGzip(artifact) ? (await unpackModelTarball(artifact)).clientZip : artifact;
    if (!zip) throw new ArtifactError("model.tar.gz holds no client.zip.");
    const { manifest, spec } = unpackClient(zip);
    return new ModelClient(options.engine ?? (await loadEngine()), manifest, spec);
  }

  get parameterSet(): ParameterSet {
    return (PARAMETER_SETS as Record<string, ParameterSet>)[this.spec.circuit.parameterSet]!;
  }

  /** Whether this model's server needs evaluation keys (it bootstraps). */
  get needsEvaluationKeys(): boolean {
    return this.spec.circuit.bootstraps;
  }

  /** Draws a fresh secret key (from crypto.getRandomValues). */
  generateKeys(): this {
    this.free();
    this.clientKey = this.engine.generateClientKey(this.parameterSet);
    return this;
  }

  /** The compressed evaluation keys for the server (empty when the model needs none). */
  evaluationKeys(): Uint8Array {
    if (!this.needsEvaluationKeys) return new Uint8Array(0);
    this.compressedKeys ??= this.key().generateEvaluationKeys().serialize();
    return this.compressedKeys;
  }

  /** Quantizes, encrypts and serializes rows: one query for all of them. */
  encrypt(rows: Rows): Uint8Array {
    const q = quantizeRows(this.spec.input, asMatrix(rows));
    const vector = encryptRows(this.key(), this.spec.circuit, q);
    return encodeQuery(this.parameterSet, { circuitId: this.manifest.circuitId, rows: q.length, size: this.spec.circuit.input.size, vector });
  }

  /** Decrypts a result, dequantizes and post-processes it. */
  decrypt(bytes: Uint8Array): Prediction {
    const result = decodeResult(this.parameterSet, bytes);
    checkCircuitId(result.circuitId, this.manifest.circuitId, "result");
    using vector = this.key().vectorFromBytes(result.ciphertexts, "big");
    const outputs = decryptRows(this.key(), this.spec.circuit, vector);
    const scores = outputs.map((o) => Array.from(dequantize(this.spec.output, o)));
    const predictions = scores.map((s) => decide(this.spec.output, s));
    const probs = this.spec.task === "classification" ? scores.map((s) => probabilities(this.spec.output, s)) : undefined;
    return { predictions, scores, probabilities: probs };
  }

  /** The secret key and the compressed evaluation keys, to store (keep the client key private). */
  exportKeys(): { clientKey: Uint8Array; evaluationKeys: Uint8Array } {
    return { clientKey: this.key().serialize(), evaluationKeys: this.evaluationKeys() };
  }

  /** Restores keys saved by exportKeys (the evaluation keys are optional: regenerated if absent). */
  importKeys(keys: { clientKey: Uint8Array; evaluationKeys?: Uint8Array }): this {
    this.free();
    this.clientKey = this.engine.deserializeClientKey(keys.clientKey);
    if (this.clientKey.params.set.name !== this.parameterSet.name) {
      const name = this.clientKey.params.set.name;
      this.free();
      throw new ArtifactError(`The saved key is for parameter set "${name}"; this model uses "${this.parameterSet.name}".`);
    }
    if (keys.evaluationKeys && keys.evaluationKeys.length > 0) this.compressedKeys = keys.evaluationKeys;
    return this;
  }

  get hasKeys(): boolean {
    return this.clientKey !== undefined;
  }

  /** Wipes the secret key from memory. */
  free(): void {
    this.clientKey?.free();
    this.clientKey = undefined;
    this.compressedKeys = undefined;
  }

  private key(): ClientKey {
    if (!this.clientKey) throw new ModelStateError("No keys yet: call generateKeys() or importKeys() first.");
    return this.clientKey;
  }
}
