import { join } from 'node:path';
import { getDataset, permutation, subset, type ImageDataset } from '../../datasets/index.js';
import { DEFAULT_SPACE, getSpace, loadSupernet, ofaTrainOptions, readArchFor, spaceOf } from '../../networks/index.js';
import { activeBackend, initBackend, InputError, Rng } from '../../tensor/index.js';
import { applyTrainParams, DEFAULT_TRAIN, trainSubnet, trainSupernet, type TrainableSupernet, type TrainConfig, type TrainParams } from '../../train/index.js';
import type { Policy } from '../../augment/index.js';
import type { AnyModule, Arch } from '../../space/index.js';
import type { Distribution, ParamValue } from '../distributions.js';
import { TrialPruned, type Trial } from '../trial.js';

export { SHIPPED_SUPERNET } from '../../networks/index.js';

/** Seed of the train/validation split, fixed so that every trial sees the same images. */
const DATA_SEED = 20_261_202;

export interface DataOptions {
  dataset: string;
  /** Training images for each trial, and held-out validation images after them, both from the training split. */
  trainImages: number;
  valImages: number;
}

export interface TrainSubnetObjectiveOptions extends DataOptions {
  supernet: string;
  /** Start from the supernet's weights, or from a fresh initialisation of the same subnet. */
  init: 'supernet' | 'scratch';
  /** 'largest', 'smallest' or an arch file. */
  arch: string;
  seed: number;
  /** Settings for what the space does not tune. */
  settings: TrainParams;
  space: Record<string, Distribution>;
  /** The augmentation policy a trial trains with (it may suggest parameters of its own). */
  policyOf?: (trial: Trial) => Policy;
}

export interface TrainSupernetObjectiveOptions extends DataOptions {
  /** The space to train (default ofa-mbv3) and its options beyond what the dataset fixes. */
  supernetSpace?: string;
  spaceOptions?: Record<string, unknown>;
  /** Where spaceOptions came from, for errors (default 'spaceOptions'). */
  source?: string;
  /** ofa-mbv3's width multiplier, stem stride and resolutions (defaults 0.5, 2 and the images' size). */
  width?: number;
  stemStride?: number;
  resolutions?: number[];
  seed: number;
  /** 'mean': the mean of the largest and smallest subnets' validation top-1; 'both': the two as objectives. */
  objectives: 'mean' | 'both';
  /** Data-parallel worker threads per trial (default 1). */
  workers?: number;
  settings: TrainParams;
  space: Record<string, Distribution>;
  /** Each trial's checkpoints go to <out>/trials/<number>. */
  out: string;
}

/** A fixed split of the training set: the first trainImages of a seeded permutation for training, the next valImages for validation. */
export function proxyData(o: DataOptions): { train: ImageDataset; val: ImageDataset; mean: number[]; std: number[]; name: string } {
  const dataset = getDataset(o.dataset);
  const all = dataset.load('train');
  if (o.trainImages + o.valImages > all.count) throw new InputError(`trainImages + valImages: ${o.trainImages + o.valImages} exceed the ${all.count} training images of ${dataset.name}`);
  const order = permutation(all.count, new Rng(DATA_SEED));
  return {
    train: subset(all, order.subarray(0, o.trainImages)),
    val: subset(all, order.subarray(o.trainImages, o.trainImages + o.valImages)),
    mean: dataset.mean,
    std: dataset.std,
    name: dataset.name,
  };
}

function suggestAll(trial: Trial, space: Record<string, Distribution>): TrainParams {
  return Object.fromEntries(Object.entries(space).map(([name, d]) => [name, trial.suggest(name, d)])) as Record<string, ParamValue> as TrainParams;
}

/** Reports a value per epoch and stops the trial when the pruner says so. */
function reportEpoch(trial: Trial, epoch: number, value: number | number[]): void {
  trial.report(value, epoch);
  if (trial.shouldPrune()) throw new TrialPruned(`pruned after epoch ${epoch}`);
}

/**
 * Trains one arch (weights inherited from the supernet, or fresh) on a proxy split for the
 * trial's settings; reports validation top-1 after each epoch (for pruners) and returns the last.
 */
