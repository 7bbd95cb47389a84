import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../module.js';
import { ValueSpace, type SizeArg } from '../value_space.js';
import { jointMax, sizeNow } from './sizes.js';

export interface BatchNormOptions {
  eps?: number;
  /** Weight of the new batch in the running statistics (PyTorch convention). */
  momentum?: number;
  affine?: boolean;
}

/**
 * Elastic batch normalisation over the last (channel) axis. Statistics and affine
 * parameters are allocated at the largest width; a narrower arch uses (and, in training,
 * updates) the first `c` entries, as OFA's dynamic BN does.
 */
export abstract class BatchNormNd extends Module {
  readonly weight: tf.Variable | undefined;
  readonly bias: tf.Variable | undefined;
  readonly runningMean: tf.Variable;
  readonly runningVar: tf.Variable;
  readonly eps: number;
  readonly momentum: number;
  /**
   * When a number, training-mode forwards average the batch statistics exactly (the n-th
   * batch gets weight 1/n) instead of the exponential average: BN recalibration.
   */
  private cumulativeBatches: number | undefined;

  protected constructor(
    private readonly expectedRanks: readonly number[],
    readonly numFeatures: SizeArg,
    options: BatchNormOptions = {},
  ) {
    super();
    this.eps = options.eps ?? 1e-5;
    this.momentum = options.momentum ?? 0.1;
    if (numFeatures instanceof ValueSpace) this.registerModule('numFeatures', numFeatures);
    const n = jointMax([numFeatures], (v) => v as number);
    const affine = options.affine ?? true;
    this.weight = affine ? this.registerParameter('weight', tf.ones([n])) : undefined;
    this.bias = affine ? this.registerParameter('bias', tf.zeros([n])) : undefined;
    this.runningMean = this.registerBuffer('running_mean', tf.zeros([n]));
    this.runningVar = this.registerBuffer('running_var', tf.ones([n]));
  }

  /** Starts exact averaging of batch statistics (see `cumulativeBatches`); zeroes the running stats. */
  startRecalibration(): void {
    this.cumulativeBatches = 0;
    tf.tidy(() => {
      this.runningMean.assign(tf.zerosLike(this.runningMean));
      this.runningVar.assign(tf.onesLike(this.runningVar));
    });
  }

  endRecalibration(): void {
    this.cumulativeBatches = undefined;
  }

  forward(x: tf.Tensor): tf.Tensor {
    if (!this.expectedRanks.includes(x.rank)) {
      throw new Error(`batch norm: expected input rank ${this.expectedRanks.join(' or ')}, got ${x.rank}`);
    }
    const c = sizeNow(this.numFeatures, 'numFeatures');
    if (x.shape[x.rank - 1] !== c) {
      throw new Error(`batch norm: input has ${x.shape[x.rank - 1]} channels, the active arch expects ${c}`);
    }
    const gamma = this.weight && this.first(this.weight, c);
    const beta = this.bias && this.first(this.bias, c);
    if (!this.training) {
      return tf.batchNorm(x, this.first(this.runningMean, c), this.first(this.runningVar, c), beta, gamma, this.eps);
    }
    const { y, statistics } = batchNormTraining(x, gamma ?? tf.ones([c]), beta ?? tf.zeros([c]), this.eps);
    if (scope.recorder) scope.recorder(this, readStatistics(statistics));
    else this.updateRunningStats(statistics);
    return y;
  }

  /** Blends a batch's statistics into the running ones, as a training-mode forward does. */
  applyBatchStatistics(statistics: RecordedStatistics): void {
    this.updateRunningStats(statistics);
  }

  private first(v: tf.Tensor, c: number): tf.Tensor1D {
    return (v.shape[0] === c ? v : tf.slice(v, [0], [c])) as tf.Tensor1D;
  }

