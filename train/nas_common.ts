import * as tf from '@tensorflow/tfjs-core';
import { toBatch, type ImageDataset } from '../datasets/index.js';
import type { AnyModule } from '../space/index.js';
import { evaluateTop1, recalibrateBatchNorm } from './evaluate.js';
import { smoothedOneHot, softmaxCrossEntropy } from './loss.js';
import { cosineLr, NO_DECAY_BN_AND_BIAS, Sgd } from './optimizer.js';

/** What the search loops share: how batches are made and how the supernet's weights train. */
export interface WeightTraining {
  batchSize: number;
  /** SGD with momentum, cosine learning rate from `lr`. */
  lr: number;
  momentum: number;
  weightDecay: number;
  mean: number[];
  std: number[];
  resolution: number;
}

export interface LabelledBatch {
  x: tf.Tensor;
  y: tf.Tensor;
  targets: tf.Tensor;
}

export function labelledBatch(data: ImageDataset, indices: ArrayLike<number>, c: WeightTraining): LabelledBatch {
  const b = toBatch(data, indices, { mean: c.mean, std: c.std, resolution: c.resolution });
  return { x: b.x, y: b.y, targets: smoothedOneHot(b.y, data.classes, 0) };
}

/**
 * One SGD step of the supernet's weights per call, on a training batch, with the forward
 * pass under whatever `prepare` sets (a sampled arch, differentiable weights); returns the loss.
 */
export function weightStepper(model: AnyModule, c: WeightTraining, totalSteps: number): (step: number, batch: LabelledBatch, prepare: () => void) => number {
  const params = model.namedParameters();
  const pathOf = new Map(params.map(([path, v]) => [v.name, path]));
  const sgd = new Sgd({ momentum: c.momentum, nesterov: false, weightDecay: c.weightDecay, noDecay: NO_DECAY_BN_AND_BIAS });
  return (step, batch, prepare) => {
    const w = tf.variableGrads(() => {
      prepare();
      return softmaxCrossEntropy(batch.targets, model.forward(batch.x) as tf.Tensor);
    }, params.map(([, v]) => v));
    const loss = w.value.dataSync()[0];
    const byPath = new Map(Object.entries(w.grads).map(([name, g]) => [pathOf.get(name)!, g]));
    sgd.step(params, byPath, cosineLr(c.lr, step, totalSteps, 0));
    tf.dispose([w.value, ...Object.values(w.grads)]);
    return loss;
  };
}

/** Validation top-1 of the supernet as it is set now, BN statistics recalibrated on 500 training images. */
export function derivedTop1(model: AnyModule, train: ImageDataset, val: ImageDataset, c: WeightTraining): number {
  const batch = { mean: c.mean, std: c.std, resolution: c.resolution };
  recalibrateBatchNorm(model, train, { ...batch, images: 500 });
  return evaluateTop1(model, val, batch).top1;
}

export const disposeBatch = (b: LabelledBatch) => tf.dispose([b.x, b.y, b.targets]);
