import * as tf from '@tensorflow/tfjs-core';

export type Activation = 'relu' | 'hswish' | 'none';

/** h-sigmoid(x) = relu6(x + 3) / 6 (MobileNetV3). */
export function hardSigmoid(x: tf.Tensor): tf.Tensor {
  return tf.div(tf.relu6(tf.add(x, 3)), 6);
}

/** h-swish(x) = x * h-sigmoid(x). */
export function hardSwish(x: tf.Tensor): tf.Tensor {
  return tf.mul(x, hardSigmoid(x));
}

export function activate(x: tf.Tensor, act: Activation): tf.Tensor {
  switch (act) {
    case 'relu':
      return tf.relu(x);
    case 'hswish':
      return hardSwish(x);
    case 'none':
      return x;
  }
}

/**
 * Rounds a width to a multiple of `divisor` (MobileNet's make_divisible):
 * max(divisor, floor((v + divisor / 2) / divisor) * divisor), plus divisor when that
 * falls below 0.9 v.
 */
/** Height or width after a conv or pool of stride `stride` with 'same'-style padding (odd kernels, PyTorch's k // 2). */
export const stridedSize = (size: number, stride: number) => Math.floor((size - 1) / stride) + 1;

export function makeDivisible(v: number, divisor = 8): number {
  const rounded = Math.max(divisor, Math.floor((v + divisor / 2) / divisor) * divisor);
  return rounded < 0.9 * v ? rounded + divisor : rounded;
}