  private updateRunningStats({ mean, variance, count }: BatchStatistics): void {
    let m = this.momentum;
    if (this.cumulativeBatches !== undefined) m = 1 / ++this.cumulativeBatches;
    const unbiased = count > 1 ? count / (count - 1) : 1;
    if (mean instanceof Float64Array) {
      // Blended in float64 from values already read: no kernels.
      for (const [buffer, batch, factor] of [
        [this.runningMean, mean, 1],
        [this.runningVar, variance as Float64Array, unbiased],
      ] as const) {
        // A copy: the cpu backend's dataSync hands out the tensor's own storage.
        const values = Float32Array.from(buffer.dataSync() as Float32Array);
        for (let k = 0; k < batch.length; k++) values[k] = values[k] * (1 - m) + batch[k] * factor * m;
        buffer.assign(tf.tensor1d(values));
      }
      return;
    }
    tf.tidy(() => {
      for (const [buffer, batch] of [
        [this.runningMean, mean],
        [this.runningVar, tf.mul(variance as tf.Tensor1D, unbiased)],
      ] as const) {
        const c = batch.shape[0];
        const blended = tf.add(tf.mul(this.first(buffer, c), 1 - m), tf.mul(batch, m));
        const full = c === buffer.shape[0] ? blended : tf.concat([blended, tf.slice(buffer, [c], [buffer.shape[0] - c])]);
        buffer.assign(full);
      }
    });
  }
}

/** Input [N, C] or [N, L, C]. */
export class BatchNorm1d extends BatchNormNd {
  constructor(numFeatures: SizeArg, options: BatchNormOptions = {}) {
    super([2, 3], numFeatures, options);
  }
}

/** Input [N, H, W, C]. */
export class BatchNorm2d extends BatchNormNd {
  constructor(numFeatures: SizeArg, options: BatchNormOptions = {}) {
    super([4], numFeatures, options);
  }
}

/** Input [N, D, H, W, C]. */
export class BatchNorm3d extends BatchNormNd {
  constructor(numFeatures: SizeArg, options: BatchNormOptions = {}) {
    super([5], numFeatures, options);
  }
}

/**
 * What synchronised BN needs of data-parallel replicas: vectors summed, or gathered, in the
 * same order on every replica, so that batch statistics are those of the whole batch.
 */
export interface StatisticsReducer {
  allReduce(local: Float32Array): Float32Array;
  allGather(local: Float32Array): Float32Array[];
}

/** What training-mode batch norms do besides normalising, for the extent of a call (see the two `with` functions). */
const scope: { reducer?: StatisticsReducer; recorder?: StatisticsRecorder } = {};

function withScope<K extends keyof typeof scope, T>(key: K, value: (typeof scope)[K], fn: () => T): T {
  const previous = scope[key];
  scope[key] = value;
  try {
    return fn();
  } finally {
    scope[key] = previous;
  }
}

/** Runs `fn` (forward and backward) with every training-mode batch norm synchronised over `replicas`. */
export function withSynchronisedBatchNorm<T>(replicas: StatisticsReducer, fn: () => T): T {
  return withScope('reducer', replicas, fn);
}

/** A batch's per-channel mean and biased variance, and how many values each came from. */
export interface RecordedStatistics {
  mean: Float64Array;
  variance: Float64Array;
  count: number;
}

/** Receives what a training-mode batch norm would blend into its running statistics. */
export type StatisticsRecorder = (bn: BatchNormNd, statistics: RecordedStatistics) => void;

/**
 * Runs `fn` with every training-mode batch norm handing its batch statistics to `record`
 * instead of blending them in (replicas that split a step by subnet replay them in order).
 */
export function withStatisticsRecorder<T>(record: StatisticsRecorder, fn: () => T): T {
  return withScope('recorder', record, fn);
}

function readStatistics({ mean, variance, count }: BatchStatistics): RecordedStatistics {
  const values = (v: tf.Tensor1D | Float64Array) => (v instanceof Float64Array ? v : Float64Array.from(v.dataSync()));
  return { mean: values(mean), variance: values(variance), count };
}

