import * as tf from '@tensorflow/tfjs-core';

/**
 * y = x @ w^T for x [M, K] and a PyTorch-layout weight w [N, K] (a pointwise conv or a
 * linear layer), with a gradient built from untransposed matmuls. On the wasm backend a
 * matmul with a transposed operand, or a transpose of a wide matrix, runs several times
 * slower than a plain one, so: forward x @ transpose(w) (w is small), dx = dy @ w, and
 * dW from a transpose of whichever of x and dy is narrower.
 */
export const matMulTransposedWeight = tf.customGrad((x, w, save) => {
  const x2 = x as tf.Tensor2D;
  const w2 = w as tf.Tensor2D;
  (save as tf.GradSaveFunc)([x2, w2]);
  return {
    value: tf.matMul(x2, tf.transpose(w2)),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, ws] = saved as tf.Tensor2D[];
      const dy2 = dy as tf.Tensor2D;
      const dx = tf.matMul(dy2, ws);
      const dw = xs.shape[1] <= dy2.shape[1] ? tf.transpose(tf.matMul(tf.transpose(xs), dy2)) : tf.matMul(tf.transpose(dy2), xs);
      return [dx, dw];
    },
  };
}) as (x: tf.Tensor2D, w: tf.Tensor2D) => tf.Tensor2D;
