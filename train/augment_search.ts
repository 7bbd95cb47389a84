import * as tf from '@tensorflow/tfjs-core';
import { applyStepToBatch, type AugmentationSpace, type SubPolicies } from '../augment/index.js';
import { normaliseBytes, permutation, subset, toBatch, type ImageDataset } from '../datasets/index.js';
import type { AnyModule, Arch } from '../space/index.js';
import { InputError, loadGradients, Rng } from '../tensor/index.js';
import { trainingBatch } from './batches.js';
import { evaluateTop1, recalibrateBatchNorm } from './evaluate.js';
import { smoothedOneHot, softmaxCrossEntropy } from './loss.js';
import { cosineLr, NO_DECAY_BN_AND_BIAS, Sgd } from './optimizer.js';
import { DEFAULT_TRAIN, type TrainConfig } from './state.js';

export interface DifferentiableAugmentConfig extends Pick<TrainConfig, 'epochs' | 'batchSize' | 'lr' | 'momentum' | 'nesterov' | 'weightDecay' | 'labelSmoothing' | 'mean' | 'std' | 'seed'> {
  resolution: number;
  /** Adam's learning rate for the policy logits. */
  policyLr: number;
  /** Gumbel-softmax temperature. */
  temperature: number;
  /** Sub-policies drawn from the learned distribution into the policy file. */
  subpolicies: number;
  /** Each group's starting probability of identity (the rest uniform over its candidates). */
  identityPrior: number;
}

export const DEFAULT_DIFFERENTIABLE: Omit<DifferentiableAugmentConfig, 'mean' | 'std' | 'resolution'> = {
  ...DEFAULT_TRAIN,
  epochs: 4,
  policyLr: 0.05,
  temperature: 0.5,
  subpolicies: 25,
  identityPrior: 0.5,
};

export interface DifferentiableAugmentResult {
  policy: SubPolicies;
  /** Each group's candidates with their learned probabilities, most likely first. */
  probabilities: Record<string, { candidate: string; probability: number }[]>;
  /** Validation top-1 of the network trained alongside (BN recalibrated), after each epoch. */
  valTop1: number[];
}

export interface DifferentiableAugmentOptions {
  config: DifferentiableAugmentConfig;
  /** A static network (a subnet), trained on the augmented images while the policy is learned. */
  model: AnyModule;
  space: AugmentationSpace;
  train: ImageDataset;
  val: ImageDataset;
  onEpoch?: (epoch: number, r: DifferentiableAugmentResult) => void;
}

/** Per group: the change each candidate makes to the images (bytes as floats), and the chosen candidate. */
interface GroupDeltas {
  deltas: tf.Tensor2D;
  chosen: number;
}

/**
 * DADA's bilevel search (Li et al., ECCV 2020) over an AugmentationSpace: the network trains on
 * images augmented by policies drawn from the learned distribution; the policy logits follow the
 * gradient of the clean validation loss after a virtual SGD step on augmented training images
 * (DARTS' finite-difference second-order term), through straight-through Gumbel-softmax
 * weights. The images of a group are x + sum_k y_k (op_k(x) - x): exact forward values with
 * one-hot y, and a gradient to every candidate's logit.
 */
