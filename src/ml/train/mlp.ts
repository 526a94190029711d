// Quantization-aware training (QAT) of fully connected ReLU networks, the integer reference
// forward of a QuantizedMlp, and post-training quantization (PTQ) of a given float MLP.
//
// Training: a float network trained with Adam on softmax cross-entropy. After a short float
// warm-up, the forward pass fake-quantizes exactly like the integer forward of QuantizedMlp
// (types.ts): the input per tensor (unsigned, fixed range), the weights per layer (signed,
// symmetric), the biases at the accumulator scale and the hidden activations (unsigned, zero point
// 0). Rounding uses straight-through estimators; the weight and activation step sizes are learned
// (LSQ-style gradients, parameterised as log-scales and updated by Adam), initialised by a
// mean-squared-error search when quantization is switched on. Because the fake-quantized forward
// computes s_in · s_w · acc with the same integers as the circuit, the trained network is the
// integer network (up to float rounding at exact .5 ties).
//
// Layout: weights are kept transposed (in × out) during training, so that both the forward
// (z_n += x_{n,i} · W[i, :]) and the weight gradient (dW[i, :] += x_{n,i} · dz_n) run over
// contiguous rows, and zero inputs (ReLU outputs, blank pixels) are skipped.

import {
  type DenseMatrix,
  type MlpLayerParams,
  type MlpParams,
  type QuantizedMlp,
  type UniformQuantizer,
  denseMatrix,
  quantize,
  quantizerRange,
} from "../types.js";

// ---------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------

export interface TrainMlpOptions {
  /** Widths of the hidden ReLU layers, e.g. [392]. May be empty (a quantized linear model). */
  readonly hidden: readonly number[];
  /** Number of classes (width of the output layer); labels are 0 … nClasses − 1. */
  readonly nClasses: number;
  /** Bits of the unsigned per-tensor input quantizer (default 4). */
  readonly inputBits?: number;
  /** Bits of the signed symmetric weights, one number for all layers or one per layer (default 4). */
  readonly weightBits?: number | readonly number[];
  /** Bits of the unsigned hidden activations (default 4). */
  readonly activationBits?: number;
  /** Total epochs, float warm-up included (default 20). */
  readonly epochs?: number;
  /** Float (unquantized weights/activations) epochs at the start (default max(1, round(epochs / 10))). */
  readonly warmupEpochs?: number;
  /** Mini-batch size (default 64). */
  readonly batchSize?: number;
  /** Peak Adam learning rate (default 2e-3); cosine-decayed to 0 over the quantized epochs. */
  readonly learningRate?: number;
  /** Decoupled (AdamW) weight decay of the weights (default 0). */
  readonly weightDecay?: number;
  /** PRNG seed: same seed and data → identical result (default 1). */
  readonly seed?: number;
  /** Input range [lo, hi] mapped onto [0, 2^inputBits − 1] (default: the data min/max). */
  readonly inputRange?: readonly [number, number];
  /**
   * σ of Gaussian noise added to each hidden pre-activation during quantized training, as a
   * fraction of that neuron's range over the batch (default 2^−8). Under encryption a bootstrap
   * reads its accumulator through a modulus switch whose noise is about 2^−8.5 of the accumulator
   * range at N = 2048 (after per-neuron scaling); a value near a rounding boundary then lands one
   * activation step off. Training with that noise makes the decisions robust to those flips, so
   * encrypted predictions agree with the clear ones. 0 turns it off.
   */
  readonly accumulatorNoise?: number;
  /** Called after each epoch (1-based) with the mean training loss and accuracy of that epoch. */
  readonly onEpoch?: (epoch: number, loss: number, accuracy: number) => void;
}

export interface TrainMlpResult {
  /** The integer network (its integer forward is quantizedMlpForward). */
  readonly quantized: QuantizedMlp;
  /**
   * The latent float parameters of the same network (weights before rounding). floatMlpForward
   * of these is the unquantized network; it is close to, but not the same as, the quantized one.
   */
  readonly float: MlpParams;
}

export interface QuantizedForward {
  /** rows × nOut logits, Q.scale · weightScale · acc of the last layer. */
  readonly logits: DenseMatrix;
  /** Per layer, the rows × out integer accumulators (bias included), row-major. */
  readonly accumulators: Int32Array[];
}

export interface QuantizeMlpOptions {
  readonly inputBits: number;
  readonly weightBits: number | readonly number[];
  readonly activationBits: number;
  /** Input range [lo, hi] (default: the calibration data min/max). */
  readonly inputRange?: readonly [number, number];
}

// ---------------------------------------------------------------------------------------------
// Seeded PRNG (sfc32, seeded through splitmix32): deterministic across runs and platforms.
// ---------------------------------------------------------------------------------------------

