import { Rng } from '../../tensor/index.js';
import type { Candidate, SearchProblem } from '../problem.js';

export interface RandomSearchOptions {
  /** Feasible candidates to sample (default 50,000, the evaluation budget of the default evolution). */
  samples: number;
  seed: number;
  /** Candidates scored per accuracy-estimator call. */
  batch?: number;
}

export const DEFAULT_RANDOM: RandomSearchOptions = { samples: 50_000, seed: 0 };

/** Uniform sampling until `samples` feasible candidates; returns them. */
export function randomSearch(problem: SearchProblem, o: RandomSearchOptions, onProgress?: (done: number, total: number) => void): Candidate[] {
  const rng = new Rng(o.seed);
  const out: Candidate[] = [];
  const batch = o.batch ?? 100;
  while (out.length < o.samples) {
    const n = Math.min(batch, o.samples - out.length);
    const items = Array.from({ length: n }, () => problem.feasible(() => problem.space.sample(rng), rng));
    out.push(...problem.evaluate(items));
    onProgress?.(out.length, o.samples);
  }
  return out;
}
