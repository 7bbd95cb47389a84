import { dominates } from '../../search/pareto.js';
import { lastStep, type FrozenTrial } from '../frozen.js';

export { lastStep };
import type { StudyView } from '../samplers/base.js';

export function signsOf(study: StudyView): number[] {
  return study.directions.map((d) => (d === 'minimize' ? 1 : -1));
}

/** How many steps the first complete trial that reported ran (its deepest step + 1), or null: the 'auto' resources. */
export function stepsOfFirstComplete(study: StudyView): number | null {
  const done = study.trials.find((t) => t.state === 'complete' && t.intermediate.size > 0);
  return done ? lastStep(done)! + 1 : null;
}

/** Share of `others` that dominate `point` (objectives signed so that smaller is better). */
export function dominatedShare(point: number[], others: number[][], signs: number[]): number {
  const p = point.map((v, i) => signs[i] * v);
  const count = others.filter((o) => dominates(o.map((v, i) => signs[i] * v), p)).length;
  return others.length ? count / others.length : 0;
}

/** The value a trial reported at the first step at or after `step`, or null. */
export function valueAtOrAfter(trial: FrozenTrial, step: number): number[] | null {
  let found: number | null = null;
  for (const s of trial.intermediate.keys()) if (s >= step && (found == null || s < found)) found = s;
  return found == null ? null : trial.intermediate.get(found)!;
}
