import { BatchNormNd, withStatisticsRecorder, type AnyModule, type Arch, type Mutator, type RecordedStatistics } from '../space/index.js';
import { spaceOf } from '../networks/index.js';
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

/** Refuses a split by subnet with fewer subnets per step than workers. */
export function checkSubnetSplit(archCount: number, workers: number): void {
  if (archCount < workers) {
    throw new InputError(`--split subnets: ${workers} workers need at least ${workers} subnets per step, this run trains ${archCount}`);
  }
}

/** What a backward pass costs against its forward (both counted in the forward's MACs). */
const PASS_OVER_FORWARD = 3;

/**
 * Which worker computes each of the step's subnets (index 0, the largest, on worker 0): the
 * others dearest first, each to the worker it leaves least loaded (longest processing time
 * first). A forward and backward pass costs 3x its subnet's MACs; with distillation, a worker
 * without the largest also pays one forward of it for the targets, unless the subnet it gets
 * is the largest itself (`sameAsLargest`). The same on every replica: the archs are.
 */
export function assignArchs(macs: number[], workers: number, distill: boolean, sameAsLargest: (i: number) => boolean = () => false): number[] {
  const owner = new Array<number>(macs.length).fill(0);
  const load = new Array<number>(workers).fill(0);
  const hasTargets = Array.from({ length: workers }, (_, w) => w === 0 || !distill);
  load[0] = PASS_OVER_FORWARD * macs[0];
  const order = macs.map((_, i) => i).slice(1).sort((a, b) => macs[b] - macs[a] || a - b);
  for (const i of order) {
    const cost = (w: number) => PASS_OVER_FORWARD * macs[i] + (hasTargets[w] || sameAsLargest(i) ? 0 : macs[0]);
    let best = 0;
    for (let w = 1; w < workers; w++) if (load[w] + cost(w) < load[best] + cost(best)) best = w;
    load[best] += cost(best);
    hasTargets[best] = true;
    owner[i] = best;
  }
  return owner;
}

/** Subnets in a step: the sandwich (largest, smallest, n random), or n uniform draws (at least 1). */
export function archsPerStep(mutator: Mutator, subnetsPerStep: number): number {
  return isOrdered(mutator) ? 2 + subnetsPerStep : Math.max(1, subnetsPerStep);
}

/** What a replica needs to take its share of a step split by subnet. */
export interface SubnetSplit {
  /** This replica's share of a step's archs (indices), balanced by their MACs. */
  owned(archs: Arch[]): number[];
  exchange: RunningStatsExchange;
  /** Every parameter's path and shape: the gradient message's layout (see allReduced). */
  layout: [string, number[]][];
}

/** This replica's subnet split, or undefined where the run is not split by subnet. */
export function subnetSplitOf(model: AnyModule, mutator: Mutator, subnetsPerStep: number, collective: Collective, requested?: Split, distill = true): SubnetSplit | undefined {
  if (collective.size === 1) return undefined;
  const archCount = archsPerStep(mutator, subnetsPerStep);
  if (resolveSplit(requested, archCount, collective.size) !== 'subnets') return undefined;
  checkSubnetSplit(archCount, collective.size);
  const layout = model.namedParameters().map(([path, v]): [string, number[]] => [path, v.shape]);
  const def = spaceOf(model);
  const owned = (archs: Arch[]) => {
    const same = (i: number) => sameChoices(archs[i], archs[0]);
    const owner = assignArchs(archs.map((a) => def.cost(model, a).macs), collective.size, distill && isOrdered(mutator), same);
    return owner.flatMap((w, i) => (w === collective.rank ? [i] : []));
  };
  return { owned, exchange: new RunningStatsExchange(model), layout };
}

export const sameChoices = (a: Arch, b: Arch) => JSON.stringify(a.choices) === JSON.stringify(b.choices);

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