/** Per-channel count, mean and sum of squared deviations. */
interface Moments {
  mean: Float64Array;
  m2: Float64Array;
  count: number;
}

/**
 * The whole batch's moments from each replica's, combined pairwise in rank order (Chan et al.):
 * one message, and no cancellation of large squares.
 */
function exchangedMoments(local: Moments, replicas: StatisticsReducer): Moments {
  const c = local.mean.length;
  const packed = new Float32Array(2 * c + 1);
  packed.set(local.mean);
  packed.set(local.m2, c);
  packed[2 * c] = local.count;
  const parts = replicas.allGather(packed);
  const mean = Float64Array.from(parts[0].subarray(0, c));
  const m2 = Float64Array.from(parts[0].subarray(c, 2 * c));
  let n = parts[0][2 * c];
  for (const part of parts.slice(1)) {
    const k = part[2 * c];
    const total = n + k;
    for (let i = 0; i < c; i++) {
      const delta = part[i] - mean[i];
      mean[i] += (delta * k) / total;
      m2[i] += part[c + i] + (delta * delta * n * k) / total;
    }
    n = total;
  }
  return { mean, m2, count: n };
}

/** Element-wise sums over the replicas of two vectors (one message). */
function reducedPair(a: ArrayLike<number>, b: ArrayLike<number>, replicas: StatisticsReducer): [Float32Array, Float32Array] {
  const c = a.length;
  const both = new Float32Array(2 * c);
  both.set(a);
  both.set(b, c);
  const total = replicas.allReduce(both);
  return [total.subarray(0, c), total.subarray(c)];
}

/** The batch's per-channel mean and (biased) variance, as tensors or as values already read. */
type BatchStatistics = { mean: tf.Tensor1D; variance: tf.Tensor1D; count: number } | { mean: Float64Array; variance: Float64Array; count: number };

/**
 * Batch normalisation with batch statistics over every axis but the last, with the
 * closed-form gradient. Under a reducer the statistics and the gradient's two sums cover
 * every replica's part of the batch. Where the backend reads synchronously (all but webgpu)
 * per-channel vectors are computed in float64 from values read, which saves most kernels.
 */
function batchNormTraining(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number): { y: tf.Tensor; statistics: BatchStatistics } {
  return tf.getBackend() === 'webgpu' ? batchNormWithOps(x, gamma, beta, eps, scope.reducer) : batchNormReadingVectors(x, gamma, beta, eps, scope.reducer);
}

/**
 * Every step a tensor op (two reductions and a few elementwise ops for the gradient): tfjs's
 * own batchNorm gradient broadcasts with Tile, which dominated a training step on wasm.
 */
export function batchNormWithOps(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number, reduce: StatisticsReducer | undefined): { y: tf.Tensor; statistics: BatchStatistics } {
  const axes = leadingAxes(x);
  let count = x.size / x.shape[x.rank - 1];
  let mean: tf.Tensor1D;
  let variance: tf.Tensor1D;
  if (reduce) {
    const local = localMoments(x, axes);
    local.centred.dispose();
    const global = exchangedMoments(local.moments, reduce);
    count = global.count;
    mean = tf.tensor1d(Float32Array.from(global.mean));
    variance = tf.tensor1d(Float32Array.from(global.m2, (v) => v / count));
  } else {
    mean = tf.mean(x, axes) as tf.Tensor1D;
    variance = tf.mean(tf.square(tf.sub(x, mean)), axes) as tf.Tensor1D;
  }
  const invStd = tf.rsqrt(tf.add(variance, eps));
  const normalise = tf.customGrad((xIn, g, b, save) => {
    const xhat = tf.mul(tf.sub(xIn as tf.Tensor, mean), invStd);
    // Everything the gradient reads must be saved: the forward scope is freed before it runs.
    (save as tf.GradSaveFunc)([xhat, g as tf.Tensor, invStd]);
    return {
      value: tf.add(tf.mul(xhat, g as tf.Tensor), b as tf.Tensor),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xh, gm, inv] = saved;
        const dBeta = tf.sum(dy, axes) as tf.Tensor1D;
        const dGamma = tf.sum(tf.mul(dy, xh), axes) as tf.Tensor1D;
        const [totalBeta, totalGamma] = reduce ? reducedPair(dBeta.dataSync(), dGamma.dataSync(), reduce).map((v) => tf.tensor1d(v)) : [dBeta, dGamma];
        // dx = gamma * invStd / N * (N * dy - sum(dy) - xhat * sum(dy * xhat)), sums over the whole batch
        const scale = tf.div(tf.mul(gm, inv), count);
        const inner = tf.sub(tf.sub(tf.mul(dy, count), totalBeta), tf.mul(xh, totalGamma));
        // The parameters' gradients stay local: replicas sum them with the rest.
        return [tf.mul(inner, scale), dGamma, dBeta];
      },
    };
  });
  return { y: normalise(x, gamma, beta) as tf.Tensor, statistics: { mean, variance, count } };
}

