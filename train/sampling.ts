import { Rng } from '../tensor/index.js';
import { decisionMasks, RandomMutator, uniformMasks, type AnyModule, type Arch, type Mutator } from '../space/index.js';
import { spaceOf } from '../networks/index.js';

/** Candidate sets a phase of progressive shrinking allows; a missing dimension is fixed at its largest. */
export interface Phase {
  /** The phase lasts until this fraction of training (0..1]. */
  until: number;
  kernel?: 'all' | 'max';
  depth?: 'all' | 'max';
  expand?: 'all' | 'max';
}

/** OFA's order: elastic kernel, then depth, then expand ratio. */
export const PROGRESSIVE_SHRINKING: Phase[] = [
  { until: 0.25, kernel: 'all', depth: 'max', expand: 'max' },
  { until: 0.5, kernel: 'all', depth: 'all', expand: 'max' },
  { until: 1, kernel: 'all', depth: 'all', expand: 'all' },
];

export const ALL_ELASTIC: Phase[] = [{ until: 1, kernel: 'all', depth: 'all', expand: 'all' }];

function dimensionOf(key: string): 'kernel' | 'depth' | 'expand' | 'other' {
  if (key.startsWith('ks_')) return 'kernel';
  if (key.startsWith('depth')) return 'depth';
  if (key.startsWith('er_')) return 'expand';
  return 'other';
}

export function phaseAt(phases: Phase[], progress: number): Phase {
  return phases.find((p) => progress < p.until) ?? phases[phases.length - 1];
}

/** The candidate values each value key may take in a phase (resolution and others: all). */
export function allowedChoices(mutator: Mutator, phase: Phase): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const [key, d] of mutator.decisions) {
    if (d.kind !== 'value') continue; // operations and inputs have no order to shrink along
    const values = (d.primary as unknown as { candidates: number[] }).candidates;
    const dim = dimensionOf(key);
    const mode = dim === 'other' ? 'all' : (phase[dim] ?? 'max');
    out.set(key, mode === 'all' ? [...values] : [Math.max(...values)]);
  }
  return out;
}

/** The sandwich for one step: largest, smallest, then `n` random archs of the allowed sets. */
export function sandwich(space: string, allowed: Map<string, number[]>, n: number, rng: Rng, resolution: number): Arch[] {
  const make = (pick: (vs: number[]) => number): Arch => {
    const choices: Arch['choices'] = {};
    for (const [key, vs] of allowed) choices[key] = key === 'resolution' ? resolution : pick(vs);
    return { space, choices };
  };
  return [make((vs) => Math.max(...vs)), make((vs) => Math.min(...vs)), ...Array.from({ length: n }, () => make((vs) => vs[rng.int(vs.length)]))];
}

/**
 * A space's largest or smallest subnet: every value decision at its largest (smallest)
 * candidate, resolution included; operation and input decisions, which have no order, at the
 * candidate that gives the subnet the most (fewest) MACs, then parameters, the others held
 * (two sweeps over the decisions; exact where costs add up over decisions).
 */
export function extremeArch(model: AnyModule, which: 'largest' | 'smallest'): Arch {
  const mutator = new RandomMutator(model);
  const pick = which === 'largest' ? Math.max : Math.min;
  const choices: Arch['choices'] = {};
  for (const [key, vs] of allowedChoices(mutator, ALL_ELASTIC[0])) choices[key] = pick(...vs);
  const unordered = [...mutator.decisions.values()].filter((d) => d.kind !== 'value');
  if (unordered.length === 0) return { space: mutator.space, choices };
  const candidates = new Map(unordered.map((d) => [d, decisionMasks(d, 'extremeArch').map((m) => d.primary.choiceFor(m))]));
  for (const d of unordered) choices[d.key] = candidates.get(d)![0];
  const def = spaceOf(model);
  const sign = which === 'largest' ? 1 : -1;
  const score = (arch: Arch) => {
    const { macs, params } = def.cost(model, arch);
    return sign * (macs + params * 1e-9);
  };
  for (let sweep = 0; sweep < 2; sweep++) {
    for (const d of unordered) {
      let best = { choice: choices[d.key], score: -Infinity };
      for (const choice of candidates.get(d)!) {
        const s = score({ space: mutator.space, choices: { ...choices, [d.key]: choice } });
        if (s > best.score) best = { choice, score: s };
      }
      choices[d.key] = best.choice;
    }
  }
  return { space: mutator.space, choices };
}

/** Whether every decision's candidates are ordered values (kernel sizes, depths...): the sandwich rule applies. */
export function isOrdered(mutator: Mutator): boolean {
  return [...mutator.decisions.values()].every((d) => d.kind === 'value');
}

/** `n` archs with every decision drawn uniformly from `rng` (single-path one-shot training). */
export function uniformArchs(mutator: Mutator, n: number, rng: Rng): Arch[] {
  return Array.from({ length: n }, () => {
    const masks = uniformMasks(mutator.decisions, rng);
    const choices: Arch['choices'] = {};
    for (const [key, d] of mutator.decisions) choices[key] = d.primary.choiceFor(masks[key]);
    return { space: mutator.space, choices };
  });
}
