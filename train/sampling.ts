import { Rng } from '../tensor/index.js';
import { uniformMasks, valueCandidates, type Arch, type Mutator } from '../space/index.js';

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
    const values = valueCandidates(d);
    const dim = dimensionOf(key);
    const mode = dim === 'other' ? 'all' : (phase[dim] ?? 'max');
    out.set(key, mode === 'all' ? values : [Math.max(...values)]);
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
