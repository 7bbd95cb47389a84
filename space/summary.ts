import type { AnyModule } from './module.js';
import { RandomMutator } from './mutator.js';

export interface SpaceSummary {
  space: string;
  decisions: { key: string; kind: string; candidates: string[] }[];
  /** Number of choice combinations (product of candidate counts; choices of blocks a shallower depth skips count too); may exceed 2^53, so a string. */
  archCount: string;
  /** Parameters held by the supernet (largest weights, transforms). */
  parameters: number;
}

export function summarizeSpace(model: AnyModule): SpaceSummary {
  const mutator = new RandomMutator(model);
  const decisions = [...mutator.decisions.values()].map((d) => {
    const candidates = d.primary.describeCandidates();
    return { key: d.key, kind: d.kind, candidates };
  });
  const count = decisions.reduce((n, d) => {
    const options = d.kind === 'input' ? inputOptions(d.candidates.length, (mutator.decisions.get(d.key)!.primary as { nChosen?: number }).nChosen) : d.candidates.length;
    return n * BigInt(options);
  }, 1n);
  return { space: mutator.space, decisions, archCount: count.toString(), parameters: model.numParameters() };
}

function inputOptions(n: number, nChosen: number | undefined): number {
  if (nChosen == null) return 2 ** n - 1;
  let c = 1;
  for (let i = 0; i < nChosen; i++) c = (c * (n - i)) / (i + 1);
  return c;
}
