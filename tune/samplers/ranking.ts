import { nonDominatedSort } from '../../search/pareto.js';
import type { FrozenTrial } from '../frozen.js';
import type { StudyView } from './base.js';

/** Total constraint violation: the sum of the positive constraint values (0 when feasible). */
export const violation = (t: FrozenTrial): number => (t.constraints ?? []).reduce((s, c) => s + Math.max(0, c), 0);

/** Objective values with every objective turned into one to minimise. */
export function minimised(study: StudyView, t: FrozenTrial): number[] {
  return t.values!.map((v, m) => (study.directions[m] === 'minimize' ? v : -v));
}

/** Complete trials of a one-objective study, best first: feasible ones by value, then infeasible ones by violation; ties by number. */
export function feasibleFirst(study: StudyView, trials: readonly FrozenTrial[]): FrozenTrial[] {
  const key = (t: FrozenTrial) => [violation(t), minimised(study, t)[0], t.number];
  return [...trials].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    return ka[0] - kb[0] || ka[1] - kb[1] || ka[2] - kb[2];
  });
}

/**
 * Deb's constrained domination as fronts: the non-dominated fronts of the feasible trials, then
 * the infeasible ones, one front per violation level, least violated first.
 */
export function constrainedFronts(study: StudyView, trials: readonly FrozenTrial[]): FrozenTrial[][] {
  const feasible = trials.filter((t) => violation(t) === 0);
  const points = feasible.map((t) => minimised(study, t));
  const fronts = nonDominatedSort(points).map((front) => front.map((i) => feasible[i]));
  const infeasible = trials.filter((t) => violation(t) > 0).sort((a, b) => violation(a) - violation(b) || a.number - b.number);
  for (const t of infeasible) {
    const last = fronts.at(-1);
    if (last && last.length && violation(last[0]) === violation(t)) last.push(t);
    else fronts.push([t]);
  }
  return fronts;
}

/** Complete trials by the generation recorded in system attribute `key`, each list in number order. */
export function completeByGeneration(study: StudyView, key: string, keep: (t: FrozenTrial) => boolean = () => true): Map<number, FrozenTrial[]> {
  const out = new Map<number, FrozenTrial[]>();
  for (const t of study.trials) {
    const g = t.systemAttrs[key];
    if (t.state !== 'complete' || typeof g !== 'number' || !keep(t)) continue;
    const list = out.get(g);
    if (list) list.push(t);
    else out.set(g, [t]);
  }
  return out;
}
