import * as tf from '@tensorflow/tfjs-core';
import { permutation, type ImageDataset } from '../datasets/index.js';
import type { AnyModule, Arch, EnasMutator } from '../space/index.js';
import { InputError, loadGradients, Rng } from '../tensor/index.js';
import type { DifferentiableEpochReport, DifferentiableSearchConfig } from './nas.js';
import { derivedTop1, disposeBatch, labelledBatch, weightStepper } from './nas_common.js';

export interface EnasSearchConfig extends DifferentiableSearchConfig {
  /** Controller updates per epoch, each on one validation batch (default: one per training step). */
  controllerSteps?: number;
}

export interface EnasEpochReport extends DifferentiableEpochReport {
  /** Mean reward of the archs the controller sampled this epoch. */
  meanReward: number;
}

export interface EnasSearchOptions {
  /** The supernet (every candidate held). */
  model: AnyModule;
  mutator: EnasMutator;
  config: EnasSearchConfig;
  train: ImageDataset;
  val: ImageDataset;
  /** Hardware-aware: the reward loses this per ms of `latencyOf(arch)`. */
  latency?: { weight: number; latencyOf: (arch: Arch) => number };
  onEpoch?: (r: EnasEpochReport) => void;
  onStep?: (step: number, totalSteps: number) => void;
}

/**
 * ENAS's alternating search: each epoch trains the shared weights on the training half, one
 * sampled arch per batch (SGD, cosine schedule), then the controller by REINFORCE, one sampled
 * arch per validation batch with its top-1 there as the reward (batch statistics in BN, as the
 * shared model runs while it trains), less `latency.weight` per predicted ms. Warm-up epochs
 * train only the weights. Ends with the controller's greedy arch applied to the model.
 */
export async function searchEnas(o: EnasSearchOptions): Promise<{ arch: Arch; epochs: EnasEpochReport[] }> {
  await loadGradients();
  const c = o.config;
  const stepsPerEpoch = Math.floor(o.train.count / c.batchSize);
  const valBatches = Math.floor(o.val.count / c.batchSize);
  if (stepsPerEpoch === 0 || valBatches === 0) throw new InputError(`batchSize: ${c.batchSize} exceeds the ${Math.min(o.train.count, o.val.count)} images of the smaller split`);
  const controllerSteps = c.controllerSteps ?? stepsPerEpoch;
  const totalSteps = stepsPerEpoch * c.epochs;
  const weightStep = weightStepper(o.model, c, totalSteps);
  const reports: EnasEpochReport[] = [];
  for (let epoch = 0; epoch < c.epochs; epoch++) {
    const started = performance.now();
    const rng = new Rng(c.seed * 1_000_003 + epoch);
    const trainOrder = permutation(o.train.count, rng);
    const valOrder = permutation(o.val.count, rng);
    o.model.train();
    let trainLoss = 0;
    for (let k = 0; k < stepsPerEpoch; k++) {
      const batch = labelledBatch(o.train, trainOrder.subarray(k * c.batchSize, (k + 1) * c.batchSize), c);
      trainLoss += weightStep(epoch * stepsPerEpoch + k, batch, () => o.mutator.reset());
      disposeBatch(batch);
      o.onStep?.(epoch * stepsPerEpoch + k + 1, totalSteps);
    }
    let rewardSum = 0;
    const training = epoch >= c.warmupEpochs;
    for (let k = 0; training && k < controllerSteps; k++) {
      const b = k % valBatches;
      const reward = rewardOf(o, o.mutator.reset(), valOrder.subarray(b * c.batchSize, (b + 1) * c.batchSize));
      o.mutator.reinforce(reward);
      rewardSum += reward;
    }
    const arch = o.mutator.derive();
    const meanReward = training ? rewardSum / controllerSteps : NaN;
    const report = { epoch: epoch + 1, trainLoss: trainLoss / stepsPerEpoch, valLoss: NaN, meanReward, arch, valTop1: derivedTop1(o.model, o.train, o.val, c), seconds: (performance.now() - started) / 1000 };
    reports.push(report);
    o.onEpoch?.(report);
  }
  return { arch: o.mutator.derive(), epochs: reports };
}

/** Top-1 of the model as set now on one validation batch, less the latency penalty. */
function rewardOf(o: EnasSearchOptions, arch: Arch, indices: ArrayLike<number>): number {
  const batch = labelledBatch(o.val, indices, o.config);
  const correct = tf.tidy(() => tf.sum(tf.cast(tf.equal(tf.argMax(o.model.forward(batch.x) as tf.Tensor, -1), tf.cast(batch.y, 'int32')), 'float32')).dataSync()[0]);
  disposeBatch(batch);
  const top1 = correct / indices.length;
  return o.latency ? top1 - o.latency.weight * o.latency.latencyOf(arch) : top1;
}
