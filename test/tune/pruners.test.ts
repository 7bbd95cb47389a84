import { describe, expect, it } from 'vitest';
import {
  HyperbandPruner,
  MedianPruner,
  newFrozenTrial,
  PatientPruner,
  PercentilePruner,
  SuccessiveHalvingPruner,
  ThresholdPruner,
  type FrozenTrial,
  type StudyView,
  type TrialState,
} from '../../tune/index.js';

function trial(number: number, state: TrialState, reports: (number | number[])[], firstStep = 0): FrozenTrial {
  const t = newFrozenTrial(number, state);
  reports.forEach((v, i) => t.intermediate.set(firstStep + i, typeof v === 'number' ? [v] : v));
  return t;
}

const view = (trials: FrozenTrial[], directions: ('minimize' | 'maximize')[] = ['minimize']): StudyView => ({ name: 's', directions, trials });

describe('percentile and median pruners', () => {
  const done = [0, 1, 2, 3, 4].map((n) => trial(n, 'complete', [10 + n, 5 + n, 1 + n]));

  it('prune a trial worse than the median of complete trials at the same step, after the start-up trials', () => {
    const pruner = new MedianPruner({ nStartupTrials: 5 });
    // Step 1: others reported 5..9, median 7.
    expect(pruner.prune(view([...done, trial(5, 'running', [12, 7.5])]), trial(5, 'running', [12, 7.5]))).toBe(true);
    expect(pruner.prune(view(done), trial(5, 'running', [12, 6.9]))).toBe(false);
    // The best report so far counts: 6 at step 0 beats step 1's median.
    expect(pruner.prune(view(done), trial(5, 'running', [6, 20]))).toBe(false);
    expect(new MedianPruner({ nStartupTrials: 6 }).prune(view(done), trial(5, 'running', [12, 100]))).toBe(false);
    expect(new MedianPruner({ nWarmupSteps: 2 }).prune(view(done), trial(5, 'running', [12, 100]))).toBe(false);
  });

  it('the 25th percentile prunes more; maximising flips the comparison; a NaN report is pruned', () => {
    const p25 = new PercentilePruner(25, { nStartupTrials: 1 });
    // Step 1 values 5..9: 25th percentile 6.
    expect(p25.prune(view(done), trial(5, 'running', [99, 6.5]))).toBe(true);
    expect(p25.prune(view(done), trial(5, 'running', [99, 5.9]))).toBe(false);
    const up = new MedianPruner({ nStartupTrials: 1 });
    expect(up.prune(view(done, ['maximize']), trial(5, 'running', [0, 6.5]))).toBe(true);
    expect(up.prune(view(done, ['maximize']), trial(5, 'running', [0, 7.5]))).toBe(false);
    expect(up.prune(view(done), trial(5, 'running', [0, Number.NaN]))).toBe(true);
  });

  it('several objectives: pruned when more than half of the reports at that step dominate it', () => {
    const others = [trial(0, 'complete', [[1, 1]]), trial(1, 'complete', [[2, 2]]), trial(2, 'complete', [[0, 5]])];
    const m = new MedianPruner({ nStartupTrials: 1 });
    expect(m.prune(view(others, ['minimize', 'minimize']), trial(3, 'running', [[3, 3]]))).toBe(true);
    expect(m.prune(view(others, ['minimize', 'minimize']), trial(3, 'running', [[1.5, 1.5]]))).toBe(false);
  });
});

