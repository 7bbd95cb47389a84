import * as tf from '@tensorflow/tfjs-core';
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { activeBackend, InputError, loadGradients, Rng } from '../tensor/index.js';
import { sameChoices, subnetSplitOf, type Split, type SubnetSplit } from './subnet_split.js';
import {
  downloadTensors,
  encodeSafetensors,
  loadStateDictFrom,
  RandomMutator,
  readSafetensorsFile,
  withSynchronisedBatchNorm,
  withStatisticsRecorder,
  writeFileAtomic,
  type AnyModule,
  type Arch,
} from '../space/index.js';
import { saveSupernet, spaceOf, supernetPaths, SUPERNET_FILE } from '../networks/index.js';
import { permutation, split, type ImageDataset } from '../datasets/index.js';
import { trainingBatch } from './batches.js';
import { SOLO, type Collective } from './collective.js';
import { allReduced, shardBatch, shardOf, trainOnWorkers, type StepResult, type StepTensors } from './data_parallel.js';
import { cosineLr, NO_DECAY_BN_AND_BIAS, Sgd } from './optimizer.js';
import { allowedChoices, ALL_ELASTIC, isOrdered, phaseAt, PROGRESSIVE_SHRINKING, sandwich, uniformArchs, type Phase } from './sampling.js';
import { evaluateTop1Async, recalibrateBatchNorm } from './evaluate.js';
import { softmaxCrossEntropy } from './loss.js';
import { readTrainState, trainStatePath, writeTrainState, type TrainConfig, type TrainState } from './state.js';

export interface StepReport {
  epoch: number;
  step: number;
  totalSteps: number;
  lr: number;
  loss: number;
  accuracy: number;
  imagesPerSecond: number;
}

export interface EpochReport {
  epoch: number;
  step: number;
  seconds: number;
  trainLoss: number;
  /** Validation top-1 of the largest and smallest subnets; in a space without ordered candidates, of two fixed random archs. */
  valTop1Largest: number;
  valTop1Smallest: number;
  /** Which archs the two figures are: the space's extremes or two fixed random archs. */
  tracked: 'extremes' | 'fixed random archs';
}

/** A supernet as the trainer saves and reloads it: its space id and options are recorded. */
export type TrainableSupernet = AnyModule & { spaceId: string; options: object };

export interface TrainOptions {
  config: TrainConfig;
  train: ImageDataset;
  out: string;
  resume?: boolean;
  onStep?: (r: StepReport) => void;
  onEpoch?: (r: EpochReport) => void;
  /**
   * Also checkpoint within an epoch, at most this many minutes apart (default 10; 0: after
   * every step), so a run stopped mid-epoch resumes where it was. Not part of the config: a
   * resumed run may checkpoint at another pace and still reaches the same weights.
   */
  checkpointMinutes?: number;
  /** Images used to recalibrate BN before each validation (OFA: 2,000). */
  recalibrationImages?: number;
  /**
   * Data-parallel replicas on worker threads (default 1): each computes its share of every
   * batch, batch norm is synchronised and gradients summed, so the run equals a one-process
   * run up to float rounding.
   */
  workers?: number;
  /**
   * XNNPACK threads of each replica's wasm engine (default: the active engine's). A value
   * other than the active engine's trains on worker threads even with one worker.
   */
  wasmThreads?: number;
  /**
   * How replicas share a step (see resolveSplit for the default, `auto`): `batch` gives each
   * its rows of every subnet's pass (batch norm synchronised), `subnets` gives each whole-batch
   * passes of some of the step's subnets (balanced by MACs, see assignArchs; a replica without
   * the largest recomputes its forward for the distillation targets, unless one of its subnets
   * is the largest itself). Both equal one process up to float rounding.
   */
  split?: Split;
  /** This process is one replica of a data-parallel run (set by the workers themselves). */
  collective?: Collective;
}

const OPTIMIZER_FILE = 'optimizer.safetensors';
const METRICS_FILE = 'metrics.jsonl';

/**
 * Supernet training with the sandwich rule (largest, smallest and N random subnets per
 * step, gradients summed) and in-place distillation (the largest subnet's predictions are
 * the others' targets), under a progressive-shrinking schedule; in a space whose candidates
 * have no order (operations), N uniformly drawn archs per step without distillation
 * (single-path one-shot training). Both with SGD with momentum, cosine
 * learning rate with warm-up, weight decay and label smoothing. Every random choice is a
 * function of (seed, epoch, step), and the weights, optimizer state and position are
 * checkpointed atomically after each epoch (and within it, see `checkpointMinutes`), so a
 * resumed run reaches the same weights as an uninterrupted one.
 */
