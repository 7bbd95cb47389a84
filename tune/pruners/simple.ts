import type { FrozenTrial } from '../frozen.js';
import type { StudyView } from '../samplers/base.js';
import type { Pruner } from './base.js';
import { lastStep, signsOf } from './common.js';

/** Prunes a report outside [lower, upper] (every objective's value is checked) or not a number. */
export class ThresholdPruner implements Pruner {
  constructor(private readonly o: { lower?: number; upper?: number; nWarmupSteps?: number; intervalSteps?: number }) {
    if (o.lower == null && o.upper == null) throw new RangeError('ThresholdPruner: give lower, upper or both');
    if (o.lower != null && o.upper != null && o.lower > o.upper) throw new RangeError(`ThresholdPruner: lower (${o.lower}) exceeds upper (${o.upper})`);
  }

  prune(_study: StudyView, trial: FrozenTrial): boolean {
    const step = lastStep(trial);
    const warmup = this.o.nWarmupSteps ?? 0;
    if (step == null || step < warmup || (step - warmup) % (this.o.intervalSteps ?? 1) !== 0) return false;
    return trial.intermediate.get(step)!.some((v) => !Number.isFinite(v) || (this.o.lower != null && v < this.o.lower) || (this.o.upper != null && v > this.o.upper));
  }
}

/**
 * Prunes when `patience` steps in a row have not improved on the best report before them by
 * more than minDelta (then asks the wrapped pruner, if any). Several objectives: a step
 * improves when it improves any of them.
 */
export class PatientPruner implements Pruner {
  constructor(
    private readonly wrapped: Pruner | null,
    private readonly patience: number,
    private readonly minDelta = 0,
  ) {
    if (!Number.isInteger(patience) || patience < 0) throw new RangeError(`PatientPruner: patience must be a non-negative integer, got ${patience}`);
    if (minDelta < 0) throw new RangeError(`PatientPruner: minDelta must be >= 0, got ${minDelta}`);
  }

  prune(study: StudyView, trial: FrozenTrial): boolean {
    if (lastStep(trial) == null) return false;
    const steps = [...trial.intermediate.keys()].sort((a, b) => a - b);
    if (steps.length <= this.patience + 1) return false;
    const signs = signsOf(study);
    const values = steps.map((s) => trial.intermediate.get(s)!);
    const before = values.slice(0, -this.patience - 1);
    const after = values.slice(-this.patience - 1);
    const bestOf = (rows: number[][], m: number) => Math.min(...rows.map((r) => signs[Math.min(m, signs.length - 1)] * r[m]).filter(Number.isFinite));
    // As Optuna: stalled unless the window's best beats the best before it by more than minDelta.
    const stalled = values[0].every((_, m) => !(bestOf(after, m) <= bestOf(before, m) - this.minDelta));
    if (!stalled) return false;
    return this.wrapped ? this.wrapped.prune(study, trial) : true;
  }
}
