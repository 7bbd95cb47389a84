import * as tf from '@tensorflow/tfjs-core';

/**
 * Average pooling over k x k windows, `pad` zeros each side, padded cells left out of each
 * window's count (PyTorch's count_include_pad=False, ONNX's count_include_pad=0), input NHWC.
 * tfjs computes this forward, but its gradient divides by k^2 everywhere (39% off at the borders
 * of a 5x5 map, measured): here the pool counts the zeros (whose gradient is right) and a
 * constant per-position factor k^2 / count corrects the average.
 */
export function avgPoolExcludingPadding(x: tf.Tensor4D, k: number, stride: number, pad: number): tf.Tensor4D {
  const [h, w] = [x.shape[1], x.shape[2]];
  const outSize = (n: number) => Math.floor((n + 2 * pad - k) / stride) + 1;
  const [oh, ow] = [outSize(h), outSize(w)];
  const covered = (i: number, n: number) => Math.min(i * stride - pad + k, n) - Math.max(i * stride - pad, 0);
  const factor = new Float32Array(oh * ow);
  for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) factor[i * ow + j] = (k * k) / (covered(i, h) * covered(j, w));
  const padded = pad > 0 ? tf.pad(x, [[0, 0], [pad, pad], [pad, pad], [0, 0]]) : x;
  return tf.mul(tf.avgPool(padded, k, stride, 'valid'), tf.tensor4d(factor, [1, oh, ow, 1]));
}
