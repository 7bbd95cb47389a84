import * as tf from '@tensorflow/tfjs-core';

/** Mean cross-entropy of logits against target distributions. */
export function softmaxCrossEntropy(targets: tf.Tensor, logits: tf.Tensor): tf.Scalar {
  return tf.mean(tf.neg(tf.sum(tf.mul(targets, tf.logSoftmax(logits)), -1))) as tf.Scalar;
}

/** One-hot labels with label smoothing: 1 - s on the class, s / classes spread over all. */
export function smoothedOneHot(labels: tf.Tensor1D, classes: number, smoothing: number): tf.Tensor {
  return tf.tidy(() => tf.add(tf.mul(tf.oneHot(labels, classes), 1 - smoothing), smoothing / classes));
}
