import * as tf from '@tensorflow/tfjs-core';

export type Reduction = 'sum' | 'mean' | 'concat' | 'none';

/**
 * Combines the selected outputs. One selected output comes back as is (the same
 * tensor); concat joins along the last axis (channels, as tensors are channels-last).
 */
export function reduceOutputs(outputs: tf.Tensor[], reduction: Reduction): tf.Tensor | tf.Tensor[] {
  if (reduction === 'none') return outputs;
  if (outputs.length === 0) throw new Error('nothing selected to reduce');
  if (outputs.length === 1) return outputs[0];
  switch (reduction) {
    case 'sum':
      return tf.addN(outputs);
    case 'mean':
      return tf.div(tf.addN(outputs), outputs.length);
    case 'concat':
      return tf.concat(outputs, -1);
  }
}

/** Applies mask weights: a weight of 1 leaves the tensor as is. */
export function weighted(outputs: tf.Tensor[], weights: number[]): tf.Tensor[] {
  return outputs.map((t, i) => (weights[i] === 1 ? t : tf.mul(t, weights[i])));
}
