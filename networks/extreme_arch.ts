import { decisionMasks, RandomMutator, valueCandidates, type AnyModule, type Arch } from '../space/index.js';
import { spaceOf } from './registry.js';

/** The names `--arch` takes besides a file: a space's extreme subnets. */
export const EXTREME_ARCHS = ['largest', 'smallest'] as const;
export type ExtremeName = (typeof EXTREME_ARCHS)[number];

export const isExtremeName = (spec: string): spec is ExtremeName => (EXTREME_ARCHS as readonly string[]).includes(spec);

/**
 * A space's largest or smallest subnet: every value decision at its largest (smallest)
 * candidate, resolution included; operation and input decisions, which have no order, at the
 * candidate that gives the subnet the most (fewest) MACs, then parameters, the others held
 * (two sweeps over the decisions; exact where costs add up over decisions).
 */
export function extremeArch(model: AnyModule, which: ExtremeName): Arch {
  const mutator = new RandomMutator(model);
  const pick = which === 'largest' ? Math.max : Math.min;
  const choices: Arch['choices'] = {};
  for (const [key, d] of mutator.decisions) if (d.kind === 'value') choices[key] = pick(...valueCandidates(d));
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
