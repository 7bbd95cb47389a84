import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../module.js';
import { ValueSpace, type SizeArg } from '../value_space.js';
import { uniform } from './init.js';
import { matMulTransposedWeight } from './pointwise.js';
import { flagNow, jointMax, sizeNow, type FlagArg } from './sizes.js';

export interface LinearOptions {
  bias?: FlagArg;
}

/**
 * Elastic fully connected layer on the last axis. Weight in PyTorch layout [out, in],
 * allocated at the largest reachable size; forward uses the first `out` x `in` block.
 */
export class Linear extends Module {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable | undefined;

  constructor(
    readonly inFeatures: SizeArg,
    readonly outFeatures: SizeArg,
    readonly options: LinearOptions = {},
  ) {
    super();
    const bias = options.bias ?? true;
    for (const [name, arg] of Object.entries({ inFeatures, outFeatures, bias })) {
      if (arg instanceof ValueSpace) this.registerModule(name, arg);
    }
    const maxIn = jointMax([inFeatures], (v) => v as number);
    const maxOut = jointMax([outFeatures], (v) => v as number);
    const bound = 1 / Math.sqrt(maxIn);
    this.weight = this.registerParameter('weight', uniform([maxOut, maxIn], bound));
    this.bias = jointMax([bias], (b) => Number(b)) > 0 ? this.registerParameter('bias', uniform([maxOut], bound)) : undefined;
  }

  forward(x: tf.Tensor): tf.Tensor {
    const inF = sizeNow(this.inFeatures, 'inFeatures');
    const outF = sizeNow(this.outFeatures, 'outFeatures');
    if (x.shape[x.rank - 1] !== inF) {
      throw new Error(`linear: input has ${x.shape[x.rank - 1]} features, the active arch expects ${inF}`);
    }
    const [maxOut, maxIn] = this.weight.shape;
    const w = outF === maxOut && inF === maxIn ? this.weight : tf.slice(this.weight, [0, 0], [outF, inF]);
    const flat = x.rank === 2 ? x : tf.reshape(x, [-1, inF]);
    let y: tf.Tensor = matMulTransposedWeight(flat as tf.Tensor2D, w as tf.Tensor2D);
    if (this.bias && flagNow(this.options.bias ?? true)) {
      y = tf.add(y, outF === maxOut ? this.bias : tf.slice(this.bias, [0], [outF]));
    }
    return x.rank === 2 ? y : tf.reshape(y, [...x.shape.slice(0, -1), outF]);
  }
}
