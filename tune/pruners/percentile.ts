import type { FrozenTrial } from '../frozen.js';
import type { StudyView } from '../samplers/base.js';
import { dominatedShare, lastStep, signsOf } from './common.js';
import type { Pruner } from './base.js';

export interface PercentileOptions {
  /** Trials that must have completed before any is pruned (Optuna: 5). */
  nStartupTrials?: number;
  /** Steps of each trial that are never pruned (Optuna: 0). */
  nWarmupSteps?: number;
  /** Check every this many steps after the warm-up (Optuna: 1). */
  intervalSteps?: number;
  /** Trials that must have reported this step before it is judged (Optuna: 1). */
  nMinTrials?: number;
}

/**
 * Prunes a trial whose best report so far is worse than the given percentile of what the
 * complete trials reported at the same step. With several objectives a report is a vector, and
 * the trial is pruned when more than (100 - percentile)% of those reports dominate it.
 */
export class PercentilePruner implements Pruner {
  private readonly o: Required<PercentileOptions>;

  constructor(
    readonly percentile: number,
    options: PercentileOptions = {},
  ) {
    if (!(percentile >= 0 && percentile <= 100)) throw new RangeError(`PercentilePruner: percentile must be in [0, 100], got ${percentile}`);
    this.o = { nStartupTrials: options.nStartupTrials ?? 5, nWarmupSteps: options.nWarmupSteps ?? 0, intervalSteps: options.intervalSteps ?? 1, nMinTrials: options.nMinTrials ?? 1 };
  }

  prune(study: StudyView, trial: FrozenTrial): boolean {
    const step = lastStep(trial);
    if (step == null || step < this.o.nWarmupSteps) return false;
    if ((step - this.o.nWarmupSteps) % this.o.intervalSteps !== 0) return false;
    const complete = study.trials.filter((t) => t.state === 'complete' && t.number !== trial.number);
    if (complete.length < this.o.nStartupTrials) return false;
    const others = complete.map((t) => t.intermediate.get(step)).filter((v): v is number[] => v != null && v.every(Number.isFinite));
    if (others.length < this.o.nMinTrials) return false;
    const signs = signsOf(study);
    const current = trial.intermediate.get(step)!;
    if (!current.every(Number.isFinite)) return true;
    if (signs.length === 1 || current.length === 1) {
      const best = bestSoFar(trial, signs[0]);
      const threshold = percentileOf(others.map((v) => signs[0] * v[0]), this.percentile);
      return signs[0] * best > threshold;
    }
    return dominatedShare(current, others, signs) > 1 - this.percentile / 100;
  }
}

export class MedianPruner extends PercentilePruner {
  constructor(options: PercentileOptions = {}) {
    super(50, options);
  }
}

function bestSoFar(trial: FrozenTrial, sign: number): number {
  let best = Infinity;
  for (const v of trial.intermediate.values()) if (Number.isFinite(v[0])) best = Math.min(best, sign * v[0]);
  return sign * best;
}

/** Linear interpolation between closest ranks, as numpy.percentile. */
export function percentileOf(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (q / 100) * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}
