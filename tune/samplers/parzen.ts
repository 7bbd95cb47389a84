import type { Rng } from '../../tensor/random.js';
import type { ParamValue, Distribution } from '../distributions.js';
import { snap } from '../distributions.js';
import { logNormalMass, logNormalPdf, logSumExp, ndtr, ndtri } from './normal.js';

/**
 * One parameter on the scale the estimator works on: log for log-scale parameters, the choice
 * index for categoricals. A stepped parameter's range is widened by half a step each side and
 * its density is the kernel's mass over the value's bin.
 */
export type Axis =
  | { kind: 'numeric'; low: number; high: number; step: number | null; log: boolean; distribution: Distribution }
  | { kind: 'categorical'; choices: ParamValue[] };

export function axisOf(d: Distribution): Axis {
  if (d.type === 'categorical') return { kind: 'categorical', choices: d.choices };
  if (d.log) {
    const pad = d.type === 'int' ? 0.5 : 0;
    return { kind: 'numeric', low: Math.log(d.low - pad), high: Math.log(d.high + pad), step: null, log: true, distribution: d };
  }
  const step = d.step;
  const half = step == null ? 0 : step / 2;
  return { kind: 'numeric', low: d.low - half, high: d.high + half, step, log: false, distribution: d };
}

/** The value on the axis' scale, or null when it lies outside what the axis can hold. */
export function toAxis(axis: Axis, value: ParamValue): number | null {
  if (axis.kind === 'categorical') {
    const i = axis.choices.findIndex((c) => c === value);
    return i < 0 ? null : i;
  }
  if (typeof value !== 'number') return null;
  const x = axis.log ? Math.log(value) : value;
  return x >= axis.low && x <= axis.high ? x : null;
}

export function fromAxis(axis: Axis, x: number): ParamValue {
  if (axis.kind === 'categorical') return axis.choices[x];
  const d = axis.distribution as Extract<Distribution, { type: 'float' | 'int' }>;
  return snap(d, axis.log ? Math.exp(x) : x);
}

export interface ParzenOptions {
  priorWeight: number;
  considerPrior: boolean;
  considerMagicClip: boolean;
  considerEndpoints: boolean;
  /** Multivariate: one bandwidth per axis by Scott's rule, kernels shared across axes. */
  multivariate: boolean;
  /**
   * Weight each continuous kernel by its bandwidth, i.e. leave out the 1/sigma of its density, as
   * Optuna 3.1 does (its truncated-normal log-pdf has no -log(scale) term). Not a density then,
   * but measured better at picking candidates (bench/tune.ts), so TPESampler's default.
   */
  weightByBandwidth?: boolean;
}

interface NumericKernels {
  kind: 'numeric';
  axis: Extract<Axis, { kind: 'numeric' }>;
  mus: Float64Array;
  sigmas: Float64Array;
  /** log of each kernel's mass inside [low, high]. */
  logZ: Float64Array;
}

interface CategoricalKernels {
  kind: 'categorical';
  logProbs: Float64Array[];
}

/** A mixture of truncated normals (and categorical kernels), one kernel per observation plus the prior. */
export class ParzenEstimator {
  private readonly logWeights: Float64Array;
  private readonly cumulative: Float64Array;
  private readonly axes: (NumericKernels | CategoricalKernels)[];
  private readonly weightByBandwidth: boolean;

  /** `rows[i][a]` is observation i on axis a; `weights[i]` its weight before the prior is added. */
  constructor(axes: Axis[], rows: number[][], weights: readonly number[], options: ParzenOptions) {
    this.weightByBandwidth = options.weightByBandwidth ?? false;
    const withPrior = options.considerPrior || rows.length === 0;
    const raw = [...weights, ...(withPrior ? [options.priorWeight] : [])];
    const total = raw.reduce((s, w) => s + w, 0);
    this.logWeights = Float64Array.from(raw, (w) => Math.log(w / total));
    this.cumulative = new Float64Array(raw.length);
    raw.reduce((s, w, i) => (this.cumulative[i] = s + w / total), 0);
    this.axes = axes.map((axis, a) => {
      const column = rows.map((row) => row[a]);
      return axis.kind === 'categorical'
        ? categoricalKernels(axis.choices.length, column, withPrior, options.priorWeight)
        : numericKernels(axis, column, withPrior, options, axes.length);
    });
  }

  get kernelCount(): number {
    return this.logWeights.length;
  }

  sample(rng: Rng, count: number): number[][] {
    const out: number[][] = [];
    for (let n = 0; n < count; n++) {
      const k = this.pickKernel(rng.next());
      out.push(this.axes.map((ax) => (ax.kind === 'numeric' ? sampleNumeric(ax, k, rng) : sampleCategorical(ax.logProbs[k], rng))));
    }
    return out;
  }

