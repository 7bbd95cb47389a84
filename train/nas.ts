import * as tf from '@tensorflow/tfjs-core';
import { permutation, type ImageDataset } from '../datasets/index.js';
import { DartsMutator, GdasMutator, type AnyModule, type Arch, type LogitMutator } from '../space/index.js';
import { InputError, loadGradients, Rng } from '../tensor/index.js';
import { softmaxCrossEntropy } from './loss.js';
import { derivedTop1, disposeBatch, labelledBatch, weightStepper, type LabelledBatch } from './nas_common.js';
import { cosineLr } from './optimizer.js';
import { unrolledArchGradients } from './unrolled.js';

export interface DifferentiableSearchConfig {
  epochs: number;
  /** Epochs at the start that train only the weights (the logits wait for the operations to learn something). */
  warmupEpochs: number;
  batchSize: number;
  /** Weights: SGD with momentum, cosine learning rate from `lr` (DARTS: 0.025, momentum 0.9, weight decay 3e-4). */
  lr: number;
  momentum: number;
  weightDecay: number;
  /** Architecture logits: Adam (DARTS: 3e-4, betas 0.5 / 0.999, weight decay 1e-3). */
  archLr: number;
  archWeightDecay: number;
  /** 1: first-order (the logits' gradient at the current weights); 2: DARTS' second-order (after a virtual weight step, see unrolledArchGradients). */
  order: 1 | 2;
  mean: number[];
  std: number[];
  resolution: number;
  seed: number;
}

export const DEFAULT_DIFFERENTIABLE_SEARCH: Omit<DifferentiableSearchConfig, 'mean' | 'std' | 'resolution'> = {
  epochs: 10,
  warmupEpochs: 0,
  batchSize: 64,
  lr: 0.025,
  momentum: 0.9,
  weightDecay: 3e-4,
  archLr: 3e-4,
  archWeightDecay: 1e-3,
  order: 1,
  seed: 0,
};

export interface DifferentiableEpochReport {
  epoch: number;
  trainLoss: number;
  valLoss: number;
  /** The derived arch (most probable candidate everywhere) after this epoch. */
  arch: Arch;
  /** Its validation top-1 with the supernet's weights, BN recalibrated. */
  valTop1: number;
  /** With latency costs: the expected latency under the probabilities after this epoch (ms). */
  expectedMs?: number;
  seconds: number;
}

export interface DifferentiableSearchOptions {
  /** The supernet (every candidate held). */
  model: AnyModule;
  mutator: LogitMutator;
  config: DifferentiableSearchConfig;
  /** Weights train on this split, the architecture on `val` (bi-level). */
  train: ImageDataset;
  val: ImageDataset;
  onEpoch?: (r: DifferentiableEpochReport) => void;
  onStep?: (step: number, totalSteps: number) => void;
}

/**
 * Bi-level search (DARTS, first or second order; GDAS's procedure): each step updates the
 * architecture logits on a validation batch (Adam), then the supernet's weights on a training
 * batch (SGD, cosine schedule), both through the mutator's differentiable weights.
 * Ends with the derived arch applied to the model.
 */
