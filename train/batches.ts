import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../tensor/index.js';
import { toBatch, type ImageDataset } from '../datasets/index.js';
import { augmentBatch, mixBatch, mixTargets } from '../augment/index.js';
import { smoothedOneHot } from './loss.js';
import type { TrainConfig } from './state.js';

export interface TrainingBatch {
  x: tf.Tensor4D;
  y: tf.Tensor1D;
  /** Label-smoothed targets, mixed with the partners' where MixUp or CutMix is on. */
  targets: tf.Tensor;
}

/** A training batch: augmented bytes, normalised and resized, then mixed; every random choice from `rng`. */
export function trainingBatch(
  data: ImageDataset,
  indices: ArrayLike<number>,
  c: Pick<TrainConfig, 'mean' | 'std' | 'augment' | 'labelSmoothing'>,
  resolution: number | undefined,
  rng: Rng,
): TrainingBatch {
  const batch = toBatch(data, indices, { mean: c.mean, std: c.std, resolution, transform: (b) => augmentBatch(b, c.augment, rng) });
  const hard = smoothedOneHot(batch.y, data.classes, c.labelSmoothing);
  if (c.augment.mix.kind === 'none') return { ...batch, targets: hard };
  const mixed = mixBatch(batch.x, c.augment.mix, rng);
  const targets = mixTargets(hard, mixed);
  tf.dispose([batch.x, hard]);
  return { x: mixed.x, y: batch.y, targets };
}
