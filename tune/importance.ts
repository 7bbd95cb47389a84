import type { Distribution } from './distributions.js';
import type { FrozenTrial } from './frozen.js';
import { toUnit } from './samplers/unit.js';

const NUMERIC_BINS = 5;

/**
 * Parameter importances by the share of the objective's variance each parameter explains on
 * its own: epsilon-squared, the bias-corrected correlation ratio of one-way ANOVA,
 * (SS_between - (k - 1) MS_within) / SS_total, clipped at 0. A categorical's groups are its
 * choices; a numeric parameter's are 5 equal-count bins of its values (on its log scale when it
 * has one). Computed over the complete trials that hold the parameter, then normalised to sum to 1.
 * Interactions are not credited to either parameter (unlike fANOVA); with few trials per group
 * the estimate is noisy.
 */
export function parameterImportances(trials: readonly FrozenTrial[], objective = 0): Record<string, number> {
  const complete = trials.filter((t) => t.state === 'complete' && t.values && Number.isFinite(t.values[objective]));
  const names = [...new Set(complete.flatMap((t) => Object.keys(t.params)))].sort();
  const raw: Record<string, number> = {};
  for (const name of names) {
    const holders = complete.filter((t) => name in t.params);
    raw[name] = epsilonSquared(groupsOf(holders, name), holders.map((t) => t.values![objective]));
  }
  const total = Object.values(raw).reduce((s, v) => s + v, 0);
  return Object.fromEntries(names.map((n) => [n, total > 0 ? raw[n] / total : 0]));
}

/** Group index of each trial for one parameter. */
function groupsOf(trials: readonly FrozenTrial[], name: string): number[] {
  const d: Distribution = trials[0]?.distributions[name];
  if (!d || d.type === 'categorical') {
    const keys = trials.map((t) => JSON.stringify(t.params[name]));
    const ids = new Map([...new Set(keys)].map((k, i) => [k, i]));
    return keys.map((k) => ids.get(k)!);
  }
  const x = trials.map((t) => toUnit(t.distributions[name], t.params[name]) ?? 0);
  const order = x.map((_, i) => i).sort((a, b) => x[a] - x[b]);
  const groups = new Array<number>(x.length);
  const bins = Math.min(NUMERIC_BINS, x.length);
  order.forEach((i, rank) => (groups[i] = Math.floor((rank * bins) / x.length)));
  // Equal values share a group.
  order.forEach((i, rank) => {
    if (rank > 0 && x[i] === x[order[rank - 1]]) groups[i] = groups[order[rank - 1]];
  });
  return groups;
}

export function epsilonSquared(groups: readonly number[], values: readonly number[]): number {
  const n = values.length;
  const k = new Set(groups).size;
  if (n < 3 || k < 2 || n <= k) return 0;
  const mean = values.reduce((s, v) => s + v, 0) / n;
  const total = values.reduce((s, v) => s + (v - mean) ** 2, 0);
  if (total === 0) return 0;
  const sums = new Map<number, { sum: number; count: number }>();
  groups.forEach((g, i) => {
    const s = sums.get(g) ?? { sum: 0, count: 0 };
    s.sum += values[i];
    s.count++;
    sums.set(g, s);
  });
  let between = 0;
  for (const { sum, count } of sums.values()) between += count * (sum / count - mean) ** 2;
  const within = (total - between) / (n - k);
  return Math.max(0, (between - (k - 1) * within) / total);
}
