import { Rng } from '../../tensor/index.js';
import type { Candidate, SearchProblem } from '../problem.js';

export interface EvolutionOptions {
  population: number;
  generations: number;
  /** Share of the population kept as parents. */
  parentRatio: number;
  /** Share of the children made by mutation; the rest by crossover. */
  mutationRatio: number;
  /** Per-gene mutation probability. */
  mutationProbability: number;
  /** Per-gene mutation probability of the `resolution` key. */
  resolutionMutationProbability: number;
  seed: number;
}

/** OFA's defaults: about 50,000 accuracy-predictor calls. */
export const DEFAULT_EVOLUTION: EvolutionOptions = {
  population: 100,
  generations: 500,
  parentRatio: 0.25,
  mutationRatio: 0.5,
  mutationProbability: 0.1,
  resolutionMutationProbability: 0.5,
  seed: 0,
};

/**
 * OFA's constrained evolution: a feasible random population; each generation keeps the
 * most accurate quarter as parents and adds mutants of random parents and uniform
 * crossovers of random parent pairs, every child resampled until it fits the constraints.
 * Returns the final population, most accurate first.
 */
export function evolutionSearch(problem: SearchProblem, o: EvolutionOptions, onProgress?: (generation: number, total: number, best: Candidate) => void): Candidate[] {
  const rng = new Rng(o.seed);
  const { space } = problem;
  const rates = space.mutationRates(o.mutationProbability, { resolution: o.resolutionMutationProbability });
  const byAccuracy = (a: Candidate, b: Candidate) => b.accuracy - a.accuracy;
  const parentsSize = Math.max(1, Math.round(o.population * o.parentRatio));
  const mutants = Math.round(o.population * o.mutationRatio);

  let population = problem.evaluate(Array.from({ length: o.population }, () => problem.feasible(() => space.sample(rng), rng))).sort(byAccuracy);
  for (let generation = 0; generation < o.generations; generation++) {
    const parents = population.slice(0, parentsSize);
    const children = [];
    for (let i = 0; i < mutants; i++) {
      children.push(problem.feasible(() => space.mutate(rng.pick(parents).genome, rates, rng), rng));
    }
    for (let i = mutants; i < o.population; i++) {
      children.push(problem.feasible(() => space.crossover(rng.pick(parents).genome, rng.pick(parents).genome, rng), rng));
    }
    population = [...parents, ...problem.evaluate(children)].sort(byAccuracy);
    onProgress?.(generation + 1, o.generations, population[0]);
  }
  return population;
}
