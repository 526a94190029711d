// Unconstrained smooth minimization for the linear trainers: limited-memory BFGS with a weak-Wolfe
// line search. Full batch and free of randomness, so the same problem gives the same answer.

/** Returns f(x) and writes ∇f(x) into `gradient` (same length as x). */
export type Objective = (x: Float64Array, gradient: Float64Array) => number;

export interface LbfgsOptions {
  /** Maximum number of iterations (line searches); default 100. */
  readonly maxIter?: number;
  /** Number of correction pairs kept; default 10. */
  readonly memory?: number;
  /** Stop when max |∂f/∂x_i| falls below this; default 1e-6. */
  readonly gradientTolerance?: number;
  /** Stop when the relative decrease of f in one iteration falls below this; default 1e-12. */
  readonly relativeTolerance?: number;
}

export interface LbfgsResult {
  readonly x: Float64Array;
  readonly value: number;
  readonly iterations: number;
  /** True if a tolerance was met, false if maxIter ran out or the line search failed. */
  readonly converged: boolean;
}

/** Minimizes `objective` from `x0` (not modified) with L-BFGS. */
export function minimizeLbfgs(objective: Objective, x0: Float64Array, options: LbfgsOptions = {}): LbfgsResult {
  const maxIter = options.maxIter ?? 100;
  const memory = options.memory ?? 10;
  const gradientTolerance = options.gradientTolerance ?? 1e-6;
  const relativeTolerance = options.relativeTolerance ?? 1e-12;
  const n = x0.length;

  let x: Float64Array = Float64Array.from(x0);
  let gradient: Float64Array = new Float64Array(n);
  let value = objective(x, gradient);
  const history = new CorrectionHistory(n, memory);
  const direction = new Float64Array(n);

  for (let iteration = 0; iteration < maxIter; iteration++) {
    if (maxAbs(gradient) <= gradientTolerance) return { x, value, iterations: iteration, converged: true };
    history.applyInverseHessian(gradient, direction);
    for (let i = 0; i < n; i++) direction[i] = -direction[i]!;
    let slope = dot(gradient, direction);
    if (!(slope < 0)) {
      // Rounding made the quasi-Newton direction useless: restart from steepest descent.
      history.clear();
      for (let i = 0; i < n; i++) direction[i] = -gradient[i]!;
      slope = dot(gradient, direction);
    }
    // Without curvature information the first step is scaled so it moves x by about 1.
    const initialStep = history.size === 0 ? Math.min(1, 1 / Math.sqrt(dot(gradient, gradient))) : 1;
    const step = weakWolfeLineSearch(objective, x, value, slope, direction, initialStep);
    if (step === undefined) return { x, value, iterations: iteration, converged: false };

    history.push(step.x, x, step.gradient, gradient);
    const decrease = value - step.value;
    x = step.x;
    gradient = step.gradient;
    value = step.value;
    if (decrease <= relativeTolerance * Math.max(Math.abs(value), 1)) {
      return { x, value, iterations: iteration + 1, converged: true };
    }
  }
  return { x, value, iterations: maxIter, converged: maxAbs(gradient) <= gradientTolerance };
}

interface LineSearchPoint {
  readonly x: Float64Array;
  readonly value: number;
  readonly gradient: Float64Array;
}

/**
 * Finds t with f(x + t·d) ≤ f(x) + c1·t·slope (sufficient decrease) and ∇f(x + t·d)·d ≥ c2·slope
 * (enough curvature, which keeps the BFGS update positive definite), by expanding and bisecting
 * a bracket (Lewis & Overton). Returns undefined if no such step is found.
 */
