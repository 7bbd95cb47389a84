import * as tf from '@tensorflow/tfjs-core';
import type { AnyModule } from '../space/index.js';

/** DARTS' finite-difference step, relative to the gradient's norm (its code: 0.01 / ||dw||). */
const FINITE_DIFFERENCE = 0.01;

export interface UnrolledOptions {
  model: AnyModule;
  archParams: tf.Variable[];
  /** The loss on one of the two batches under the current arch weights and model weights. */
  trainLoss: () => tf.Scalar;
  valLoss: () => tf.Scalar;
  /** The virtual step's learning rate (DARTS: the weights' current one). */
  xi: number;
  weightDecay: number;
}

/**
 * DARTS' second-order architecture gradient (Liu et al., ICLR 2019, eqs. 7-8): the validation
 * loss after one virtual SGD step of the weights, w' = w - xi (dL_train/dw + wd w),
 * differentiated in the logits: dL_val(w')/da - xi (dL_train(w+)/da - dL_train(w-)/da) / 2e,
 * with w+- = w +- e dL_val(w')/dw' and e = 0.01 / ||dL_val(w')/dw'||. The virtual step leaves
 * out the momentum term DARTS' code adds. The weights and every buffer (batch-norm statistics)
 * are as they were when it returns. Returns the validation loss at w' and the gradients.
 */
export function unrolledArchGradients(o: UnrolledOptions): { value: number; grads: tf.Tensor[] } {
  const weights = o.model.parameters();
  const saved = o.model.namedBuffers().map(([, b]) => [b, tf.clone(b)] as const);
  const original = weights.map((w) => tf.clone(w));
  const assign = (values: tf.Tensor[]) => weights.forEach((w, i) => w.assign(values[i]));
  try {
    // w' = w - xi (g + wd w)
    const train = tf.variableGrads(o.trainLoss, weights);
    assign(tf.tidy(() => weights.map((w) => tf.sub(w, tf.mul(o.xi, tf.add(train.grads[w.name], tf.mul(o.weightDecay, w)))))));
    tf.dispose([train.value, ...Object.values(train.grads)]);

    const val = tf.variableGrads(o.valLoss, [...o.archParams, ...weights]);
    const value = val.value.dataSync()[0];
    const dw = weights.map((w) => val.grads[w.name]);
    const norm = tf.tidy(() => Math.sqrt(tf.addN(dw.map((g) => tf.sum(tf.square(g)))).dataSync()[0]));
    const eps = FINITE_DIFFERENCE / Math.max(norm, 1e-12);
    const archAt = (sign: 1 | -1) => {
      assign(tf.tidy(() => original.map((w, i) => tf.add(w, tf.mul(sign * eps, dw[i])))));
      const r = tf.variableGrads(o.trainLoss, o.archParams);
      r.value.dispose();
      return o.archParams.map((a) => r.grads[a.name]);
    };
    const plus = archAt(1);
    const minus = archAt(-1);
    const grads = o.archParams.map((a, i) => tf.tidy(() => tf.sub(val.grads[a.name], tf.mul(o.xi / (2 * eps), tf.sub(plus[i], minus[i])))));
    tf.dispose([val.value, ...Object.values(val.grads), ...plus, ...minus]);
    return { value, grads };
  } finally {
    assign(original);
    for (const [buffer, copy] of saved) buffer.assign(copy);
    tf.dispose([...original, ...saved.map(([, c]) => c)]);
  }
}