class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spare = NaN;

  constructor(seed: number) {
    let s = seed >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    for (let i = 0; i < 12; i++) this.u32();
  }

  u32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    return ((this.u32() >>> 5) * 67108864 + (this.u32() >>> 6)) / 9007199254740992;
  }

  /** Uniform integer in [0, n). */
  below(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  normal(): number {
    if (!Number.isNaN(this.spare)) {
      const v = this.spare;
      this.spare = NaN;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  shuffle(a: Int32Array): void {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.below(i + 1);
      const t = a[i]!;
      a[i] = a[j]!;
      a[j] = t;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Quantizer helpers
// ---------------------------------------------------------------------------------------------

function checkBits(bits: number, what: string): void {
  if (!Number.isInteger(bits) || bits < 1 || bits > 24) throw new RangeError(`${what} must be an integer in 1..24, got ${bits}.`);
}

/** The unsigned per-tensor quantizer mapping [lo, hi] onto [0, 2^bits − 1]. */
export function inputQuantizer(lo: number, hi: number, bits: number): UniformQuantizer {
  checkBits(bits, "inputBits");
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) throw new RangeError(`The input range [${lo}, ${hi}] is not finite.`);
  if (!(hi > lo)) hi = lo + 1; // constant input: any positive scale works
  const scale = (hi - lo) / (2 ** bits - 1);
  const zeroPoint = Math.round(-lo / scale) || 0; // || 0 turns −0 into 0
  return { bits, scale, zeroPoint, signed: false };
}

/** Integer code of one weight: clamp(round(w / scale), −qmax, qmax). Used by training and export alike. */
function weightCode(w: number, scale: number, qmax: number): number {
  const v = Math.round(w / scale);
  return v < -qmax ? -qmax : v > qmax ? qmax : v;
}

/** Integer bias term of the accumulator: round(bias / (inScale · weightScale)), as in types.ts. */
function biasCode(b: number, inScale: number, weightScale: number): number {
  return Math.round(b / (inScale * weightScale)) || 0;
}

/**
 * The step size s minimising Σ (v − s·clamp(round(v/s), qmin, qmax))² over clip values
 * c = k/100 · max (k = 2 … 100), s = c / qmax (unsigned: qmin = 0; signed: qmin = −qmax).
 * At most ~65k values are looked at (a fixed stride through `values`).
 */
function mseScale(values: ArrayLike<number>, qmax: number, signed: boolean): number {
  let maxAbs = 0;
  for (let k = 0; k < values.length; k++) {
    const v = signed ? Math.abs(values[k]!) : values[k]!;
    if (v > maxAbs) maxAbs = v;
  }
  if (!(maxAbs > 0)) return 1;
  const stride = Math.max(1, Math.floor(values.length / 65536));
  const sample: number[] = [];
  for (let k = 0; k < values.length; k += stride) {
    const v = values[k]!;
    if (signed ? v !== 0 : v > 0) sample.push(v); // zeros are exact for every scale
  }
  const qmin = signed ? -qmax : 0;
  let best = maxAbs / qmax;
  let bestErr = Infinity;
  for (let k = 100; k >= 2; k--) {
    const s = (maxAbs * k) / 100 / qmax;
    let err = 0;
    for (let t = 0; t < sample.length; t++) {
      const v = sample[t]!;
      let q = Math.round(v / s);
      q = q < qmin ? qmin : q > qmax ? qmax : q;
      const e = v - s * q;
      err += e * e;
    }
    if (err < bestErr) {
      bestErr = err;
      best = s;
    }
  }
  return best;
}

function dataRange(X: DenseMatrix): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  const d = X.data;
  for (let k = 0; k < d.length; k++) {
    const v = d[k]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!(lo <= hi)) return [0, 1];
  return [lo, hi];
}

function resolveWeightBits(weightBits: number | readonly number[] | undefined, nLayers: number): number[] {
  const bits = typeof weightBits === "number" || weightBits === undefined ? new Array<number>(nLayers).fill(weightBits ?? 4) : [...weightBits];
  if (bits.length !== nLayers) throw new RangeError(`weightBits has ${bits.length} entries for ${nLayers} layers.`);
  for (const b of bits) {
    checkBits(b, "weightBits");
    if (b < 2) throw new RangeError("weightBits must be at least 2 (signed symmetric weights).");
  }
  return bits;
}

// ---------------------------------------------------------------------------------------------
// Training
// ---------------------------------------------------------------------------------------------

interface TrainLayer {
  readonly nIn: number;
  readonly nOut: number;
  readonly hidden: boolean;
  readonly qmaxW: number; // 2^(b−1) − 1
  readonly qmaxA: number; // 2^bits − 1 of the activation quantizer (hidden layers)
  readonly w: Float32Array; // nIn × nOut (transposed)
  readonly b: Float32Array;
  readonly wq: Float32Array; // fake-quantized weights used by the forward pass
  readonly bq: Float32Array;
  readonly gw: Float32Array;
  readonly gb: Float32Array;
  readonly mw: Float32Array;
  readonly vw: Float32Array;
  readonly mb: Float32Array;
  readonly vb: Float32Array;
  readonly z: Float32Array; // batch × nOut pre-activations
  readonly a: Float32Array; // batch × nOut outputs (fake-quantized activations; logits for the last layer)
  readonly dz: Float32Array;
  logSw: number;
  gSw: number;
  mSw: number;
  vSw: number;
  logSa: number;
  gSa: number;
  mSa: number;
  vSa: number;
}

const ADAM_B1 = 0.9;
const ADAM_B2 = 0.999;
const ADAM_EPS = 1e-8;

/**
 * z = bq + x · wq for a batch: x is batch × nIn, wq is nIn × nOut (transposed weights), z is
 * batch × nOut. Zero inputs are skipped; four non-zero inputs are folded per pass over z.
 */
function affineForward(x: Float32Array, batch: number, nIn: number, nOut: number, wq: Float32Array, bq: Float32Array, z: Float32Array, idx: Int32Array, val: Float64Array): void {
  for (let n = 0; n < batch; n++) {
    const zo = n * nOut;
    const xo = n * nIn;
    let cnt = 0;
    for (let i = 0; i < nIn; i++) {
      const v = x[xo + i]!;
      if (v !== 0) {
        idx[cnt] = i * nOut;
        val[cnt] = v;
        cnt++;
      }
    }
    z.set(bq, zo);
    let k = 0;
    for (; k + 4 <= cnt; k += 4) {
      const o0 = idx[k]!, o1 = idx[k + 1]!, o2 = idx[k + 2]!, o3 = idx[k + 3]!;
      const v0 = val[k]!, v1 = val[k + 1]!, v2 = val[k + 2]!, v3 = val[k + 3]!;
      for (let j = 0; j < nOut; j++) {
        z[zo + j] += v0 * wq[o0 + j]! + v1 * wq[o1 + j]! + v2 * wq[o2 + j]! + v3 * wq[o3 + j]!;
      }
    }
    for (; k < cnt; k++) {
      const o = idx[k]!;
      const v = val[k]!;
      for (let j = 0; j < nOut; j++) z[zo + j] += v * wq[o + j]!;
    }
  }
}

/** gw (nIn × nOut) += xᵀ · dz, skipping zero inputs; four samples folded per pass over a row of gw. */
function weightGradient(x: Float32Array, batch: number, nIn: number, nOut: number, dz: Float32Array, gw: Float32Array, idx: Int32Array, val: Float64Array): void {
  for (let i = 0; i < nIn; i++) {
    let cnt = 0;
    for (let n = 0; n < batch; n++) {
      const v = x[n * nIn + i]!;
      if (v !== 0) {
        idx[cnt] = n * nOut;
        val[cnt] = v;
        cnt++;
      }
    }
    if (cnt === 0) continue;
    const go = i * nOut;
    let k = 0;
    for (; k + 4 <= cnt; k += 4) {
      const o0 = idx[k]!, o1 = idx[k + 1]!, o2 = idx[k + 2]!, o3 = idx[k + 3]!;
      const v0 = val[k]!, v1 = val[k + 1]!, v2 = val[k + 2]!, v3 = val[k + 3]!;
      for (let j = 0; j < nOut; j++) {
        gw[go + j] += v0 * dz[o0 + j]! + v1 * dz[o1 + j]! + v2 * dz[o2 + j]! + v3 * dz[o3 + j]!;
      }
    }
    for (; k < cnt; k++) {
      const o = idx[k]!;
      const v = val[k]!;
      for (let j = 0; j < nOut; j++) gw[go + j] += v * dz[o + j]!;
    }
  }
}

/** z[n][j] += fraction·(max_n z[·][j] − min_n z[·][j])·N(0, 1): noise scaled to each neuron's batch range. */
function addRangeNoise(z: Float32Array, batch: number, width: number, fraction: number, rng: Rng): void {
  for (let j = 0; j < width; j++) {
    let lo = Infinity, hi = -Infinity;
    for (let n = 0; n < batch; n++) {
      const v = z[n * width + j]!;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    const sd = fraction * (hi - lo);
    if (sd > 0) for (let n = 0; n < batch; n++) z[n * width + j] += sd * rng.normal();
  }
}

function adamUpdate(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, stepSize: number, decay: number): void {
  for (let k = 0; k < p.length; k++) {
    const gk = g[k]!;
    const mk = ADAM_B1 * m[k]! + (1 - ADAM_B1) * gk;
    const vk = ADAM_B2 * v[k]! + (1 - ADAM_B2) * gk * gk;
    m[k] = mk;
    v[k] = vk;
    p[k] = p[k]! * decay - (stepSize * mk) / (Math.sqrt(vk) + ADAM_EPS);
  }
}

/**
 * Trains a fully connected ReLU network for classification with quantization-aware training and
 * returns the integer network (plus its latent float parameters). Deterministic given `seed`.
 */
export function trainQuantizedMlp(X: DenseMatrix, y: Int32Array, opts: TrainMlpOptions): TrainMlpResult {
  const nSamples = X.rows;
  const nFeatures = X.cols;
  if (y.length !== nSamples) throw new RangeError(`X has ${nSamples} rows but y has ${y.length} labels.`);
  if (nSamples === 0 || nFeatures === 0) throw new RangeError("Training needs at least one sample and one feature.");
  const nClasses = opts.nClasses;
  if (!Number.isInteger(nClasses) || nClasses < 2) throw new RangeError(`nClasses must be an integer ≥ 2, got ${nClasses}.`);
  for (let n = 0; n < nSamples; n++) {
    const c = y[n]!;
    if (!(c >= 0 && c < nClasses)) throw new RangeError(`Label ${c} of row ${n} is outside 0..${nClasses - 1}.`);
  }
  for (const h of opts.hidden) if (!Number.isInteger(h) || h < 1) throw new RangeError(`Hidden widths must be positive integers, got ${h}.`);
  const sizes = [nFeatures, ...opts.hidden, nClasses];
  const nLayers = sizes.length - 1;
  const inputBits = opts.inputBits ?? 4;
  const weightBits = resolveWeightBits(opts.weightBits, nLayers);
  const activationBits = opts.activationBits ?? 4;
  checkBits(activationBits, "activationBits");
  const epochs = opts.epochs ?? 20;
  const warmupEpochs = Math.min(epochs, opts.warmupEpochs ?? Math.max(1, Math.round(epochs / 10)));
  const batchSize = Math.max(1, Math.min(nSamples, opts.batchSize ?? 64));
  const lr = opts.learningRate ?? 2e-3;
  const weightDecay = opts.weightDecay ?? 0;
  const rng = new Rng(opts.seed ?? 1);
  const noiseRng = new Rng((opts.seed ?? 1) ^ 0x5eed);
  const accumulatorNoise = opts.accumulatorNoise ?? 2 ** -8;
  const [lo, hi] = opts.inputRange ?? dataRange(X);
  const inQ = inputQuantizer(lo, hi, inputBits);

  // Quantized (then dequantized) inputs, computed once: the input quantizer is fixed.
  const xq = new Float32Array(nSamples * nFeatures);
  for (let k = 0; k < xq.length; k++) xq[k] = inQ.scale * (quantize(X.data[k]!, inQ) - inQ.zeroPoint);

  const maxWidth = Math.max(...sizes);
  const layers: TrainLayer[] = [];
  for (let l = 0; l < nLayers; l++) {
    const nIn = sizes[l]!;
    const nOut = sizes[l + 1]!;
    const hidden = l < nLayers - 1;
    const w = new Float32Array(nIn * nOut);
    const std = Math.sqrt((hidden ? 2 : 1) / nIn); // He init for ReLU layers
    for (let k = 0; k < w.length; k++) w[k] = std * rng.normal();
    const n = nIn * nOut;
    layers.push({
      nIn, nOut, hidden,
      qmaxW: 2 ** (weightBits[l]! - 1) - 1,
      qmaxA: 2 ** activationBits - 1,
      w, b: new Float32Array(nOut),
      wq: new Float32Array(n), bq: new Float32Array(nOut),
      gw: new Float32Array(n), gb: new Float32Array(nOut),
      mw: new Float32Array(n), vw: new Float32Array(n), mb: new Float32Array(nOut), vb: new Float32Array(nOut),
      z: new Float32Array(batchSize * nOut), a: new Float32Array(batchSize * nOut), dz: new Float32Array(batchSize * nOut),
      logSw: 0, gSw: 0, mSw: 0, vSw: 0,
      logSa: 0, gSa: 0, mSa: 0, vSa: 0,
    });
  }
  const xb = new Float32Array(batchSize * nFeatures);
  const yb = new Int32Array(batchSize);
  const idx = new Int32Array(Math.max(maxWidth, batchSize));
  const val = new Float64Array(Math.max(maxWidth, batchSize));
  const order = new Int32Array(nSamples);
  for (let n = 0; n < nSamples; n++) order[n] = n;

  let quantOn = false;
  const inScaleOf = (l: number): number => (l === 0 ? inQ.scale : Math.exp(layers[l - 1]!.logSa));

  /** Sets wq/bq from w/b: fake-quantized when quantization is on, copies otherwise. */
  const prepareWeights = (): void => {
    for (let l = 0; l < nLayers; l++) {
      const L = layers[l]!;
      if (!quantOn) {
        L.wq.set(L.w);
        L.bq.set(L.b);
        continue;
      }
      const sw = Math.exp(L.logSw);
      const qmax = L.qmaxW;
      for (let k = 0; k < L.w.length; k++) L.wq[k] = sw * weightCode(L.w[k]!, sw, qmax);
      const sAcc = inScaleOf(l) * sw;
      for (let j = 0; j < L.nOut; j++) L.bq[j] = sAcc * biasCode(L.b[j]!, inScaleOf(l), sw);
    }
  };

  /** Forward of one batch (inputs in xb); fills z and a of every layer. */
  const forward = (batch: number, training = false): void => {
    let x: Float32Array = xb;
    for (let l = 0; l < nLayers; l++) {
      const L = layers[l]!;
      affineForward(x, batch, L.nIn, L.nOut, L.wq, L.bq, L.z, idx, val);
      const m = batch * L.nOut;
      if (training && quantOn && L.hidden && accumulatorNoise > 0) addRangeNoise(L.z, batch, L.nOut, accumulatorNoise, noiseRng);
      if (L.hidden) {
        if (quantOn) {
          const sa = Math.exp(L.logSa);
          const qmax = L.qmaxA;
          for (let k = 0; k < m; k++) {
            const zk = L.z[k]!;
            if (zk <= 0) {
              L.a[k] = 0;
            } else {
              const q = Math.round(zk / sa);
              L.a[k] = sa * (q > qmax ? qmax : q);
            }
          }
        } else {
          for (let k = 0; k < m; k++) {
            const zk = L.z[k]!;
            L.a[k] = zk > 0 ? zk : 0;
          }
        }
      } else {
        L.a.set(L.z.subarray(0, m));
      }
      x = L.a;
    }
  };

  /** Softmax cross-entropy of the batch: sets dz of the last layer; returns [loss sum, correct]. */
  const lossGradient = (batch: number): [number, number] => {
    const L = layers[nLayers - 1]!;
    const C = L.nOut;
    let loss = 0;
    let correct = 0;
    const inv = 1 / batch;
    for (let n = 0; n < batch; n++) {
      const o = n * C;
      let max = -Infinity;
      let arg = 0;
      for (let c = 0; c < C; c++) {
        const v = L.z[o + c]!;
        if (v > max) {
          max = v;
          arg = c;
        }
      }
      let sum = 0;
      for (let c = 0; c < C; c++) {
        const e = Math.exp(L.z[o + c]! - max);
        L.dz[o + c] = e;
        sum += e;
      }
      const label = yb[n]!;
      if (arg === label) correct++;
      loss += Math.log(sum) - (L.z[o + label]! - max);
      for (let c = 0; c < C; c++) L.dz[o + c] = (L.dz[o + c]! / sum - (c === label ? 1 : 0)) * inv;
    }
    return [loss, correct];
  };

  /** Backward pass: gradients of w, b and the log-scales from dz of the last layer. */
  const backward = (batch: number): void => {
    for (let l = nLayers - 1; l >= 0; l--) {
      const L = layers[l]!;
      const x = l === 0 ? xb : layers[l - 1]!.a;
      const nIn = L.nIn;
      const nOut = L.nOut;
      L.gw.fill(0);
      L.gb.fill(0);
      for (let n = 0; n < batch; n++) {
        const o = n * nOut;
        for (let j = 0; j < nOut; j++) L.gb[j] += L.dz[o + j]!;
      }
      weightGradient(x, batch, nIn, nOut, L.dz, L.gw, idx, val);
      if (l > 0) {
        // Through the activation of the previous layer: dA = dz · wqᵀ, then ReLU / LSQ.
        const P = layers[l - 1]!;
        const sa = Math.exp(P.logSa);
        const qmax = P.qmaxA;
        let gSa = 0;
        for (let n = 0; n < batch; n++) {
          const zo = n * nIn;
          const dzo = n * nOut;
          for (let i = 0; i < nIn; i++) {
            const zp = P.z[zo + i]!;
            if (zp <= 0) {
              P.dz[zo + i] = 0;
              continue;
            }
            const wo = i * nOut;
            let d = 0;
            for (let j = 0; j < nOut; j++) d += L.wq[wo + j]! * L.dz[dzo + j]!;
            if (!quantOn) {
              P.dz[zo + i] = d;
            } else {
              const r = zp / sa;
              if (r >= qmax) {
                P.dz[zo + i] = 0;
                gSa += d * qmax;
              } else {
                P.dz[zo + i] = d;
                gSa += d * (Math.round(r) - r);
              }
            }
          }
        }
        P.gSa = gSa * sa; // d/d(log s) = s · d/ds
      }
      if (quantOn) {
        // STE through the weight rounding; LSQ gradient of the weight step size.
        const sw = Math.exp(L.logSw);
        const qmax = L.qmaxW;
        let gSw = 0;
        for (let k = 0; k < L.w.length; k++) {
          const g = L.gw[k]!;
          if (g === 0) continue;
          const r = L.w[k]! / sw;
          if (r > qmax) {
            gSw += g * qmax;
            L.gw[k] = 0;
          } else if (r < -qmax) {
            gSw -= g * qmax;
            L.gw[k] = 0;
          } else {
            gSw += g * (Math.round(r) - r);
          }
        }
        L.gSw = gSw * sw;
      }
    }
  };

  /** Switches quantization on: initial weight and activation step sizes by MSE search. */
  const initScales = (): void => {
    for (let l = 0; l < nLayers; l++) {
      const L = layers[l]!;
      L.logSw = Math.log(mseScale(L.w, L.qmaxW, true));
    }
    // Activation scales, layer by layer, on a calibration subset with the earlier layers quantized.
    const calib = Math.min(nSamples, 2048);
    const zs: Float32Array[] = layers.map((L) => new Float32Array(calib * L.nOut));
    for (let l = 0; l < nLayers - 1; l++) {
      quantOn = true;
      // layers ≥ l are not yet meaningful; only layers < l use their (already set) scales.
      for (let start = 0; start < calib; start += batchSize) {
        const batch = Math.min(batchSize, calib - start);
        for (let n = 0; n < batch; n++) xb.set(xq.subarray(order[start + n]! * nFeatures, (order[start + n]! + 1) * nFeatures), n * nFeatures);
        prepareWeights();
        forward(batch);
        zs[l]!.set(layers[l]!.z.subarray(0, batch * layers[l]!.nOut), start * layers[l]!.nOut);
      }
      const Z = zs[l]!;
      for (let k = 0; k < Z.length; k++) if (Z[k]! < 0) Z[k] = 0;
      layers[l]!.logSa = Math.log(mseScale(Z, layers[l]!.qmaxA, false));
    }
    quantOn = true;
  };

  let step = 0; // Adam steps taken
  const stepsPerEpoch = Math.ceil(nSamples / batchSize);
  const quantSteps = (epochs - warmupEpochs) * stepsPerEpoch;
  let quantStep = 0;
  for (let epoch = 0; epoch < epochs; epoch++) {
    if (epoch === warmupEpochs) initScales();
    rng.shuffle(order);
    let lossSum = 0;
    let correct = 0;
    for (let start = 0; start < nSamples; start += batchSize) {
      const batch = Math.min(batchSize, nSamples - start);
      for (let n = 0; n < batch; n++) {
        const r = order[start + n]!;
        xb.set(xq.subarray(r * nFeatures, (r + 1) * nFeatures), n * nFeatures);
        yb[n] = y[r]!;
      }
      prepareWeights();
      forward(batch, true);
      const [ls, c] = lossGradient(batch);
      lossSum += ls;
      correct += c;
      backward(batch);
      // Learning rate: constant during warm-up, cosine decay over the quantized epochs.
      let rate = lr;
      if (quantOn && quantSteps > 0) {
        rate = lr * 0.5 * (1 + Math.cos((Math.PI * quantStep) / quantSteps));
        quantStep++;
      }
      step++;
      const stepSize = (rate * Math.sqrt(1 - ADAM_B2 ** step)) / (1 - ADAM_B1 ** step);
      const decay = 1 - rate * weightDecay;
      for (const L of layers) {
        adamUpdate(L.w, L.gw, L.mw, L.vw, stepSize, decay);
        adamUpdate(L.b, L.gb, L.mb, L.vb, stepSize, 1);
        if (quantOn) {
          // Log step sizes: Adam moves them by ≈ rate (relative) per step.
          L.mSw = ADAM_B1 * L.mSw + (1 - ADAM_B1) * L.gSw;
          L.vSw = ADAM_B2 * L.vSw + (1 - ADAM_B2) * L.gSw * L.gSw;
          L.logSw -= (stepSize * L.mSw) / (Math.sqrt(L.vSw) + ADAM_EPS);
          if (L.hidden) {
            L.mSa = ADAM_B1 * L.mSa + (1 - ADAM_B1) * L.gSa;
            L.vSa = ADAM_B2 * L.vSa + (1 - ADAM_B2) * L.gSa * L.gSa;
            L.logSa -= (stepSize * L.mSa) / (Math.sqrt(L.vSa) + ADAM_EPS);
          }
        }
      }
    }
    opts.onEpoch?.(epoch + 1, lossSum / nSamples, correct / nSamples);
  }
  if (!quantOn) initScales(); // epochs === warmupEpochs: post-training quantization of the float net

  // Export.
  const qLayers: QuantizedMlp["layers"][number][] = [];
  const activations: UniformQuantizer[] = [];
  const floatLayers: MlpLayerParams[] = [];
  for (let l = 0; l < nLayers; l++) {
    const L = layers[l]!;
    const sw = Math.exp(L.logSw);
    const weights = new Int32Array(L.nOut * L.nIn);
    const fw = new Float64Array(L.nOut * L.nIn);
    for (let i = 0; i < L.nIn; i++) {
      for (let j = 0; j < L.nOut; j++) {
        const w = L.w[i * L.nOut + j]!;
        weights[j * L.nIn + i] = weightCode(w, sw, L.qmaxW);
        fw[j * L.nIn + i] = w;
      }
    }
    const bias = Float64Array.from(L.b);
    qLayers.push({ weights, rows: L.nOut, cols: L.nIn, weightBits: weightBits[l]!, weightScale: sw, bias });
    if (L.hidden) activations.push({ bits: activationBits, scale: Math.exp(L.logSa), zeroPoint: 0, signed: false });
    floatLayers.push({ weights: denseMatrix(L.nOut, L.nIn, fw), bias: Float64Array.from(L.b), activation: L.hidden ? "relu" : "identity" });
  }
  return { quantized: { input: inQ, layers: qLayers, activations }, float: { layers: floatLayers } };
}

// ---------------------------------------------------------------------------------------------
// Forward passes
// ---------------------------------------------------------------------------------------------

function checkQuantizedMlp(model: QuantizedMlp, cols: number): void {
  const n = model.layers.length;
  if (n === 0) throw new RangeError("The quantized MLP has no layers.");
  if (model.activations.length !== n - 1) throw new RangeError(`${n} layers need ${n - 1} activation quantizers, got ${model.activations.length}.`);
  let width = cols;
  model.layers.forEach((L, l) => {
    if (L.cols !== width) throw new RangeError(`Layer ${l} takes ${L.cols} inputs but receives ${width}.`);
    if (L.weights.length !== L.rows * L.cols) throw new RangeError(`Layer ${l}: ${L.rows}×${L.cols} weights need ${L.rows * L.cols} values, got ${L.weights.length}.`);
    if (L.bias.length !== L.rows) throw new RangeError(`Layer ${l}: ${L.rows} outputs need ${L.rows} biases, got ${L.bias.length}.`);
    width = L.rows;
  });
}

/**
 * The integer reference forward of a QuantizedMlp (types.ts), i.e. what the FHE circuit computes:
 * integer accumulators Σ w·(u − zeroPoint) + round(bias / (Q.scale · weightScale)), hidden
 * activations re-quantized from Q.scale · weightScale · acc, logits Q.scale · weightScale · acc.
 */
export function quantizedMlpForward(model: QuantizedMlp, X: DenseMatrix): QuantizedForward {
  checkQuantizedMlp(model, X.cols);
  const rows = X.rows;
  let u = new Int32Array(rows * X.cols);
  for (let k = 0; k < u.length; k++) u[k] = quantize(X.data[k]!, model.input);
  let inQ: UniformQuantizer = model.input;
  const accumulators: Int32Array[] = [];
  let logits = denseMatrix(rows, 0);
  const nLayers = model.layers.length;
  for (let l = 0; l < nLayers; l++) {
    const L = model.layers[l]!;
    const nIn = L.cols;
    const nOut = L.rows;
    const wt = new Float64Array(nIn * nOut); // transposed: in × out
    for (let j = 0; j < nOut; j++) for (let i = 0; i < nIn; i++) wt[i * nOut + j] = L.weights[j * nIn + i]!;
    const biasInt = new Float64Array(nOut);
    for (let j = 0; j < nOut; j++) biasInt[j] = biasCode(L.bias[j]!, inQ.scale, L.weightScale);
    const acc = new Float64Array(rows * nOut); // exact: integers far below 2^53
    const zp = inQ.zeroPoint;
    for (let n = 0; n < rows; n++) {
      const ao = n * nOut;
      acc.set(biasInt, ao);
      const uo = n * nIn;
      for (let i = 0; i < nIn; i++) {
        const d = u[uo + i]! - zp;
        if (d === 0) continue;
        const wo = i * nOut;
        for (let j = 0; j < nOut; j++) acc[ao + j] += d * wt[wo + j]!;
      }
    }
    const accInt = new Int32Array(rows * nOut);
    for (let k = 0; k < acc.length; k++) {
      const v = acc[k]!;
      if (v > 2147483647 || v < -2147483647) throw new RangeError(`Layer ${l}: accumulator ${v} does not fit in 32 bits.`);
      accInt[k] = v;
    }
    accumulators.push(accInt);
    const sAcc = inQ.scale * L.weightScale;
    if (l < nLayers - 1) {
      const actQ = model.activations[l]!;
      const next = new Int32Array(rows * nOut);
      for (let k = 0; k < next.length; k++) next[k] = quantize(Math.max(0, sAcc * accInt[k]!), actQ);
      u = next;
      inQ = actQ;
    } else {
      const out = new Float64Array(rows * nOut);
      for (let k = 0; k < out.length; k++) out[k] = sAcc * accInt[k]!;
      logits = denseMatrix(rows, nOut, out);
    }
  }
  return { logits, accumulators };
}

/** The float forward h_{l+1} = act_l(W_l h_l + b_l); returns the outputs of the last layer. */
export function floatMlpForward(params: MlpParams, X: DenseMatrix): DenseMatrix {
  let h = X;
  for (const [l, L] of params.layers.entries()) {
    const nIn = L.weights.cols;
    const nOut = L.weights.rows;
    if (h.cols !== nIn) throw new RangeError(`Layer ${l} takes ${nIn} inputs but receives ${h.cols}.`);
    if (L.bias.length !== nOut) throw new RangeError(`Layer ${l}: ${nOut} outputs need ${nOut} biases, got ${L.bias.length}.`);
    const W = L.weights.data;
    const out = new Float64Array(h.rows * nOut);
    for (let n = 0; n < h.rows; n++) {
      const xo = n * nIn;
      for (let j = 0; j < nOut; j++) {
        const wo = j * nIn;
        let s = L.bias[j]!;
        for (let i = 0; i < nIn; i++) s += W[wo + i]! * h.data[xo + i]!;
        out[n * nOut + j] = L.activation === "relu" && s < 0 ? 0 : s;
      }
    }
    h = denseMatrix(h.rows, nOut, out);
  }
  return h;
}

/** Index of the largest entry of each row (the predicted class of each row of logits). */
export function argmaxRows(m: DenseMatrix): Int32Array {
  const out = new Int32Array(m.rows);
  for (let r = 0; r < m.rows; r++) {
    let best = 0;
    let max = -Infinity;
    for (let c = 0; c < m.cols; c++) {
      const v = m.data[r * m.cols + c]!;
      if (v > max) {
        max = v;
        best = c;
      }
    }
    out[r] = best;
  }
  return out;
}

/** Fraction of rows whose argmax equals the label. */
export function classificationAccuracy(logits: DenseMatrix, y: ArrayLike<number>): number {
  if (y.length !== logits.rows) throw new RangeError(`${logits.rows} rows of logits but ${y.length} labels.`);
  const pred = argmaxRows(logits);
  let correct = 0;
  for (let r = 0; r < pred.length; r++) if (pred[r] === y[r]) correct++;
  return logits.rows === 0 ? 0 : correct / logits.rows;
}

// ---------------------------------------------------------------------------------------------
// Post-training quantization
// ---------------------------------------------------------------------------------------------

/** Folds every hidden identity layer into the next layer (W₂(W₁x + b₁) + b₂), leaving ReLU layers and a final identity layer. */
function foldIdentityLayers(float: MlpParams): MlpLayerParams[] {
  const out: MlpLayerParams[] = [];
  let pending: MlpLayerParams | undefined;
  for (const L of float.layers) {
    let cur = L;
    if (pending !== undefined) {
      const A = pending.weights; // m × k
      const B = cur.weights; // n × m
      if (B.cols !== A.rows) throw new RangeError(`Layer widths do not chain: ${A.rows} outputs feed ${B.cols} inputs.`);
      const W = new Float64Array(B.rows * A.cols);
      const b = Float64Array.from(cur.bias);
      for (let j = 0; j < B.rows; j++) {
        for (let m = 0; m < B.cols; m++) {
          const bjm = B.data[j * B.cols + m]!;
          if (bjm === 0) continue;
          b[j] += bjm * pending.bias[m]!;
          for (let i = 0; i < A.cols; i++) W[j * A.cols + i] += bjm * A.data[m * A.cols + i]!;
        }
      }
      cur = { weights: denseMatrix(B.rows, A.cols, W), bias: b, activation: cur.activation };
      pending = undefined;
    }
    if (cur.activation === "identity") pending = cur;
    else out.push(cur);
  }
  if (pending === undefined) throw new RangeError("The last layer of the MLP must be linear (activation \"identity\"): the quantized MLP outputs logits.");
  out.push(pending);
  return out;
}

/**
 * Post-training quantization of a float MLP (e.g. imported from ONNX): the input quantizer spans
 * the calibration data (or opts.inputRange); weight step sizes minimise the weight quantization
 * MSE per layer; activation step sizes minimise the quantization MSE of the ReLU outputs, measured
 * on the calibration data with all earlier layers already quantized. Hidden identity layers are
 * folded into the following layer.
 */
export function quantizeMlp(float: MlpParams, calibration: DenseMatrix, opts: QuantizeMlpOptions): QuantizedMlp {
  const layers = foldIdentityLayers(float);
  if (calibration.rows === 0) throw new RangeError("Calibration needs at least one row.");
  if (layers[0]!.weights.cols !== calibration.cols) throw new RangeError(`The MLP takes ${layers[0]!.weights.cols} inputs but the calibration data has ${calibration.cols} columns.`);
  const weightBits = resolveWeightBits(opts.weightBits, layers.length);
  checkBits(opts.activationBits, "activationBits");
  const [lo, hi] = opts.inputRange ?? dataRange(calibration);
  const input = inputQuantizer(lo, hi, opts.inputBits);
  const rows = calibration.rows;
  // Dequantized inputs of the current layer.
  let x = new Float64Array(rows * calibration.cols);
  for (let k = 0; k < x.length; k++) x[k] = input.scale * (quantize(calibration.data[k]!, input) - input.zeroPoint);
  let inScale = input.scale;
  const qLayers: QuantizedMlp["layers"][number][] = [];
  const activations: UniformQuantizer[] = [];
  for (let l = 0; l < layers.length; l++) {
    const L = layers[l]!;
    const nIn = L.weights.cols;
    const nOut = L.weights.rows;
    if (L.bias.length !== nOut) throw new RangeError(`Layer ${l}: ${nOut} outputs need ${nOut} biases, got ${L.bias.length}.`);
    const qmaxW = 2 ** (weightBits[l]! - 1) - 1;
    const sw = mseScale(L.weights.data, qmaxW, true);
    const weights = new Int32Array(nOut * nIn);
    for (let k = 0; k < weights.length; k++) weights[k] = weightCode(L.weights.data[k]!, sw, qmaxW);
    qLayers.push({ weights, rows: nOut, cols: nIn, weightBits: weightBits[l]!, weightScale: sw, bias: Float64Array.from(L.bias) });
    if (l === layers.length - 1) break;
    // Pre-activations of the quantized layer on the calibration data, then the activation scale.
    const sAcc = inScale * sw;
    const z = new Float64Array(rows * nOut);
    for (let n = 0; n < rows; n++) {
      for (let j = 0; j < nOut; j++) {
        let acc = biasCode(L.bias[j]!, inScale, sw) * sAcc;
        for (let i = 0; i < nIn; i++) acc += x[n * nIn + i]! * (sw * weights[j * nIn + i]!);
        z[n * nOut + j] = acc > 0 ? acc : 0;
      }
    }
    const qmaxA = 2 ** opts.activationBits - 1;
    const act: UniformQuantizer = { bits: opts.activationBits, scale: mseScale(z, qmaxA, false), zeroPoint: 0, signed: false };
    activations.push(act);
    const [, qhi] = quantizerRange(act);
    for (let k = 0; k < z.length; k++) {
      const q = Math.round(z[k]! / act.scale);
      z[k] = act.scale * (q > qhi ? qhi : q);
    }
    x = z;
    inScale = act.scale;
  }
  return { input, layers: qLayers, activations };
}
