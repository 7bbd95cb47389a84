import * as tf from '@tensorflow/tfjs-core';
import { permutation, type ImageDataset } from '../datasets/index.js';
import { GdasMutator, type AnyModule, type Arch, type LogitMutator } from '../space/index.js';
import { InputError, loadGradients, Rng } from '../tensor/index.js';
import { softmaxCrossEntropy } from './loss.js';
import { derivedTop1, disposeBatch, labelledBatch, weightStepper } from './nas_common.js';

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
 * First-order bi-level search (DARTS' first-order approximation, GDAS's procedure): each step
 * updates the architecture logits on a validation batch (Adam), then the supernet's weights on
 * a training batch (SGD, cosine schedule), both through the mutator's differentiable weights.
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
  /** One Adam step of the logits on a validation batch; returns its loss. */
  const archStep = (indices: ArrayLike<number>): number => {
    const val = labelledBatch(o.val, indices, c);
    const archLoss = () => {
      o.mutator.sampleDifferentiable();
      const ce = softmaxCrossEntropy(val.targets, o.model.forward(val.x) as tf.Tensor);
      const decay = tf.add(ce, tf.mul(c.archWeightDecay / 2, tf.addN(archParams.map((a) => tf.sum(tf.square(a))))));
      const penalty = o.mutator.archPenalty();
      return (penalty ? tf.add(decay, penalty) : decay) as tf.Scalar;
    };
    const a = tf.variableGrads(archLoss, archParams);
    const loss = a.value.dataSync()[0];
    adam.applyGradients(a.grads as unknown as Parameters<typeof adam.applyGradients>[0]);
    tf.dispose([a.value, ...Object.values(a.grads)]);
    disposeBatch(val);
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
        if (epoch >= c.warmupEpochs) valLoss += archStep(valOrder.subarray(k * c.batchSize, (k + 1) * c.batchSize));
        const batch = labelledBatch(o.train, trainOrder.subarray(k * c.batchSize, (k + 1) * c.batchSize), c);
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
