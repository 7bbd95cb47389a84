import * as tf from '@tensorflow/tfjs-core';
import { BatchNormNd, type AnyModule } from '../space/index.js';
import { permutation, toBatch, type BatchOptions, type ImageDataset } from '../datasets/index.js';
import { Rng } from '../tensor/index.js';

export interface EvalOptions extends Omit<BatchOptions, 'augment' | 'rng'> {
  batchSize?: number;
}

/**
 * Recomputes every batch-norm's running statistics for the current arch as the exact
 * average over `images` training images (OFA uses 2,000), in batches, without gradients.
 */
export function recalibrateBatchNorm(model: AnyModule, data: ImageDataset, o: EvalOptions & { images?: number; seed?: number }): void {
  const bns = model.namedModules().map(([, m]) => m).filter((m): m is BatchNormNd => m instanceof BatchNormNd);
  const n = Math.min(o.images ?? 2000, data.count);
  const order = permutation(data.count, new Rng(o.seed ?? 0)).subarray(0, n);
  const wasTraining = model.training;
  model.train();
  for (const bn of bns) bn.startRecalibration();
  const bs = o.batchSize ?? 200;
  for (let start = 0; start < n; start += bs) {
    tf.tidy(() => {
      const { x } = toBatch(data, order.subarray(start, Math.min(n, start + bs)), o);
      model.forward(x);
    });
  }
  for (const bn of bns) bn.endRecalibration();
  model.train(wasTraining);
}

/** Top-1 accuracy (fraction) in eval mode. */
export function evaluateTop1(model: AnyModule, data: ImageDataset, o: EvalOptions): { top1: number; samples: number } {
  const wasTraining = model.training;
  model.eval();
  const bs = o.batchSize ?? 200;
  let correct = 0;
  const all = Uint32Array.from({ length: data.count }, (_, i) => i);
  for (let start = 0; start < data.count; start += bs) {
    correct += tf.tidy(() => {
      const { x, y } = toBatch(data, all.subarray(start, Math.min(data.count, start + bs)), o);
      const pred = tf.argMax(model.forward(x) as tf.Tensor, 1);
      return tf.sum(tf.cast(tf.equal(pred, y), 'int32')).dataSync()[0];
    });
  }
  model.train(wasTraining);
  return { top1: correct / data.count, samples: data.count };
}