const leadingAxes = (x: tf.Tensor) => Array.from({ length: x.rank - 1 }, (_, i) => i);
const vector = (values: ArrayLike<number>) => tf.tensor1d(Float32Array.from(values));
const read = (t: tf.Tensor) => Float64Array.from(t.dataSync());

/** This replica's moments, and x centred on its own mean. */
function localMoments(x: tf.Tensor, axes: number[]): { moments: Moments; centred: tf.Tensor } {
  const mean = tf.mean(x, axes);
  const centred = tf.sub(x, mean);
  const m2 = tf.sum(tf.square(centred), axes);
  const moments = { mean: read(mean), m2: read(m2), count: x.size / x.shape[x.rank - 1] };
  tf.dispose([mean, m2]);
  return { moments, centred };
}

/**
 * Six kernels forward (mean, centring, square, sum, scale, shift) and seven backward, against
 * some thirty written as tensor ops throughout; the vectors between them in float64.
 * The backward pass reads xhat as the centred input times invStd.
 */
export function batchNormReadingVectors(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number, reduce: StatisticsReducer | undefined): { y: tf.Tensor; statistics: BatchStatistics } {
  const axes = leadingAxes(x);
  const local = localMoments(x, axes);
  let { centred } = local;
  const { mean, m2, count } = reduce ? exchangedMoments(local.moments, reduce) : local.moments;
  if (reduce) {
    centred.dispose();
    centred = tf.sub(x, vector(mean));
  }
  const variance = m2.map((v) => v / count);
  const invStd = variance.map((v) => 1 / Math.sqrt(v + eps));
  const g = read(gamma);
  const scale = invStd.map((s, k) => s * g[k]);
  const normalise = tf.customGrad((_x, _g, _b, save) => {
    (save as tf.GradSaveFunc)([centred]);
    return {
      value: tf.add(tf.mul(centred, vector(scale)), _b as tf.Tensor),
      gradFunc: (dy: tf.Tensor, [c]: tf.Tensor[]) => {
        const localSums = [read(tf.sum(dy, axes)), read(tf.sum(tf.mul(dy, c), axes))];
        const [sumDy, sumDyCentred] = reduce ? reducedPair(localSums[0], localSums[1], reduce) : localSums;
        // dx = gamma * invStd * (dy - sum(dy) / N - xhat * sum(dy * xhat) / N), sums over the whole batch
        const q = scale.map((s, k) => (-s * invStd[k] * invStd[k] * sumDyCentred[k]) / count);
        const shifted = tf.sub(dy, vector(sumDy.map((v) => v / count)));
        const dx = tf.add(tf.mul(shifted, vector(scale)), tf.mul(c, vector(q)));
        // The parameters' gradients stay local: replicas sum them with the rest.
        return [dx, vector(localSums[1].map((v, k) => v * invStd[k])), vector(localSums[0])];
      },
    };
  });
  const y = normalise(x, gamma, beta) as tf.Tensor;
  return { y, statistics: { mean, variance, count } };
}
