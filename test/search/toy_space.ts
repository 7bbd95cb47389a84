import { InputSpace, Module, RandomMutator, SearchProblem, SearchSpace, ValueSpace, type AccuracyEstimator, type Genome } from '../../index.js';

/** A space that is not ofa-mbv3: twelve value genes and an input gene that picks any non-empty subset of three. */
export class ToySpace extends Module<[], null> {
  readonly spaceId = 'toy';
  constructor() {
    super();
    for (let i = 0; i < 12; i++) this.registerModule(`v${i}`, new ValueSpace([1, 2, 3, 4], { key: `v${i}` }));
    this.registerModule('inputs', new InputSpace({ nCandidates: 3, key: 'inputs' }));
  }
  forward(): null {
    return null;
  }
}

export const WEIGHTS = [3, 1, 4, 1, 5, 2, 2, 3, 5, 1, 4, 2];
export const GAINS = [1.0, 0.4, 1.5, 0.3, 2.0, 0.8, 0.7, 1.2, 1.8, 0.5, 1.1, 0.9];

/** Known structure: accuracy grows with sqrt(value) per gene, latency is a weighted sum. */
export function toyProblem(budget?: number) {
  const space = new SearchSpace(new RandomMutator(new ToySpace()));
  const value = (g: Genome, i: number) => space.genes[i].options[g[i]] as number;
  const accuracy = (g: Genome) => GAINS.reduce((s, a, i) => s + a * Math.sqrt(value(g, i)), 0) / 40;
  const latency = (g: Genome) => WEIGHTS.reduce((s, w, i) => s + w * value(g, i), 0);
  const estimator: AccuracyEstimator = { name: 'toy', estimate: (gs) => gs.map(accuracy) };
  const problem = new SearchProblem(space, estimator, (g) => ({ latencyMs: latency(g), macs: latency(g) * 10 }), budget != null ? { latencyMs: budget } : {});
  return { space, problem, accuracy, latency };
}

/** Exact optimum of the toy problem under an integer latency budget (knapsack by dynamic programming). */
export function toyOptimum(budget: number): number {
  let best = new Array<number>(budget + 1).fill(-Infinity);
  best[0] = 0;
  for (let i = 0; i < WEIGHTS.length; i++) {
    const next = new Array<number>(budget + 1).fill(-Infinity);
    for (let b = 0; b <= budget; b++) {
      if (best[b] === -Infinity) continue;
      for (let v = 1; v <= 4; v++) {
        const nb = b + WEIGHTS[i] * v;
        if (nb <= budget) next[nb] = Math.max(next[nb], best[b] + GAINS[i] * Math.sqrt(v));
      }
    }
    best = next;
  }
  return Math.max(...best) / 40;
}
