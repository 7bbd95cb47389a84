import { join } from 'node:path';
import { InputError, packageRoot } from '../tensor/index.js';
import { FASHION_MNIST_LABELS, getDataset, loadIdxPair, split, subset, type ImageDataset } from '../datasets/index.js';
import { loadSupernet, spaceOf, supernetPaths } from '../networks/index.js';
import { evaluateTop1, readTrainState, recalibrateBatchNorm, trainStatePath } from '../train/index.js';
import { RandomMutator, type AnyModule, type Arch } from '../space/index.js';
import { SearchSpace, type Genome } from './genome.js';
import type { AccuracyEstimator } from './problem.js';

/** Images a search evaluates subnets with: BN recalibration images and held-out validation images. */
export interface EvaluationData {
  recalibration: ImageDataset;
  val: ImageDataset;
  mean: number[];
  std: number[];
  labels?: string[];
  /** Where the images came from, for reports. */
  source: string;
}

/** A supernet checkpoint to search (a space without latency blocks is predicted per operator). */
export function openSearchSupernet(path: string): AnyModule {
  return loadSupernet(path);
}

/** The search space of a supernet: its decisions, those an arch leaves without effect (skipped blocks) left out of the encoding. */
export function searchSpaceOf(supernet: AnyModule): SearchSpace {
  return new SearchSpace(new RandomMutator(supernet), spaceOf(supernet).inactiveKeys?.(supernet));
}

const FIXTURE = () => join(packageRoot(), 'test', 'fixtures', 'fashion-mnist');

/**
 * The validation split the supernet was trained without (from its training state: dataset,
 * seed, validation share), recalibrating on its training split. When the dataset is not
 * installed, the committed 1,000-image Fashion-MNIST fixture serves for both, said in `source`.
 */
export function evaluationData(supernetPath: string, folders?: string[]): EvaluationData {
  const { folder } = supernetPaths(supernetPath);
  const state = readTrainState(folder);
  if (!state) throw new InputError(`--supernet: ${trainStatePath(folder)} is missing; the search needs the training state to find the held-out validation images`);
  const c = state.config;
  const dataset = getDataset(c.dataset);
  const norm = { mean: c.mean, std: c.std };
  let full: ImageDataset;
  try {
    full = dataset.load('train', folders);
  } catch (e) {
    if (!(e instanceof InputError) || c.dataset !== 'fashion-mnist') throw e;
    const fixture = loadIdxPair(join(FIXTURE(), 't10k-1000-images-idx3-ubyte.gz'), join(FIXTURE(), 't10k-1000-labels-idx1-ubyte.gz'), 'fashion-mnist-fixture', FASHION_MNIST_LABELS);
    return { recalibration: fixture, val: fixture, ...norm, labels: fixture.labelNames, source: `the 1,000-image Fashion-MNIST test fixture (${e.message.split(';')[0]})` };
  }
  const { train, val } = split(full, c.valFraction, c.seed);
  return { recalibration: train, val, ...norm, labels: full.labelNames, source: `${c.dataset}: ${val.count} held-out training images (seed ${c.seed}), BN recalibrated on its training split` };
}

export interface SubnetEvaluationOptions {
  /** Validation images used (the first N of the split; default all). */
  valImages?: number;
  /** Training images BN statistics are recalibrated on (OFA: 2,000). */
  recalibrationImages: number;
}

/** Top-1 of subnets evaluated with the supernet's inherited weights, BN recalibrated; cached per subnet. */
export class SupernetEvaluator implements AccuracyEstimator {
  readonly name = 'supernet';
  private readonly val: ImageDataset;
  private readonly cache = new Map<string, number>();

  constructor(
    readonly space: SearchSpace,
    readonly supernet: AnyModule,
    readonly data: EvaluationData,
    readonly options: SubnetEvaluationOptions,
  ) {
    const n = Math.min(options.valImages ?? data.val.count, data.val.count);
    this.val = n === data.val.count ? data.val : subset(data.val, Uint32Array.from({ length: n }, (_, i) => i));
  }

  get valImages(): number {
    return this.val.count;
  }

  top1(arch: Arch): number {
    const key = JSON.stringify(arch.choices);
    const hit = this.cache.get(key);
    if (hit != null) return hit;
    const subnet = spaceOf(this.supernet).subnet(this.supernet, arch);
    const batch = { mean: this.data.mean, std: this.data.std, resolution: arch.choices.resolution as number };
    recalibrateBatchNorm(subnet, this.data.recalibration, { ...batch, images: this.options.recalibrationImages });
    const { top1 } = evaluateTop1(subnet, this.val, batch);
    subnet.dispose();
    this.cache.set(key, top1);
    return top1;
  }

  /** Whether this subnet's top-1 is known (evaluated or remembered). */
  has(arch: Arch): boolean {
    return this.cache.has(JSON.stringify(arch.choices));
  }

  /** Takes a top-1 evaluated earlier with the same settings (e.g. an accuracy sample) instead of evaluating it again. */
  remember(arch: Arch, top1: number): void {
    this.cache.set(JSON.stringify(arch.choices), top1);
  }

  estimate(genomes: Genome[]): number[] {
    return genomes.map((g) => this.top1(this.space.toArch(g)));
  }
}
