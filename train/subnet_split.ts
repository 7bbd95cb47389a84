import { BatchNormNd, withStatisticsRecorder, type AnyModule, type Mutator, type RecordedStatistics } from '../space/index.js';
import { isOrdered } from './sampling.js';
import { InputError } from '../tensor/index.js';
import type { Collective } from './collective.js';

/** How data-parallel replicas share a step: rows of the batch, the step's subnets, or `auto`. */
export const SPLITS = ['auto', 'batch', 'subnets'] as const;
export type Split = (typeof SPLITS)[number];

/**
 * `auto` splits by subnet where the step has a subnet for every worker (measured faster than
 * splitting rows on 5 of the 6 rows of bench/train-vs-torch.ts, a tie on the sixth), by batch
 * rows otherwise.
 */
export function resolveSplit(requested: Split = 'auto', archCount: number, workers: number): Exclude<Split, 'auto'> {
  if (requested !== 'auto') return requested;
  return archCount >= workers ? 'subnets' : 'batch';
}

/** Per batch norm and arch: the count of values behind the statistics, and their channels. */
const HEADER = 2;

/** The step's archs (by index) a replica computes when the step is split by subnet: round robin. */
export function ownedArchs(archCount: number, c: Pick<Collective, 'rank' | 'size'>): number[] {
  if (archCount < c.size) {
    throw new InputError(`--split subnets: ${c.size} workers need at least ${c.size} subnets per step, this run trains ${archCount}`);
  }
  return Array.from({ length: archCount }, (_, i) => i).filter((i) => i % c.size === c.rank);
}

/** Subnets in a step: the sandwich (largest, smallest, n random), or n uniform draws (at least 1). */
export function archsPerStep(mutator: Mutator, subnetsPerStep: number): number {
  return isOrdered(mutator) ? 2 + subnetsPerStep : Math.max(1, subnetsPerStep);
}

/** What a replica needs to take its share of a step split by subnet. */
export interface SubnetSplit {
  owned: number[];
  exchange: RunningStatsExchange;
  /** Every parameter's path and shape: the gradient message's layout (see allReduced). */
  layout: [string, number[]][];
}

/** This replica's subnet split, or undefined where the run is not split by subnet. */
export function subnetSplitOf(model: AnyModule, mutator: Mutator, subnetsPerStep: number, collective: Collective, requested?: Split): SubnetSplit | undefined {
  if (collective.size === 1) return undefined;
  const archCount = archsPerStep(mutator, subnetsPerStep);
  if (resolveSplit(requested, archCount, collective.size) !== 'subnets') return undefined;
  const layout = model.namedParameters().map(([path, v]): [string, number[]] => [path, v.shape]);
  return { owned: ownedArchs(archCount, collective), exchange: new RunningStatsExchange(model), layout };
}

/**
 * Keeps every replica's batch-norm running statistics those of one process when replicas
 * split a step by subnet. In one process every subnet's forward blends its batch statistics
 * into the shared running ones, in sandwich order; here each replica records those of its own
 * subnets, the records are summed across replicas (each arch's slot filled by its owner only),
 * and every replica replays all of them in sandwich order.
 */
export class RunningStatsExchange {
  private readonly layers: BatchNormNd[];
  private readonly offsets = new Map<BatchNormNd, number>();
  readonly floatsPerArch: number;
  private records = new Map<number, Map<BatchNormNd, RecordedStatistics>>();

  constructor(model: AnyModule) {
    this.layers = model.namedModules().flatMap(([, m]) => (m instanceof BatchNormNd ? [m] : []));
    let offset = 0;
    for (const bn of this.layers) {
      this.offsets.set(bn, offset);
      offset += HEADER + 2 * bn.runningMean.shape[0];
    }
    this.floatsPerArch = offset;
  }

  /** Runs `fn` (arch `arch`'s forward and backward) recording its batch statistics. */
  record<T>(arch: number, fn: () => T): T {
    const records = new Map<BatchNormNd, RecordedStatistics>();
    this.records.set(arch, records);
    return withStatisticsRecorder((bn, statistics) => {
      if (records.has(bn)) throw new Error('--split subnets: a batch norm ran twice in one subnet\'s forward');
      records.set(bn, statistics);
    }, fn);
  }

  /** Sums the step's records over the replicas and replays them, arch by arch, on this one. */
  exchange(archCount: number, collective: Collective): void {
    const flat = new Float32Array(archCount * this.floatsPerArch);
    for (const [arch, records] of this.records) {
      for (const [bn, { mean, variance, count }] of records) {
        const at = arch * this.floatsPerArch + this.offsets.get(bn)!;
        const width = bn.runningMean.shape[0];
        flat[at] = count;
        flat[at + 1] = mean.length;
        flat.set(mean, at + HEADER);
        flat.set(variance, at + HEADER + width);
      }
    }
    this.records = new Map();
    const all = collective.allReduce(flat);
    for (let arch = 0; arch < archCount; arch++) {
      for (const bn of this.layers) {
        const at = arch * this.floatsPerArch + this.offsets.get(bn)!;
        const count = all[at];
        if (count === 0) continue;
        const [width, channels] = [bn.runningMean.shape[0], all[at + 1]];
        const vector = (from: number) => Float64Array.from(all.subarray(from, from + channels));
        bn.applyBatchStatistics({ mean: vector(at + HEADER), variance: vector(at + HEADER + width), count });
      }
    }
  }
}
