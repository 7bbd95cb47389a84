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
    const axes = Array.from({ length: x.rank - 1 }, (_, i) => i);
    const { mean, variance } = tf.moments(x, axes);
    this.updateRunningStats(mean, variance, x.size / c);
    return tf.batchNorm(x, mean, variance, beta, gamma, this.eps);
  }

  private first(v: tf.Tensor, c: number): tf.Tensor1D {
    return (v.shape[0] === c ? v : tf.slice(v, [0], [c])) as tf.Tensor1D;
  }

  private updateRunningStats(mean: tf.Tensor, variance: tf.Tensor, count: number): void {
    const m = this.momentum;
    const unbiased = count > 1 ? count / (count - 1) : 1;
    tf.tidy(() => {
      for (const [buffer, batch] of [
        [this.runningMean, mean],
        [this.runningVar, tf.mul(variance, unbiased)],
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
