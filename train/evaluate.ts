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

/** Correct top-1 predictions in eval mode, counted on the device: the caller reads one number. */
function countCorrect(model: AnyModule, data: ImageDataset, o: EvalOptions): tf.Scalar {
  const wasTraining = model.training;
  model.eval();
  const bs = o.batchSize ?? 200;
  let correct: tf.Scalar = tf.scalar(0, 'int32');
  const all = Uint32Array.from({ length: data.count }, (_, i) => i);
  for (let start = 0; start < data.count; start += bs) {
    const total = tf.tidy(() => {
      const { x, y } = toBatch(data, all.subarray(start, Math.min(data.count, start + bs)), o);
      const pred = tf.argMax(model.forward(x) as tf.Tensor, 1);
      return tf.add(correct, tf.sum(tf.cast(tf.equal(pred, y), 'int32'))) as tf.Scalar;
    });
    correct.dispose();
    correct = total;
  }
  model.train(wasTraining);
  return correct;
}

const top1Of = (correct: ArrayLike<number>, data: ImageDataset) => ({ top1: correct[0] / data.count, samples: data.count });

/** Top-1 accuracy (fraction) in eval mode. */
export function evaluateTop1(model: AnyModule, data: ImageDataset, o: EvalOptions): { top1: number; samples: number } {
  const correct = countCorrect(model, data, o);
  const result = top1Of(correct.dataSync(), data);
  correct.dispose();
  return result;
}

/** `evaluateTop1` without a synchronous read: the only kind a GPU backend (webgpu) allows in Node. */
export async function evaluateTop1Async(model: AnyModule, data: ImageDataset, o: EvalOptions): Promise<{ top1: number; samples: number }> {
  const correct = countCorrect(model, data, o);
  const result = top1Of(await correct.data(), data);
  correct.dispose();
  return result;
}
