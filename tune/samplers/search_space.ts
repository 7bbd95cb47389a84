import { sameDistribution, type Distribution } from '../distributions.js';
import type { FrozenTrial } from '../frozen.js';

/** Parameters every trial holds, each under one and the same distribution. */
export function intersectionSearchSpace(trials: readonly FrozenTrial[]): Record<string, Distribution> {
  let space: Record<string, Distribution> | null = null;
  for (const t of trials) {
    if (space == null) {
      space = { ...t.distributions };
      continue;
    }
    for (const name of Object.keys(space)) {
      const d = t.distributions[name];
      if (!d || !sameDistribution(d, space[name])) delete space[name];
    }
  }
  return space ?? {};
}

/**
 * The parameters split into groups that every trial holds entirely or not at all (the
 * branches of a conditional space); each group under its latest distributions.
 */
export function groupSearchSpaces(trials: readonly FrozenTrial[]): Record<string, Distribution>[] {
  let groups: Set<string>[] = [];
  const latest: Record<string, Distribution> = {};
  for (const t of trials) {
    const names = new Set(Object.keys(t.distributions));
    Object.assign(latest, t.distributions);
    const next: Set<string>[] = [];
    for (const g of groups) {
      const inside = [...g].filter((n) => names.has(n));
      const outside = [...g].filter((n) => !names.has(n));
      if (inside.length) next.push(new Set(inside));
      if (outside.length) next.push(new Set(outside));
    }
    const seen = new Set(groups.flatMap((g) => [...g]));
    const fresh = [...names].filter((n) => !seen.has(n));
    if (fresh.length) next.push(new Set(fresh));
    groups = next;
  }
  return groups.map((g) => Object.fromEntries([...g].sort().map((n) => [n, latest[n]])));
}