function weakWolfeLineSearch(
  objective: Objective,
  x: Float64Array,
  value: number,
  slope: number,
  direction: Float64Array,
  initialStep: number,
): LineSearchPoint | undefined {
  const c1 = 1e-4;
  const c2 = 0.9;
  const n = x.length;
  let low = 0;
  let high = Infinity;
  let step = initialStep;
  let best: LineSearchPoint | undefined;
  for (let trial = 0; trial < 60; trial++) {
    const candidate = new Float64Array(n);
    for (let i = 0; i < n; i++) candidate[i] = x[i]! + step * direction[i]!;
    const gradient = new Float64Array(n);
    const candidateValue = objective(candidate, gradient);
    if (!(candidateValue <= value + c1 * step * slope)) {
      high = step;
    } else {
      best = { x: candidate, value: candidateValue, gradient };
      if (dot(gradient, direction) >= c2 * slope) return best;
      low = step;
    }
    step = high === Infinity ? 2 * low : (low + high) / 2;
  }
  // The curvature condition can fail near the optimum through rounding; any decrease still helps.
  return best !== undefined && best.value < value ? best : undefined;
}

/** The last m pairs s = x_{k+1} − x_k, y = ∇f_{k+1} − ∇f_k, in a ring buffer. */
class CorrectionHistory {
  private readonly s: Float64Array[] = [];
  private readonly y: Float64Array[] = [];
  private readonly rho: number[] = [];
  private readonly alpha: Float64Array;
  private readonly scratchS: Float64Array;
  private readonly scratchY: Float64Array;
  private start = 0;
  size = 0;

  constructor(
    private readonly n: number,
    private readonly capacity: number,
  ) {
    this.alpha = new Float64Array(capacity);
    this.scratchS = new Float64Array(n);
    this.scratchY = new Float64Array(n);
    for (let i = 0; i < capacity; i++) {
      this.s.push(new Float64Array(n));
      this.y.push(new Float64Array(n));
      this.rho.push(0);
    }
  }

  clear(): void {
    this.size = 0;
    this.start = 0;
  }

  push(xNew: Float64Array, xOld: Float64Array, gNew: Float64Array, gOld: Float64Array): void {
    const s = this.scratchS;
    const y = this.scratchY;
    for (let i = 0; i < this.n; i++) {
      s[i] = xNew[i]! - xOld[i]!;
      y[i] = gNew[i]! - gOld[i]!;
    }
    const sy = dot(s, y);
    // A pair without positive curvature would break positive definiteness: skip it.
    if (!(sy > 1e-12 * Math.sqrt(dot(s, s) * dot(y, y)))) return;
    // When full, the slot after the newest is the oldest pair, which this one replaces.
    const slot = (this.start + this.size) % this.capacity;
    this.s[slot]!.set(s);
    this.y[slot]!.set(y);
    this.rho[slot] = 1 / sy;
    if (this.size < this.capacity) this.size++;
    else this.start = (this.start + 1) % this.capacity;
  }

  /** out = H·g with H the L-BFGS inverse-Hessian estimate (two-loop recursion). */
  applyInverseHessian(g: Float64Array, out: Float64Array): void {
    out.set(g);
    for (let k = this.size - 1; k >= 0; k--) {
      const slot = (this.start + k) % this.capacity;
      const a = this.rho[slot]! * dot(this.s[slot]!, out);
      this.alpha[k] = a;
      axpy(-a, this.y[slot]!, out);
    }
    if (this.size > 0) {
      // Scale by s·y / y·y of the newest pair: the usual estimate of the Hessian's inverse scale.
      const newest = (this.start + this.size - 1) % this.capacity;
      const y = this.y[newest]!;
      const gamma = 1 / (this.rho[newest]! * dot(y, y));
      for (let i = 0; i < this.n; i++) out[i] = out[i]! * gamma;
    }
    for (let k = 0; k < this.size; k++) {
      const slot = (this.start + k) % this.capacity;
      const b = this.rho[slot]! * dot(this.y[slot]!, out);
      axpy(this.alpha[k]! - b, this.s[slot]!, out);
    }
  }
}

function dot(a: Float64Array, b: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}

/** y += a·x */
function axpy(a: number, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < x.length; i++) y[i] = y[i]! + a * x[i]!;
}

function maxAbs(v: Float64Array): number {
  let m = 0;
  for (let i = 0; i < v.length; i++) m = Math.max(m, Math.abs(v[i]!));
  return m;
}
