import { Rng } from '../../tensor/index.js';
import type { Candidate, CostName, SearchProblem } from '../problem.js';
import { crowdingDistance, nonDominatedSort, type Objectives } from '../pareto.js';

export interface Nsga2Options {
  population: number;
  generations: number;
  /** Costs minimised next to maximising accuracy (default: latency). */
  objectives: CostName[];
  mutationProbability: number;
  resolutionMutationProbability: number;
  seed: number;
}

export const DEFAULT_NSGA2: Nsga2Options = {
  population: 100,
  generations: 500,
  objectives: ['latencyMs'],
  mutationProbability: 0.1,
  resolutionMutationProbability: 0.5,
  seed: 0,
};

/** The vector NSGA-II minimises for a candidate. */
export function objectiveVector(c: Candidate, costs: CostName[]): Objectives {
  return [-c.accuracy, ...costs.map((name) => c[name] ?? Infinity)];
}

/**
 * NSGA-II (Deb et al. 2002): binary tournaments on (front rank, crowding distance),
 * uniform crossover then mutation, children resampled until they fit the constraints,
 * elitist survival of the merged parents and children by fronts and crowding. Returns the
 * final population, first front first.
 */
export function nsga2Search(problem: SearchProblem, o: Nsga2Options, onProgress?: (generation: number, total: number, front: number) => void): Candidate[] {
  const rng = new Rng(o.seed);
  const { space } = problem;
  const rates = space.mutationRates(o.mutationProbability, { resolution: o.resolutionMutationProbability });

  let population = unique(problem.evaluate(Array.from({ length: o.population }, () => problem.feasible(() => space.sample(rng), rng))));
  let ranked = rank(population, o.objectives);
  for (let generation = 0; generation < o.generations; generation++) {
    const tournament = () => {
      const a = rng.int(population.length);
      const b = rng.int(population.length);
      return better(a, b, ranked) ? population[a] : population[b];
    };
    const children = Array.from({ length: o.population }, () =>
      problem.feasible(() => space.mutate(space.crossover(tournament().genome, tournament().genome, rng), rates, rng), rng),
    );
    const merged = unique([...population, ...problem.evaluate(children)]);
    population = survivors(merged, o.population, o.objectives);
    ranked = rank(population, o.objectives);
    onProgress?.(generation + 1, o.generations, ranked.fronts[0].length);
  }
  return ranked.fronts.flat().map((i) => population[i]);
}

interface Ranked {
  fronts: number[][];
  rankOf: Int32Array;
  crowding: Float64Array;
}

function rank(population: Candidate[], costs: CostName[]): Ranked {
  const points = population.map((c) => objectiveVector(c, costs));
  const fronts = nonDominatedSort(points);
  const rankOf = new Int32Array(population.length);
  const crowding = new Float64Array(population.length);
  fronts.forEach((front, r) => {
    for (const [i, d] of crowdingDistance(front, points)) {
      rankOf[i] = r;
      crowding[i] = d;
    }
  });
  return { fronts, rankOf, crowding };
}

function better(a: number, b: number, r: Ranked): boolean {
  return r.rankOf[a] !== r.rankOf[b] ? r.rankOf[a] < r.rankOf[b] : r.crowding[a] >= r.crowding[b];
}

function survivors(merged: Candidate[], size: number, costs: CostName[]): Candidate[] {
  const points = merged.map((c) => objectiveVector(c, costs));
  const out: Candidate[] = [];
  for (const front of nonDominatedSort(points)) {
    if (out.length + front.length <= size) {
      out.push(...front.map((i) => merged[i]));
      continue;
    }
    const distance = crowdingDistance(front, points);
    const byCrowding = [...front].sort((a, b) => distance.get(b)! - distance.get(a)! || a - b);
    out.push(...byCrowding.slice(0, size - out.length).map((i) => merged[i]));
    break;
  }
  return out;
}

function unique(cs: Candidate[]): Candidate[] {
  const seen = new Set<string>();
  return cs.filter((c) => !seen.has(c.id) && (seen.add(c.id), true));
}