  logPdf(row: readonly number[]): number {
    const terms = new Float64Array(this.logWeights.length);
    for (let k = 0; k < terms.length; k++) {
      let sum = this.logWeights[k];
      for (let a = 0; a < this.axes.length; a++) {
        const ax = this.axes[a];
        sum += ax.kind === 'numeric' ? numericLogPdf(ax, k, row[a]) + (this.weightByBandwidth && ax.axis.step == null ? Math.log(ax.sigmas[k]) : 0) : ax.logProbs[k][row[a]];
      }
      terms[k] = sum;
    }
    return logSumExp(terms);
  }

  private pickKernel(u: number): number {
    let lo = 0;
    let hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cumulative[mid] > u) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}

function numericKernels(
  axis: Extract<Axis, { kind: 'numeric' }>,
  observed: number[],
  withPrior: boolean,
  options: ParzenOptions,
  axisCount: number,
): NumericKernels {
  const { low, high } = axis;
  const range = high - low;
  const mus = [...observed, ...(withPrior ? [0.5 * (low + high)] : [])];
  let sigmas: number[];
  if (options.multivariate) {
    const sigma = 0.2 * Math.max(observed.length, 1) ** (-1 / (axisCount + 4)) * range;
    sigmas = mus.map(() => sigma);
  } else {
    sigmas = neighbourSigmas(mus, low, high, options.considerEndpoints);
  }
  const maxSigma = range;
  const minSigma = options.considerMagicClip ? range / Math.min(100, 1 + mus.length) : 1e-12;
  sigmas = sigmas.map((s) => Math.min(maxSigma, Math.max(minSigma, s)));
  if (withPrior) sigmas[sigmas.length - 1] = range;
  const m = Float64Array.from(mus);
  const s = Float64Array.from(sigmas.map((x) => (x > 0 ? x : 1e-12)));
  const logZ = m.map((mu, k) => logNormalMass((low - mu) / s[k], (high - mu) / s[k]));
  return { kind: 'numeric', axis, mus: m, sigmas: s, logZ };
}

/** Each kernel's bandwidth: the larger gap to its sorted neighbours (the range's ends count as neighbours). */
function neighbourSigmas(mus: number[], low: number, high: number, considerEndpoints: boolean): number[] {
  const order = mus.map((_, i) => i).sort((a, b) => mus[a] - mus[b]);
  const points = [low, ...order.map((i) => mus[i]), high];
  const sorted = order.map((_, j) => Math.max(points[j + 1] - points[j], points[j + 2] - points[j + 1]));
  if (!considerEndpoints && points.length >= 4) {
    sorted[0] = points[2] - points[1];
    sorted[sorted.length - 1] = points[points.length - 2] - points[points.length - 3];
  }
  const sigmas = new Array<number>(mus.length);
  order.forEach((i, j) => (sigmas[i] = sorted[j]));
  return sigmas;
}

function categoricalKernels(choices: number, observed: number[], withPrior: boolean, priorWeight: number): CategoricalKernels {
  const kernels = observed.length + (withPrior ? 1 : 0);
  const logProbs: Float64Array[] = [];
  for (let k = 0; k < kernels; k++) {
    const p = new Float64Array(choices).fill(priorWeight / kernels);
    if (k < observed.length) p[observed[k]] += 1;
    const sum = p.reduce((s, x) => s + x, 0);
    logProbs.push(p.map((x) => Math.log(x / sum)));
  }
  return { kind: 'categorical', logProbs };
}

function numericLogPdf(ax: NumericKernels, k: number, x: number): number {
  const mu = ax.mus[k];
  const sigma = ax.sigmas[k];
  const step = ax.axis.step;
  if (step == null) return logNormalPdf((x - mu) / sigma) - Math.log(sigma) - ax.logZ[k];
  const lo = Math.max(x - step / 2, ax.axis.low);
  const hi = Math.min(x + step / 2, ax.axis.high);
  return logNormalMass((lo - mu) / sigma, (hi - mu) / sigma) - ax.logZ[k];
}

function sampleNumeric(ax: NumericKernels, k: number, rng: Rng): number {
  const mu = ax.mus[k];
  const sigma = ax.sigmas[k];
  const a = (ax.axis.low - mu) / sigma;
  const b = (ax.axis.high - mu) / sigma;
  // Sample the upper tail as a mirrored lower tail, where ndtr keeps its precision.
  const flip = a > 0;
  const [lo, hi] = flip ? [-b, -a] : [a, b];
  const pa = ndtr(lo);
  const pb = ndtr(hi);
  let z = ndtri(pa + rng.next() * (pb - pa));
  if (!Number.isFinite(z)) z = lo;
  z = Math.min(hi, Math.max(lo, z));
  const x = mu + sigma * (flip ? -z : z);
  const axis = ax.axis;
  if (axis.step == null) return Math.min(axis.high, Math.max(axis.low, x));
  const first = axis.low + axis.step / 2;
  const last = axis.high - axis.step / 2;
  return Math.min(last, Math.max(first, first + Math.round((x - first) / axis.step) * axis.step));
}

function sampleCategorical(logProbs: Float64Array, rng: Rng): number {
  let u = rng.next();
  for (let i = 0; i < logProbs.length; i++) {
    u -= Math.exp(logProbs[i]);
    if (u < 0) return i;
  }
  return logProbs.length - 1;
}