export async function trainSupernet(model: TrainableSupernet, o: TrainOptions): Promise<{ epoch: number; step: number }> {
  const otherEngine = o.wasmThreads != null && o.wasmThreads !== (activeBackend()?.wasmThreads ?? 1);
  if (((o.workers ?? 1) > 1 || otherEngine) && !o.collective) return trainOnWorkers(model, o);
  await loadGradients();
  const c = o.config;
  const collective = o.collective ?? SOLO;
  const leader = collective.rank === 0;
  mkdirSync(o.out, { recursive: true });
  const sgd = new Sgd({ momentum: c.momentum, nesterov: c.nesterov, weightDecay: c.weightDecay, noDecay: NO_DECAY_BN_AND_BIAS });
  let { epoch, step } = { epoch: 0, step: 0 };
  let partial: PartialEpoch | undefined;
  if (o.resume) ({ epoch, step, partial } = resumeInto(model, sgd, o.out, c));
  else if (c.init) initFrom(model, c.init);
  const { train, val } = split(o.train, c.valFraction, c.seed);
  const stepsPerEpoch = Math.floor(train.count / c.batchSize);
  if (stepsPerEpoch === 0) throw new InputError(`--batch-size: ${c.batchSize} exceeds the ${train.count} training images`);
  const totalSteps = stepsPerEpoch * c.epochs;
  const mutator = new RandomMutator(model);
  const bySubnet = subnetSplitOf(model, mutator, c.subnetsPerStep, collective, o.split, c.distill);
  const shard = bySubnet ? { start: 0, count: c.batchSize } : shardOf(c.batchSize, collective);
  const params = model.namedParameters();
  const pathOf = new Map(params.map(([path, v]) => [v.name, path]));
  const resolutions = spaceOf(model).config(model).resolutions;
  const ordered = isOrdered(mutator);
  const phases: Phase[] = c.schedule === 'progressive' ? PROGRESSIVE_SHRINKING : ALL_ELASTIC;
  const batchOptions = { mean: c.mean, std: c.std };

  const checkpointMs = (o.checkpointMinutes ?? 10) * 60_000;
  let lastCheckpoint = performance.now();

  for (; epoch < c.epochs; epoch++) {
    const started = performance.now() - (partial?.seconds ?? 0) * 1000;
    const order = permutation(train.count, new Rng(c.seed * 1_000_003 + epoch));
    const allowed = allowedChoices(mutator, phaseAt(phases, epoch / c.epochs));
    const resolution = Math.max(...resolutions);
    const tracked = ordered ? sandwich(mutator.space, allowed, 0, new Rng(0), resolution) : uniformArchs(mutator, 2, new Rng(0));
    let lossSum = partial?.lossSum ?? 0;
    partial = undefined;
    const firstStep = epoch * stepsPerEpoch;
    for (step = Math.max(step, firstStep); step < firstStep + stepsPerEpoch; step++) {
      if (c.maxSteps && step >= c.maxSteps) return { epoch, step };
      const t0 = performance.now();
      const rng = new Rng(c.seed * 7_919 + step * 104_729 + 17);
      const stepResolution = resolutions[rng.int(resolutions.length)];
      const i0 = (step - firstStep) * c.batchSize;
      // Every replica draws the whole batch (the same random numbers as one process) and keeps its share.
      const { x, y, targets } = shardBatch(trainingBatch(train, order.subarray(i0, i0 + c.batchSize), c, stepResolution, rng), shard);
      const archs = ordered ? sandwich(mutator.space, allowed, c.subnetsPerStep, rng, stepResolution) : uniformArchs(mutator, Math.max(1, c.subnetsPerStep), rng);
      const local = () => sandwichGradients(model, mutator, archs, x, y, targets, { ...c, distill: ordered && c.distill }, pathOf, shard.count / c.batchSize, bySubnet);
      const { loss, accuracy, grads } =
        collective.size === 1 ? await settled(local()) : bySubnet ? allReduced(local(), collective, bySubnet.layout) : allReduced(withSynchronisedBatchNorm(collective, local), collective);
      bySubnet?.exchange.exchange(archs.length, collective);
      const lr = cosineLr(c.lr, step, totalSteps, Math.round(c.warmupEpochs * stepsPerEpoch));
      sgd.step(params, grads, lr);
      for (const g of grads.values()) g.dispose();
      tf.dispose([x, y, targets]);
      lossSum += loss;
      if (leader) o.onStep?.({ epoch, step, totalSteps, lr, loss, accuracy, imagesPerSecond: (c.batchSize * 1000) / (performance.now() - t0) });
      if (leader && step + 1 < firstStep + stepsPerEpoch && performance.now() - lastCheckpoint >= checkpointMs) {
        await checkpoint(model, sgd, o.out, c, epoch, step + 1, { lossSum, seconds: (performance.now() - started) / 1000 });
        lastCheckpoint = performance.now();
      }
    }
    // The leader validates and checkpoints; the others wait for it at the next step's first reduction.
    if (!leader) continue;
    const report = {
      epoch: epoch + 1,
      step,
      seconds: (performance.now() - started) / 1000,
      trainLoss: lossSum / stepsPerEpoch,
      valTop1Largest: await validate(model, tracked[0], resolutions, val, train, batchOptions, o.recalibrationImages),
      valTop1Smallest: await validate(model, tracked[1], resolutions, val, train, batchOptions, o.recalibrationImages),
      tracked: ordered ? ('extremes' as const) : ('fixed random archs' as const),
    };
    await checkpoint(model, sgd, o.out, c, epoch + 1, step);
    lastCheckpoint = performance.now();
    appendFileSync(join(o.out, METRICS_FILE), `${JSON.stringify(report)}\n`);
    o.onEpoch?.(report);
  }
  return { epoch, step };
}

