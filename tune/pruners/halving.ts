import { crowdingDistance, nonDominatedSort } from '../../search/pareto.js';
import type { FrozenTrial } from '../frozen.js';
import { hash32, type StudyView } from '../samplers/base.js';
import type { Pruner } from './base.js';
import { lastStep, signsOf, stepsOfFirstComplete, valueAtOrAfter } from './common.js';

export interface HalvingOptions {
  /** Steps before the first rung; 'auto': a hundredth of the first complete trial's steps (at least 1). */
  minResource?: number | 'auto';
  reductionFactor?: number;
  minEarlyStoppingRate?: number;
  /** Trials that must reach a rung before anyone is promoted from it (fewer: pruned). */
  bootstrapCount?: number;
}

/**
 * Asynchronous successive halving (ASHA): at steps r * f^k a trial goes on only if its report
 * there is among the best 1/f of all reports at that rung so far. With several objectives the
 * order is non-dominated rank, then crowding; the first front is always promoted.
 */
export class SuccessiveHalvingPruner implements Pruner {
  readonly reductionFactor: number;
  readonly minEarlyStoppingRate: number;
  readonly bootstrapCount: number;
  private readonly minResource: number | 'auto';

  constructor(
    options: HalvingOptions = {},
    private readonly sameBracket: (study: StudyView, trial: FrozenTrial) => boolean = () => true,
  ) {
    this.minResource = options.minResource ?? 'auto';
    this.reductionFactor = options.reductionFactor ?? 4;
    this.minEarlyStoppingRate = options.minEarlyStoppingRate ?? 0;
    this.bootstrapCount = options.bootstrapCount ?? 0;
    if (!(this.reductionFactor >= 2)) throw new RangeError(`SuccessiveHalvingPruner: reductionFactor must be >= 2, got ${this.reductionFactor}`);
    if (this.minResource !== 'auto' && !(this.minResource >= 1)) throw new RangeError(`SuccessiveHalvingPruner: minResource must be >= 1 or 'auto'`);
  }

  prune(study: StudyView, trial: FrozenTrial): boolean {
    const step = lastStep(trial);
    const minResource = this.minResource === 'auto' ? autoMinResource(study) : this.minResource;
    if (step == null || minResource == null) return false;
    const rungStep = (rung: number) => minResource * this.reductionFactor ** (this.minEarlyStoppingRate + rung);
    let rung = -1;
    while (rungStep(rung + 1) <= step) rung++;
    if (rung < 0) return false;
    const at = rungStep(rung);
    // A rung is judged once, at the trial's first report on or after it.
    const firstAtRung = [...trial.intermediate.keys()].filter((s) => s >= at).reduce((a, b) => Math.min(a, b), Infinity);
    if (firstAtRung !== step) return false;
    const value = valueAtOrAfter(trial, at)!;
    if (!value.every(Number.isFinite)) return true;
    const competing = study.trials
      .filter((t) => t.number !== trial.number && this.sameBracket(study, t))
      .map((t) => valueAtOrAfter(t, at))
      .filter((v): v is number[] => v != null && v.every(Number.isFinite));
    if (competing.length < this.bootstrapCount) return true;
    return !promotable(value, competing, signsOf(study), this.reductionFactor);
  }
}

function promotable(value: number[], competing: number[][], signs: number[], rf: number): boolean {
  const all = [value, ...competing];
  const keep = Math.max(Math.floor(all.length / rf), 1);
  if (signs.length === 1 || value.length === 1) {
    const sorted = all.map((v) => signs[0] * v[0]).sort((a, b) => a - b);
    return signs[0] * value[0] <= sorted[keep - 1];
  }
  const points = all.map((v) => v.map((x, i) => signs[i] * x));
  const fronts = nonDominatedSort(points);
  if (fronts[0].includes(0)) return true;
  const order = fronts.flatMap((front) => {
    const distance = crowdingDistance(front, points);
    return [...front].sort((a, b) => distance.get(b)! - distance.get(a)!);
  });
  return order.indexOf(0) < keep;
}

function autoMinResource(study: StudyView): number | null {
  const steps = stepsOfFirstComplete(study);
  return steps == null ? null : Math.max(Math.ceil(steps / 100), 1);
}

export interface HyperbandOptions {
  minResource?: number;
  /** The most steps a trial runs; 'auto': the first complete trial's steps. */
  maxResource?: number | 'auto';
  reductionFactor?: number;
  bootstrapCount?: number;
}

/**
 * Hyperband: several successive-halving brackets, each starting to prune at a later rung; every
 * trial is assigned one bracket (by a hash of study and trial number, weighted by the brackets'
 * budgets) and competes only with its bracket.
 */
export class HyperbandPruner implements Pruner {
  private readonly minResource: number;
  private readonly maxResource: number | 'auto';
  private readonly reductionFactor: number;
  private readonly bootstrapCount: number;
  private brackets: SuccessiveHalvingPruner[] | null = null;
  private budgets: number[] = [];

  constructor(options: HyperbandOptions = {}) {
    this.minResource = options.minResource ?? 1;
    this.maxResource = options.maxResource ?? 'auto';
    this.reductionFactor = options.reductionFactor ?? 3;
    this.bootstrapCount = options.bootstrapCount ?? 0;
  }

  prune(study: StudyView, trial: FrozenTrial): boolean {
    if (!this.brackets) this.setUp(study);
    if (!this.brackets) return false;
    return this.brackets[this.bracketOf(study, trial)].prune(study, trial);
  }

  bracketOf(study: StudyView, trial: FrozenTrial): number {
    const total = this.budgets.reduce((s, b) => s + b, 0);
    let n = hash32(`${study.name}_${trial.number}`) % total;
    for (let b = 0; b < this.budgets.length; b++) {
      if (n < this.budgets[b]) return b;
      n -= this.budgets[b];
    }
    return this.budgets.length - 1;
  }

  private setUp(study: StudyView): void {
    let max = this.maxResource;
    if (max === 'auto') {
      const steps = stepsOfFirstComplete(study);
      if (steps == null) return;
      max = steps;
    }
    const count = Math.floor(Math.log(max / this.minResource) / Math.log(this.reductionFactor) + 1e-9) + 1;
    this.budgets = Array.from({ length: count }, (_, b) => {
      const s = count - 1 - b;
      return Math.ceil((count * this.reductionFactor ** s) / (s + 1));
    });
    this.brackets = this.budgets.map(
      (_, b) =>
        new SuccessiveHalvingPruner(
          { minResource: this.minResource, reductionFactor: this.reductionFactor, minEarlyStoppingRate: b, bootstrapCount: this.bootstrapCount },
          (s, other) => this.bracketOf(s, other) === b,
        ),
    );
  }
}