export async function searchAugmentationDifferentiable(o: DifferentiableAugmentOptions): Promise<DifferentiableAugmentResult> {
  await loadGradients();
  const c = o.config;
  const stepsPerEpoch = Math.floor(o.train.count / c.batchSize);
  if (stepsPerEpoch < 2) throw new InputError(`batchSize: ${c.batchSize} leaves fewer than two batches of the ${o.train.count} training images`);
  const keys = o.space.groups.map(([key]) => key);
  const names = o.space.candidates();
  const logits = keys.map((key) => tf.variable(initialLogits(names[key].length, c.identityPrior), true, `policy_${key}`));
  const adam = tf.train.adam(c.policyLr, 0.5, 0.999);
  const sgd = new Sgd({ momentum: c.momentum, nesterov: c.nesterov, weightDecay: c.weightDecay, noDecay: NO_DECAY_BN_AND_BIAS });
  const params = o.model.namedParameters();
  const pathOf = new Map(params.map(([path, v]) => [v.name, path]));
  const totalSteps = stepsPerEpoch * c.epochs;
  const valTop1: number[] = [];
  const batchConfig = { mean: c.mean, std: c.std, labelSmoothing: c.labelSmoothing };
  let result: DifferentiableAugmentResult | undefined;
  o.model.train();
  try {
    for (let epoch = 0; epoch < c.epochs; epoch++) {
      const order = permutation(o.train.count, new Rng(c.seed * 1_000_003 + epoch));
      for (let k = 0; k + 1 < stepsPerEpoch; k += 2) {
        const step = epoch * stepsPerEpoch + k;
        const rng = new Rng(c.seed * 7_919 + step * 104_729 + 17);
        const lr = cosineLr(c.lr, step, totalSteps, 0);
        const policy = o.space.policyOf(sampleArch(o.space, keys, names, logits, rng));
        const batch = trainingBatch(o.train, order.subarray(k * c.batchSize, (k + 1) * c.batchSize), { ...batchConfig, augment: { ...DEFAULT_TRAIN.augment, policy } }, c.resolution, rng);
        const grads = gradients(o.model, pathOf, () => softmaxCrossEntropy(batch.targets, o.model.forward(batch.x) as tf.Tensor));
        sgd.step(params, grads, lr);
        tf.dispose([batch.x, batch.y, batch.targets, ...grads.values()]);
        const policyIndices = order.subarray((k + 1) * c.batchSize, (k + 2) * c.batchSize);
        const valIndices = permutation(o.val.count, rng).subarray(0, Math.min(c.batchSize, o.val.count));
        policyStep(o, keys, logits, adam, { policyIndices, valIndices, lr, rng, params, pathOf });
      }
      recalibrateBatchNorm(o.model, o.train, { mean: c.mean, std: c.std, resolution: c.resolution, images: 500 });
      valTop1.push(evaluateTop1(o.model, o.val, { mean: c.mean, std: c.std, resolution: c.resolution }).top1);
      o.model.train();
      result = summarize(o.space, keys, names, logits, valTop1, c);
      o.onEpoch?.(epoch + 1, result);
    }
  } finally {
    tf.dispose(logits);
    adam.dispose();
  }
  return result!;
}

/** Identity (candidate 0) at probability `prior`, the others equal. */
function initialLogits(size: number, prior: number): tf.Tensor1D {
  if (!(prior > 0 && prior < 1)) throw new InputError(`identityPrior: expected a probability strictly between 0 and 1, got ${prior}`);
  const values = new Float32Array(size);
  values[0] = Math.log((prior * (size - 1)) / (1 - prior));
  return tf.tensor1d(values);
}

function gradients(model: AnyModule, pathOf: Map<string, string>, loss: () => tf.Scalar): Map<string, tf.Tensor> {
  const { value, grads } = tf.variableGrads(loss, model.parameters());
  value.dispose();
  return new Map(Object.entries(grads).map(([name, g]) => [pathOf.get(name)!, g]));
}

/** An arch drawn from the current distribution (softmax of the logits). */
function sampleArch(space: AugmentationSpace, keys: string[], names: Record<string, string[]>, logits: tf.Variable[], rng: Rng): Arch {
  const choices: Arch['choices'] = {};
  keys.forEach((key, g) => (choices[key] = names[key][drawIndex(Array.from(tf.tidy(() => tf.softmax(logits[g])).dataSync()), rng)]));
  return { space: space.spaceId, choices };
}

function drawIndex(probabilities: ArrayLike<number>, rng: Rng): number {
  let u = rng.next();
  for (let i = 0; i < probabilities.length; i++) if ((u -= probabilities[i]) < 0) return i;
  return probabilities.length - 1;
}

interface PolicyStepContext {
  policyIndices: ArrayLike<number>;
  valIndices: ArrayLike<number>;
  lr: number;
  rng: Rng;
  params: [string, tf.Variable][];
  pathOf: Map<string, string>;
}

/** The candidates' deltas on a batch, group after group along the Gumbel-argmax path. */
function groupDeltas(o: DifferentiableAugmentOptions, keys: string[], noisy: number[][], bytes: Uint8Array, shape: number[], rng: Rng): GroupDeltas[] {
  const [count, height, width, channels] = shape;
  let current = bytes;
  return keys.map((key, g) => {
    const steps = o.space.stepsOf(key);
    const outputs = steps.map((step) => {
      const data = current.slice();
      if (step) applyStepToBatch({ data, count, height, width, channels }, step, o.space.bins, o.space.range, rng);
      return data;
    });
    const chosen = noisy[g].indexOf(Math.max(...noisy[g]));
    const deltas = new Float32Array(steps.length * current.length);
    outputs.forEach((out, k) => {
      for (let j = 0; j < out.length; j++) deltas[k * out.length + j] = out[j] - current[j];
    });
    current = outputs[chosen];
    return { deltas: tf.tensor2d(deltas, [steps.length, current.length]), chosen };
  });
}