/** A step's loss and accuracy read without a synchronous read (which webgpu cannot do in Node). */
async function settled({ loss, accuracy, grads }: StepTensors): Promise<StepResult> {
  const both = tf.stack([loss, accuracy]);
  tf.dispose([loss, accuracy]);
  const [l, a] = await both.data();
  both.dispose();
  return { loss: l, accuracy: a, grads };
}

/**
 * Losses and summed gradients of the sandwich; the first arch (largest) teaches the rest.
 * `share` (this replica's fraction of the batch) scales the loss, so replicas' gradients sum
 * to the whole batch's. Loss and accuracy are those of the first arch, left on the device.
 */
function sandwichGradients(
  model: AnyModule,
  mutator: RandomMutator,
  archs: Arch[],
  x: tf.Tensor,
  y: tf.Tensor1D,
  hard: tf.Tensor,
  c: TrainConfig,
  pathOf: Map<string, string>,
  share: number,
  split?: SubnetSplit,
): StepTensors {
  const sums = new Map<string, tf.Tensor>();
  let teacher: tf.Tensor | undefined;
  let loss: tf.Scalar | undefined;
  let accuracy: tf.Scalar | undefined;
  const mine = split ? split.owned(archs) : archs.map((_, i) => i);
  // A replica without the largest that has the largest itself among its subnets (a space of one
  // subnet, or a draw of the largest) takes the targets from that pass, run first, instead of a
  // forward of its own. Passes may run in any order: records and gradients are kept per arch.
  const withoutLargest = c.distill && mine.length > 0 && !mine.includes(0);
  const own = withoutLargest ? mine.find((i) => sameChoices(archs[i], archs[0])) : undefined;
  const order = own === undefined ? mine : [own, ...mine.filter((i) => i !== own)];
  // Otherwise such a replica runs the largest's forward first, for the targets only.
  const targetsForward = withoutLargest && own === undefined;
  for (const i of targetsForward ? [0, ...order] : order) {
    mutator.sampleByMask(archs[i]);
    if (!mine.includes(i)) {
      // The largest's owner blends its statistics in; this forward only gives the targets.
      teacher = tf.tidy(() => withStatisticsRecorder(() => {}, () => tf.softmax(model.forward(x))));
      continue;
    }
    const ownsTargets = i === own;
    const pass = () => tf.variableGrads(() => {
      const logits = model.forward(x);
      // A copy: the targets are constants of the loss, as the largest's are in one process.
      if (ownsTargets) teacher = tf.keep(tf.tensor(tf.softmax(logits).dataSync(), logits.shape));
      const targets = i === 0 || !c.distill ? hard : teacher!;
      if (i === 0) {
        teacher = tf.keep(tf.softmax(logits));
        accuracy = tf.keep(tf.mul(tf.mean(tf.cast(tf.equal(tf.argMax(logits, 1), y), 'float32')), share)) as tf.Scalar;
      }
      const lossValue = softmaxCrossEntropy(targets, logits);
      return share === 1 ? lossValue : tf.mul(lossValue, share);
    });
    const { value, grads } = split ? split.exchange.record(i, pass) : pass();
    if (i === 0) loss = value;
    else value.dispose();
    for (const [name, g] of Object.entries(grads)) {
      const path = pathOf.get(name);
      if (!path) continue;
      const prev = sums.get(path);
      if (prev) {
        sums.set(path, tf.add(prev, g));
        prev.dispose();
        g.dispose();
      } else sums.set(path, g);
    }
  }
  teacher?.dispose();
  // A replica without the largest adds nothing to the step's loss and accuracy (they are its).
  return { loss: loss ?? tf.scalar(0), accuracy: accuracy ?? tf.scalar(0), grads: sums };
}

