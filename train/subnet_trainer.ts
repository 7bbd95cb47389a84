import * as tf from '@tensorflow/tfjs-core';
import { loadGradients, InputError, Rng } from '../tensor/index.js';
import type { AnyModule } from '../space/index.js';
import { permutation, type ImageDataset } from '../datasets/index.js';
import { trainingBatch } from './batches.js';
import { evaluateTop1, recalibrateBatchNorm } from './evaluate.js';
import { softmaxCrossEntropy } from './loss.js';
import { cosineLr, NO_DECAY_BN_AND_BIAS, Sgd } from './optimizer.js';
import type { TrainConfig } from './state.js';

export type SubnetTrainConfig = Pick<
  TrainConfig,
  'seed' | 'epochs' | 'batchSize' | 'lr' | 'momentum' | 'nesterov' | 'weightDecay' | 'labelSmoothing' | 'warmupEpochs' | 'mean' | 'std' | 'augment'
> & { resolution: number };

export interface SubnetEpochReport {
  epoch: number;
  trainLoss: number;
  valTop1: number;
  seconds: number;
}

export interface SubnetTrainOptions {
  config: SubnetTrainConfig;
  train: ImageDataset;
  val: ImageDataset;
  /** Called after each epoch's validation; throwing stops training (a pruned trial). */
  onEpoch?: (r: SubnetEpochReport) => void;
  /** Images used to recalibrate BN before each validation (default 500). */
  recalibrationImages?: number;
}

/**
 * Trains one static network (a subnet with inherited or fresh weights) with the supernet's
 * recipe: SGD with (Nesterov) momentum, cosine learning rate with warm-up, weight decay off BN
 * and biases, label smoothing, the same augmentation; validation top-1 (BN recalibrated) after
 * every epoch. Every random choice is a function of (seed, epoch, step).
 */
export async function trainSubnet(model: AnyModule, o: SubnetTrainOptions): Promise<SubnetEpochReport[]> {
  await loadGradients();
  const c = o.config;
  const stepsPerEpoch = Math.floor(o.train.count / c.batchSize);
  if (stepsPerEpoch === 0) throw new InputError(`batchSize: ${c.batchSize} exceeds the ${o.train.count} training images`);
  const sgd = new Sgd({ momentum: c.momentum, nesterov: c.nesterov, weightDecay: c.weightDecay, noDecay: NO_DECAY_BN_AND_BIAS });
  const params = model.namedParameters();
  const pathOf = new Map(params.map(([path, v]) => [v.name, path]));
  const batch = { mean: c.mean, std: c.std, resolution: c.resolution };
  const totalSteps = stepsPerEpoch * c.epochs;
  const reports: SubnetEpochReport[] = [];
  model.train();
  for (let epoch = 0; epoch < c.epochs; epoch++) {
    const started = performance.now();
    const order = permutation(o.train.count, new Rng(c.seed * 1_000_003 + epoch));
    let lossSum = 0;
    for (let k = 0; k < stepsPerEpoch; k++) {
      const step = epoch * stepsPerEpoch + k;
      const rng = new Rng(c.seed * 7_919 + step * 104_729 + 17);
      const { x, y, targets } = trainingBatch(o.train, order.subarray(k * c.batchSize, (k + 1) * c.batchSize), c, c.resolution, rng);
      const { value, grads } = tf.variableGrads(() => softmaxCrossEntropy(targets, model.forward(x) as tf.Tensor));
      lossSum += value.dataSync()[0];
      const byPath = new Map<string, tf.Tensor>();
      for (const [name, g] of Object.entries(grads)) {
        const path = pathOf.get(name);
        if (path) byPath.set(path, g);
        else g.dispose();
      }
      sgd.step(params, byPath, cosineLr(c.lr, step, totalSteps, Math.round(c.warmupEpochs * stepsPerEpoch)));
      tf.dispose([x, y, targets, value, ...byPath.values()]);
    }
    recalibrateBatchNorm(model, o.train, { ...batch, images: o.recalibrationImages ?? 500 });
    const report = { epoch: epoch + 1, trainLoss: lossSum / stepsPerEpoch, valTop1: evaluateTop1(model, o.val, batch).top1, seconds: (performance.now() - started) / 1000 };
    model.train();
    reports.push(report);
    o.onEpoch?.(report);
  }
  return reports;
}
