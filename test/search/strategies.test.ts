import { describe, expect, it } from 'vitest';
import { DEFAULT_EVOLUTION, DEFAULT_NSGA2, dominates, evolutionSearch, InputError, minimumCost, nsga2Search, objectiveVector, randomSearch, Rng } from '../../index.js';
import { toyOptimum, toyProblem, WEIGHTS } from './toy_space.js';

const MAX_LATENCY = WEIGHTS.reduce((a, b) => a + b, 0) * 4;
const BUDGET = Math.round(MAX_LATENCY * 0.45);
const small = { ...DEFAULT_EVOLUTION, population: 50, generations: 60 };

describe('strategies on a space with a known optimum (toy knapsack, exact answer by dynamic programming)', () => {
  it('evolution reaches the exact optimum under the budget (2 of 3 seeds; the third within 0.5%); every candidate fits', () => {
    const optimum = toyOptimum(BUDGET);
    const best = [0, 1, 2].map((seed) => {
      const { problem } = toyProblem(BUDGET);
      const population = evolutionSearch(problem, { ...DEFAULT_EVOLUTION, generations: 100, seed });
      for (const c of problem.archive.values()) expect(c.latencyMs).toBeLessThanOrEqual(BUDGET);
      expect(problem.calls.candidates).toBe(100 * 101);
      return population[0].accuracy;
    });
    expect(best.filter((b) => Math.abs(b - optimum) < 1e-12).length).toBeGreaterThanOrEqual(2);
    for (const b of best) expect(b).toBeGreaterThan(optimum * 0.995);
  });

  it('random search with the same number of candidates does worse than evolution, and fits', () => {
    const { problem } = toyProblem(BUDGET);
    const out = randomSearch(problem, { samples: small.population * (small.generations + 1), seed: 1 });
    const best = Math.max(...out.map((c) => c.accuracy));
    expect(out.every((c) => c.latencyMs! <= BUDGET)).toBe(true);
    expect(best).toBeLessThan(toyOptimum(BUDGET));
    expect(best).toBeGreaterThan(toyOptimum(BUDGET) * 0.9);
  });

  it('same seed, same result; another seed, another path', () => {
    const run = (seed: number) => {
      const { problem } = toyProblem(BUDGET);
      return evolutionSearch(problem, { ...small, generations: 10, seed }).map((c) => c.id);
    };
    expect(run(3)).toEqual(run(3));
    expect(run(4)).not.toEqual(run(3));
  });

  it('NSGA-II: the final first front is mutually non-dominated, spans the latency range and holds the constrained optimum', () => {
    const { problem } = toyProblem(BUDGET);
    const population = nsga2Search(problem, { ...DEFAULT_NSGA2, population: 60, generations: 80, seed: 2 });
    const points = population.map((c) => objectiveVector(c, ['latencyMs']));
    const front = population.filter((_, i) => !points.some((q) => dominates(q, points[i])));
    expect(front.length).toBeGreaterThan(20);
    for (const c of front) expect(c.latencyMs).toBeLessThanOrEqual(BUDGET);
    const latencies = front.map((c) => c.latencyMs!);
    expect(Math.min(...latencies)).toBeLessThanOrEqual(WEIGHTS.reduce((a, b) => a + b, 0) + 5);
    expect(Math.max(...front.map((c) => c.accuracy))).toBeGreaterThan(toyOptimum(BUDGET) * 0.995);
    // Each front member is optimal for its own latency (the knapsack DP at that budget).
    const exact = front.filter((c) => Math.abs(c.accuracy - toyOptimum(c.latencyMs!)) < 1e-9).length;
    expect(exact / front.length).toBeGreaterThan(0.8);
  });

  it('NSGA-II with a third objective (MACs) keeps the constraint', () => {
    const { problem } = toyProblem(BUDGET);
    const population = nsga2Search(problem, { ...DEFAULT_NSGA2, population: 30, generations: 10, objectives: ['latencyMs', 'macs'], seed: 0 });
    expect(population.every((c) => c.latencyMs! <= BUDGET)).toBe(true);
  });

  it('a budget only the cheapest subnets meet: evolution works from the cheapest genome when sampling finds nothing', () => {
    const tight = WEIGHTS.reduce((a, b) => a + b, 0) + 1; // all values 1, at most one gene of weight 1 at 2
    const { problem } = toyProblem(tight);
    problem.fallback = minimumCost(problem, 'latencyMs', new Rng(0)).genome;
    const population = evolutionSearch(problem, { ...DEFAULT_EVOLUTION, population: 20, generations: 20, seed: 0 });
    expect(population[0].latencyMs).toBeLessThanOrEqual(tight);
    // Better than the cheapest genome itself: it found one of the three one-step-dearer answers.
    expect(population[0].accuracy).toBeGreaterThan(toyOptimum(tight - 1) + 1e-9);
  });

  it('minimumCost finds the smallest latency; an impossible budget is a clear error', () => {
    const { problem } = toyProblem(10);
    expect(minimumCost(problem, 'latencyMs', new Rng(0)).value).toBe(WEIGHTS.reduce((a, b) => a + b, 0));
    expect(() => randomSearch(problem, { samples: 1, seed: 0 })).toThrow(InputError);
  });
});