function policyStep(o: DifferentiableAugmentOptions, keys: string[], logits: tf.Variable[], adam: tf.Optimizer, s: PolicyStepContext): void {
  const c = o.config;
  const gumbel = logits.map((l) => Array.from({ length: l.shape[0] }, () => -Math.log(-Math.log(1 - s.rng.next()))));
  const noisy = logits.map((l, g) => Array.from(l.dataSync(), (v, k) => v + gumbel[g][k]));
  const raw = subset(o.train, s.policyIndices);
  const bytes = raw.images;
  const shape = [raw.count, raw.height, raw.width, raw.channels];
  const groups = groupDeltas(o, keys, noisy, bytes, shape, s.rng);
  const labels = tf.tensor1d(Int32Array.from(raw.labels), 'int32');
  const targets = smoothedOneHot(labels, o.train.classes, c.labelSmoothing);
  const base = tf.tensor2d(bytes, [1, bytes.length], 'float32');
  const hardOf = (g: number) => tf.oneHot([groups[g].chosen], logits[g].shape[0]).asType('float32');
  const softConst = logits.map((l, g) => tf.tidy(() => tf.softmax(tf.div(tf.add(l, tf.tensor1d(gumbel[g])), c.temperature))));
  // Straight-through Gumbel: the forward value is one-hot, the gradient the softmax's.
  const weights = (g: number) => tf.add(tf.sub(hardOf(g), softConst[g]), tf.softmax(tf.div(tf.add(logits[g], tf.tensor1d(gumbel[g])), c.temperature)).reshape([1, -1]));
  const augmented = () => {
    const x = groups.reduce((acc: tf.Tensor, grp, g) => tf.add(acc, tf.matMul(weights(g), grp.deltas)), base);
    return normaliseBytes(x.reshape(shape) as tf.Tensor4D, c);
  };
  const trainLoss = () => softmaxCrossEntropy(targets, o.model.forward(augmented()) as tf.Tensor);
  const val = toBatch(o.val, s.valIndices, { mean: c.mean, std: c.std, resolution: c.resolution });
  const valTargets = smoothedOneHot(val.y, o.val.classes, 0);
  const saved = s.params.map(([, p]) => tf.clone(p));
  const restore = () => s.params.forEach(([, p], i) => p.assign(saved[i]));
  try {
    const gw = gradients(o.model, s.pathOf, () => tf.tidy(trainLoss));
    s.params.forEach(([path, p]) => gw.has(path) && p.assign(tf.tidy(() => tf.sub(p, tf.mul(gw.get(path)!, s.lr)))));
    tf.dispose([...gw.values()]);
    const v = gradients(o.model, s.pathOf, () => tf.tidy(() => softmaxCrossEntropy(valTargets, o.model.forward(val.x) as tf.Tensor)));
    const norm = Math.sqrt([...v.values()].reduce((acc, g) => acc + tf.tidy(() => tf.sum(tf.square(g)).dataSync()[0]), 0));
    const eps = 0.01 / Math.max(norm, 1e-12);
    const logitGrads = (sign: number) => {
      s.params.forEach(([path, p], i) => v.has(path) && p.assign(tf.tidy(() => tf.add(saved[i], tf.mul(v.get(path)!, sign * eps)))));
      const { value, grads } = tf.variableGrads(() => tf.tidy(trainLoss), logits);
      value.dispose();
      return logits.map((l) => grads[l.name]);
    };
    const plus = logitGrads(1);
    const minus = logitGrads(-1);
    restore();
    const named = Object.fromEntries(logits.map((l, g) => [l.name, tf.tidy(() => tf.mul(tf.sub(plus[g], minus[g]), -s.lr / (2 * eps)))]));
    adam.applyGradients(named);
    tf.dispose([...v.values(), ...plus, ...minus, ...Object.values(named)]);
  } finally {
    restore();
    tf.dispose([labels, targets, base, val.x, val.y, valTargets, ...softConst, ...saved, ...groups.map((g) => g.deltas)]);
  }
}

function summarize(space: AugmentationSpace, keys: string[], names: Record<string, string[]>, logits: tf.Variable[], valTop1: number[], c: DifferentiableAugmentConfig): DifferentiableAugmentResult {
  const probabilities: DifferentiableAugmentResult['probabilities'] = {};
  keys.forEach((key, g) => {
    const p = tf.tidy(() => tf.softmax(logits[g])).dataSync();
    probabilities[key] = names[key].map((candidate, k) => ({ candidate, probability: p[k] })).sort((a, b) => b.probability - a.probability);
  });
  const rng = new Rng(c.seed + 1);
  const subpolicies = Array.from({ length: c.subpolicies }, () => space.policyOf(sampleArch(space, keys, names, logits, rng)).subpolicies[0]);
  return { policy: { kind: 'subpolicies', name: 'differentiable', bins: space.bins, range: space.range, subpolicies }, probabilities, valTop1: [...valTop1] };
}