describe('successive halving (ASHA) and Hyperband', () => {
  it('keeps the best quarter at rungs 1, 4, 16 and judges each rung once', () => {
    const sh = new SuccessiveHalvingPruner({ minResource: 1, reductionFactor: 4 });
    // Eight other trials reached step 1 with values 1..8; with the new one, n = 9, keep floor(9/4) = 2.
    const others = [1, 2, 3, 4, 5, 6, 7, 8].map((v, i) => trial(i, 'complete', [v + 10, v]));
    expect(sh.prune(view(others), trial(9, 'running', [0, 2.5]))).toBe(true);
    expect(sh.prune(view(others), trial(9, 'running', [0, 1.5]))).toBe(false);
    // Step 2 and 3 are between rungs: never pruned there.
    expect(sh.prune(view(others), trial(9, 'running', [0, 1.5, 99, 99]))).toBe(false);
    // Step 0 is before the first rung.
    expect(sh.prune(view(others), trial(9, 'running', [99]))).toBe(false);
  });

  it('a lone trial at a rung is promoted; bootstrapCount prunes until enough trials reached it', () => {
    expect(new SuccessiveHalvingPruner({ minResource: 1 }).prune(view([]), trial(0, 'running', [5, 5]))).toBe(false);
    expect(new SuccessiveHalvingPruner({ minResource: 1, bootstrapCount: 2 }).prune(view([]), trial(0, 'running', [5, 5]))).toBe(true);
  });

  it("'auto' minimum resource waits for a complete trial, then is a hundredth of its steps", () => {
    const sh = new SuccessiveHalvingPruner({ reductionFactor: 2 });
    expect(sh.prune(view([]), trial(1, 'running', [9, 9]))).toBe(false);
    const long = trial(0, 'complete', Array.from({ length: 300 }, () => 0));
    // min resource ceil(300 / 100) = 3; at step 3 a lone competitor with 0 beats 9 (keep 1 of 2).
    expect(sh.prune(view([long]), trial(1, 'running', [9, 9, 9, 9]))).toBe(true);
  });

  it('Hyperband: brackets by budget, each starting to prune one rung later than the previous', () => {
    const hb = new HyperbandPruner({ minResource: 1, maxResource: 27, reductionFactor: 3 });
    const trials = Array.from({ length: 200 }, (_, i) => trial(i, 'complete', [0]));
    hb.prune(view(trials), trials[0]);
    const counts = [0, 0, 0, 0];
    for (const t of trials) counts[hb.bracketOf(view(trials), t)]++;
    // Budgets ceil(4 * 3^s / (s + 1)) for s = 3..0: 27, 12, 6, 4 of 49.
    expect(counts.every((c) => c > 0)).toBe(true);
    expect(counts[0]).toBeGreaterThan(counts[3]);
    expect(counts[0] / 200).toBeGreaterThan(0.4);
  });
});

describe('threshold and patient pruners', () => {
  it('threshold prunes outside the bounds and NaN, after the warm-up', () => {
    const p = new ThresholdPruner({ lower: 0, upper: 1, nWarmupSteps: 1 });
    expect(p.prune(view([]), trial(0, 'running', [5]))).toBe(false);
    expect(p.prune(view([]), trial(0, 'running', [5, 1.5]))).toBe(true);
    expect(p.prune(view([]), trial(0, 'running', [5, -0.1]))).toBe(true);
    expect(p.prune(view([]), trial(0, 'running', [5, Number.NaN]))).toBe(true);
    expect(p.prune(view([]), trial(0, 'running', [5, 0.5]))).toBe(false);
    expect(() => new ThresholdPruner({})).toThrow('give lower, upper or both');
  });

  it('patient prunes after `patience` steps without improvement beyond minDelta', () => {
    const p = new PatientPruner(null, 2, 0.1);
    expect(p.prune(view([]), trial(0, 'running', [5, 4, 3.95, 3.92, 3.93]))).toBe(true);
    expect(p.prune(view([]), trial(0, 'running', [5, 4, 3.95, 3.8, 3.9]))).toBe(false);
    expect(p.prune(view([]), trial(0, 'running', [5, 4, 3.95, 3.92]))).toBe(false);
    expect(p.prune(view([]), trial(0, 'running', [5, 4, 4]))).toBe(false);
    // Wrapped: a stalled trial is pruned only if the wrapped pruner agrees.
    const never = new PatientPruner(new ThresholdPruner({ upper: 100 }), 1);
    expect(never.prune(view([]), trial(0, 'running', [1, 2, 3]))).toBe(false);
  });
});