export async function searchDifferentiable(o: DifferentiableSearchOptions): Promise<{ arch: Arch; epochs: DifferentiableEpochReport[] }> {
  await loadGradients();
  const c = o.config;
  const stepsPerEpoch = Math.floor(Math.min(o.train.count, o.val.count) / c.batchSize);
  if (stepsPerEpoch === 0) throw new InputError(`batchSize: ${c.batchSize} exceeds the ${Math.min(o.train.count, o.val.count)} images of the smaller split`);
  const archParams = o.mutator.archParameters();
  const adam = tf.train.adam(c.archLr, 0.5, 0.999);
  const totalSteps = stepsPerEpoch * c.epochs;
  const weightStep = weightStepper(o.model, c, totalSteps);
  const reports: DifferentiableEpochReport[] = [];
  if (c.order === 2 && !(o.mutator instanceof DartsMutator)) throw new InputError(`--second-order: DARTS' unrolled gradient needs its softmax over every operation; ${o.mutator.constructor.name} samples`);
  const lossOn = (b: LabelledBatch) => () => {
    o.mutator.sampleDifferentiable();
    return softmaxCrossEntropy(b.targets, o.model.forward(b.x) as tf.Tensor) as tf.Scalar;
  };
  /** Weight decay of the logits and the mutator's penalty (expected latency): what the logits' loss adds to the cross-entropy. */
  const regulariser = () => {
    const decay = tf.mul(c.archWeightDecay / 2, tf.addN(archParams.map((a) => tf.sum(tf.square(a)))));
    const penalty = o.mutator.archPenalty();
    return (penalty ? tf.add(decay, penalty) : decay) as tf.Scalar;
  };
  /** One Adam step of the logits on a validation batch (second order: also the training batch); returns the validation loss. */
  const archStep = (val: LabelledBatch, train: LabelledBatch, xi: number): number => {
    let loss: number;
    let grads: tf.Tensor[];
    if (c.order === 2) {
      const u = unrolledArchGradients({ model: o.model, archParams, trainLoss: lossOn(train), valLoss: lossOn(val), xi, weightDecay: c.weightDecay });
      const r = tf.variableGrads(regulariser, archParams);
      grads = archParams.map((a, i) => tf.add(u.grads[i], r.grads[a.name]));
      tf.dispose([r.value, ...Object.values(r.grads), ...u.grads]);
      loss = u.value;
    } else {
      const a = tf.variableGrads(() => tf.add(lossOn(val)(), regulariser()) as tf.Scalar, archParams);
      loss = a.value.dataSync()[0];
      grads = archParams.map((p) => a.grads[p.name]);
      a.value.dispose();
    }
    adam.applyGradients(archParams.map((p, i) => ({ name: p.name, tensor: grads[i] })));
    tf.dispose(grads);
    return loss;
  };
  try {
    for (let epoch = 0; epoch < c.epochs; epoch++) {
      const started = performance.now();
      const rng = new Rng(c.seed * 1_000_003 + epoch);
      const trainOrder = permutation(o.train.count, rng);
      const valOrder = permutation(o.val.count, rng);
      let trainLoss = 0;
      let valLoss = 0;
      o.model.train();
      for (let k = 0; k < stepsPerEpoch; k++) {
        const step = epoch * stepsPerEpoch + k;
        if (o.mutator instanceof GdasMutator) o.mutator.setProgress(step / totalSteps);
        const batch = labelledBatch(o.train, trainOrder.subarray(k * c.batchSize, (k + 1) * c.batchSize), c);
        if (epoch >= c.warmupEpochs) {
          const val = labelledBatch(o.val, valOrder.subarray(k * c.batchSize, (k + 1) * c.batchSize), c);
          valLoss += archStep(val, batch, cosineLr(c.lr, step, totalSteps, 0));
          disposeBatch(val);
        }
        trainLoss += weightStep(step, batch, () => o.mutator.sampleDifferentiable());
        disposeBatch(batch);
        o.mutator.clearWeights();
        o.onStep?.(step + 1, totalSteps);
      }
      const expectedMs = o.mutator.costs ? tf.tidy(() => o.mutator.expectedCost().dataSync()[0]) : undefined;
      const arch = o.mutator.derive();
      const report = { epoch: epoch + 1, trainLoss: trainLoss / stepsPerEpoch, valLoss: epoch >= c.warmupEpochs ? valLoss / stepsPerEpoch : NaN, arch, valTop1: derivedTop1(o.model, o.train, o.val, c), expectedMs, seconds: (performance.now() - started) / 1000 };
      reports.push(report);
      o.onEpoch?.(report);
    }
  } finally {
    adam.dispose();
    o.mutator.clearWeights();
  }
  return { arch: o.mutator.derive(), epochs: reports };
}
