import { InputError, type Rng } from '../tensor/index.js';
import type { Genome, SearchSpace } from './genome.js';

/** What a candidate costs on the target; any field may be absent when nothing asks for it. */
export interface Costs {
  latencyMs?: number;
  macs?: number;
  params?: number;
}

export type CostName = keyof Costs;
export const COST_NAMES: CostName[] = ['latencyMs', 'macs', 'params'];

/** Upper bounds; an absent field is unconstrained. */
export type Constraints = Costs;

export interface Candidate extends Costs {
  genome: Genome;
  /** Identity of the subnet (genomes differing only in skipped genes share it). */
  id: string;
  accuracy: number;
}

/** Estimates the accuracy of a batch of genomes (a predictor, or the supernet itself). */
export interface AccuracyEstimator {
  readonly name: string;
  estimate(genomes: Genome[]): number[];
}

/**
 * The search problem a strategy sees: a space, an accuracy estimate, cost functions and
 * constraints. It counts calls and keeps every distinct candidate it evaluated (the
 * archive the Pareto front comes from).
 */
export class SearchProblem {
  /** Cost-function calls (feasibility checks included), candidates scored, accuracy estimates made (new subnets only). */
  readonly calls = { cost: 0, candidates: 0, accuracy: 0 };
  readonly archive = new Map<string, Candidate>();

  constructor(
    readonly space: SearchSpace,
    readonly accuracy: AccuracyEstimator,
    private readonly costFn: (g: Genome) => Costs,
    readonly constraints: Constraints = {},
  ) {}

  costs(g: Genome): Costs {
    this.calls.cost++;
    return this.costFn(g);
  }

  fits(c: Costs): boolean {
    for (const name of COST_NAMES) {
      const bound = this.constraints[name];
      if (bound != null && !((c[name] ?? Infinity) <= bound)) return false;
    }
    return true;
  }

  /** A genome known to fit (e.g. the cheapest one): tight budgets fall back to its neighbourhood. */
  fallback?: Genome;

  /**
   * A feasible genome from `make` (called until one fits); after `tries` misses, from
   * mutations of the fallback genome, and at last the fallback itself.
   */
  feasible(make: () => Genome, rng: Rng, tries = 100): { genome: Genome; costs: Costs } {
    for (let i = 0; i < tries; i++) {
      const genome = make();
      const costs = this.costs(genome);
      if (this.fits(costs)) return { genome, costs };
    }
    if (this.fallback) {
      for (let i = 0; i < tries; i++) {
        const genome = this.space.mutate(this.fallback, 0.1, rng);
        const costs = this.costs(genome);
        if (this.fits(costs)) return { genome, costs };
      }
      const costs = this.costs(this.fallback);
      if (this.fits(costs)) return { genome: this.fallback.slice(), costs };
    }
    for (let i = 0; i < tries * 9; i++) {
      const genome = this.space.sample(rng);
      const costs = this.costs(genome);
      if (this.fits(costs)) return { genome, costs };
    }
    throw new InputError(`no candidate satisfies the constraints after ${tries * 10} tries (${describeConstraints(this.constraints)}); relax the budget`);
  }

  /** Accuracy of a batch; candidates already in the archive are not re-estimated. */
  evaluate(items: { genome: Genome; costs: Costs }[]): Candidate[] {
    this.calls.candidates += items.length;
    const ids = items.map((it) => this.space.identity(it.genome));
    const todo = new Map<string, { genome: Genome; costs: Costs }>();
    items.forEach((it, i) => {
      if (!this.archive.has(ids[i]) && !todo.has(ids[i])) todo.set(ids[i], it);
    });
    if (todo.size) {
      const fresh = [...todo];
      const acc = this.accuracy.estimate(fresh.map(([, it]) => it.genome));
      this.calls.accuracy += fresh.length;
      fresh.forEach(([id, it], i) => this.archive.set(id, Object.assign({ genome: it.genome, id, accuracy: acc[i] }, it.costs)));
    }
    return ids.map((id) => this.archive.get(id)!);
  }
}

export function describeConstraints(c: Constraints): string {
  const parts = [];
  if (c.latencyMs != null) parts.push(`latency <= ${c.latencyMs} ms`);
  if (c.macs != null) parts.push(`MACs <= ${c.macs}`);
  if (c.params != null) parts.push(`params <= ${c.params}`);
  return parts.length ? parts.join(', ') : 'unconstrained';
}

/**
 * The smallest value of one cost the space reaches, by coordinate descent from random
 * starts (costs here are sums over blocks, so this finds the minimum in practice).
 */
export function minimumCost(problem: SearchProblem, name: CostName, rng: Rng, starts = 8): { genome: Genome; value: number } {
  let best = { genome: problem.space.sample(rng), value: Infinity };
  for (let s = 0; s < starts; s++) {
    const g = s === 0 ? new Int32Array(problem.space.size) : problem.space.sample(rng);
    let value = problem.costs(g)[name] ?? Infinity;
    for (let improved = true; improved; ) {
      improved = false;
      for (let i = 0; i < g.length; i++) {
        let chosen = g[i];
        for (let o = 0; o < problem.space.genes[i].options.length; o++) {
          if (o === chosen) continue;
          g[i] = o;
          const v = problem.costs(g)[name] ?? Infinity;
          if (v < value - 1e-12) {
            value = v;
            chosen = o;
            improved = true;
          }
          g[i] = chosen;
        }
      }
    }
    if (value < best.value) best = { genome: g.slice(), value };
  }
  return best;
}