async function validate(
  model: TrainableSupernet,
  arch: Arch,
  resolutions: number[],
  val: ImageDataset,
  train: ImageDataset,
  batchOptions: { mean: number[]; std: number[] },
  recalibrationImages = 500,
): Promise<number> {
  if (val.count === 0) return NaN;
  const resolution = Math.max(...resolutions);
  const subnet = spaceOf(model).subnet(model, arch);
  recalibrateBatchNorm(subnet, train, { ...batchOptions, resolution, images: recalibrationImages });
  const { top1 } = await evaluateTop1Async(subnet, val, { ...batchOptions, resolution });
  subnet.dispose();
  return top1;
}

type PartialEpoch = NonNullable<TrainState['partialEpoch']>;

async function checkpoint(model: TrainableSupernet, sgd: Sgd, out: string, config: TrainConfig, epoch: number, step: number, partialEpoch?: PartialEpoch): Promise<void> {
  // Weights and optimizer state first, the state file last: a crash in between leaves the
  // previous state.json, whose epoch and step the tensor files' metadata no longer match (refused).
  const position = { epoch: String(epoch), step: String(step) };
  const tensors = await downloadTensors(sgd.state());
  writeFileAtomic(join(out, OPTIMIZER_FILE), encodeSafetensors({ tensors, metadata: position }));
  saveSupernet(model, out, position, await downloadTensors(model.stateDict()));
  writeTrainState(out, { format: 'hbx-train-state', config, epoch, step, ...(partialEpoch && { partialEpoch }) });
}

function resumeInto(model: TrainableSupernet, sgd: Sgd, out: string, config: TrainConfig): { epoch: number; step: number; partial?: PartialEpoch } {
  const statePath = trainStatePath(out);
  const state = readTrainState(out);
  if (!state) throw new InputError(`--resume: ${statePath} does not exist (nothing to resume)`);
  for (const key of Object.keys(config) as (keyof TrainConfig)[]) {
    if (JSON.stringify(state.config[key]) !== JSON.stringify(config[key])) {
      throw new InputError(`${statePath}: field 'config.${key}': the run used ${JSON.stringify(state.config[key])}, this one ${JSON.stringify(config[key])}`);
    }
  }
  const weightsPath = join(out, SUPERNET_FILE);
  const weights = readSafetensorsFile(weightsPath);
  const opt = readSafetensorsFile(join(out, OPTIMIZER_FILE));
  for (const [file, meta] of [[weightsPath, weights.metadata], [join(out, OPTIMIZER_FILE), opt.metadata]] as const) {
    if (meta.epoch !== String(state.epoch)) throw new InputError(`${file}: field '__metadata__.epoch': ${meta.epoch}, but ${statePath} says ${state.epoch}`);
    // Checkpoints written before mid-epoch ones existed carry no step.
    if (meta.step !== undefined && meta.step !== String(state.step)) throw new InputError(`${file}: field '__metadata__.step': ${meta.step}, but ${statePath} says ${state.step}`);
  }
  loadWeightsChecked(model, weightsPath, weights);
  sgd.load(opt.tensors);
  return { epoch: state.epoch, step: state.step, partial: state.partialEpoch };
}

/**
 * Starts from another run's weights (fresh optimizer state and schedule): the same space, and
 * every tensor of the same name and shape. Its options may differ where that holds (another
 * stem stride, other resolutions or depths down to another minimum), unlike a resumed run.
 */
function initFrom(model: TrainableSupernet, source: string): void {
  const { file } = supernetPaths(source, '--init');
  const weights = readSafetensorsFile(file);
  if (weights.metadata.space !== model.spaceId) {
    throw new InputError(`${file}: field '__metadata__.space': checkpoint is for ${weights.metadata.space}, this run builds ${model.spaceId}`);
  }
  try {
    loadStateDictFrom(model, weights, file);
  } catch (err) {
    if (!(err instanceof InputError) || weights.metadata.options === JSON.stringify(model.options)) throw err;
    throw new InputError(`${err.message} (the checkpoint's options ${weights.metadata.options}, this run's ${JSON.stringify(model.options)})`);
  }
}

function loadWeightsChecked(model: TrainableSupernet, path: string, weights: ReturnType<typeof readSafetensorsFile>): void {
  if (weights.metadata.space !== model.spaceId || weights.metadata.options !== JSON.stringify(model.options)) {
    throw new InputError(`${path}: field '__metadata__.options': checkpoint is for ${weights.metadata.space} ${weights.metadata.options}, this run builds ${model.spaceId} ${JSON.stringify(model.options)}`);
  }
  loadStateDictFrom(model, weights, path);
}