export function trainSubnetObjective(o: TrainSubnetObjectiveOptions): (trial: Trial) => Promise<number> {
  let cached: { data: ReturnType<typeof proxyData>; supernet: AnyModule } | null = null;
  return async (trial) => {
    if (!activeBackend()) await initBackend();
    cached ??= { data: proxyData(o), supernet: loadSupernet(o.supernet) };
    const { data, supernet } = cached;
    const { model, resolution } = subnetToTrain(supernet, o.arch, o.init);
    const tuned = applyTrainParams({ ...DEFAULT_TRAIN, epochs: 4 }, { ...o.settings, ...suggestAll(trial, o.space) });
    const settings = o.policyOf ? { ...tuned, augment: { ...tuned.augment, policy: o.policyOf(trial) } } : tuned;
    try {
      const reports = await trainSubnet(model, {
        config: { ...settings, seed: o.seed, mean: data.mean, std: data.std, resolution },
        train: data.train,
        val: data.val,
        onEpoch: (r) => reportEpoch(trial, r.epoch, r.valTop1),
      });
      return reports.at(-1)!.valTop1;
    } finally {
      model.dispose();
    }
  };
}

/** A short supernet run per trial: mean (or both) of the largest and smallest subnets' validation top-1 after each epoch. */
export function trainSupernetObjective(o: TrainSupernetObjectiveOptions): (trial: Trial) => Promise<number | number[]> {
  let data: ReturnType<typeof proxyData> | null = null;
  // Options a space refuses fail here, once, not in every trial.
  if (o.supernetSpace || o.spaceOptions) {
    data = proxyData(o);
    supernetFor(o, data.train).dispose();
  }
  const valueOf = (largest: number, smallest: number) => (o.objectives === 'both' ? [largest, smallest] : (largest + smallest) / 2);
  return async (trial) => {
    if (!activeBackend()) await initBackend();
    data ??= proxyData(o);
    const train = { ...data.train, images: concat(data.train.images, data.val.images), labels: concat(data.train.labels, data.val.labels), count: data.train.count + data.val.count };
    const model = supernetFor(o, train);
    const config: TrainConfig = applyTrainParams(
      { ...DEFAULT_TRAIN, epochs: 2, dataset: data.name, mean: data.mean, std: data.std, seed: o.seed, valFraction: data.val.count / train.count },
      { ...o.settings, ...suggestAll(trial, o.space) },
    );
    let last: number | number[] = NaN;
    try {
      await trainSupernet(model, {
        config,
        train,
        workers: o.workers ?? 1,
        out: join(o.out, 'trials', String(trial.number)),
        onEpoch: (r) => {
          last = valueOf(r.valTop1Largest, r.valTop1Smallest);
          reportEpoch(trial, r.epoch, last);
        },
      });
      return last;
    } finally {
      model.dispose();
    }
  };
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** A fresh supernet of the objective's space, fitted to the images (ofa-mbv3's own flags applied where it is that space). */
export function supernetFor(o: Pick<TrainSupernetObjectiveOptions, 'supernetSpace' | 'spaceOptions' | 'source' | 'width' | 'stemStride' | 'resolutions'>, data: ImageDataset): TrainableSupernet {
  const def = getSpace(o.supernetSpace ?? DEFAULT_SPACE);
  const size = data.height;
  const ofa = def.id === DEFAULT_SPACE ? ofaTrainOptions(o, size) : {};
  return def.create({ ...def.optionsFor({ channels: data.channels, classes: data.classes, size }), ...ofa, ...o.spaceOptions }, o.source ?? 'spaceOptions') as TrainableSupernet;
}

/**
 * The subnet to train: `archSpec` ('largest', 'smallest' or an arch file) of a supernet of any
 * space, with its weights or freshly initialised, and the input size it takes.
 */
export function subnetToTrain(supernet: AnyModule, archSpec: string, init: 'supernet' | 'scratch'): { model: AnyModule; arch: Arch; resolution: number } {
  const def = spaceOf(supernet);
  const arch = readArchFor(archSpec, supernet);
  const { resolutions } = def.config(supernet);
  // Same configuration, fresh weights.
  const source = init === 'supernet' ? supernet : def.withResolutions(supernet, resolutions);
  const model = def.subnet(source, arch);
  if (source !== supernet) source.dispose();
  return { model, arch, resolution: def.io(model).resolution ?? resolutions[0] };
}
