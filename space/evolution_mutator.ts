import { InputError, Rng } from '../tensor/index.js';
import type { AnyModule } from './module.js';
import type { Arch } from './arch.js';
import { definedOptions, Mutator, uniformMasks } from './mutator.js';

/** An upper bound on a cost of an arch (latency, MACs, parameters: whatever `cost` computes). */
export interface ArchConstraint {
  name: string;
  cost: (arch: Arch) => number;
  max: number;
}

export interface EvolutionMutatorOptions {
  space?: string;
  /** Archs kept alive (aging evolution's population; the first this many are random). */
  population?: number;
  /** Archs drawn from the population per proposal; the fittest of them is the parent. */
  sampleSize?: number;
  /** Probability that a decision is redrawn in a child (at least one always is). */
  mutationProbability?: number;
  seed?: number;
  constraints?: ArchConstraint[];
  /** Draws per proposal before giving up on the constraints. */
  maxTries?: number;
}

export interface EvolutionRecord {
  arch: Arch;
  fitness: number;
  costs: Record<string, number>;
}

type Masks = Record<string, number[]>;

/**
 * Hyperbox's EvolutionMutator as aging (regularized) evolution (Real et al., AAAI 2019), ask
 * and tell: `reset()` applies the next arch to the model (random until the population is
 * full, then a mutation of the fittest of `sampleSize` archs drawn from it) and `tell(fitness)`
 * scores it (higher is better); the oldest arch then leaves the population. Every proposal
 * satisfies the constraints (redrawn until it does). Works on any model built from space/
 * mutables; the fitness is whatever the caller measures (the supernet's validation accuracy
 * under the arch, typically).
 */
export class EvolutionMutator extends Mutator {
  readonly history: EvolutionRecord[] = [];
  private readonly rng: Rng;
  private readonly o: Required<Omit<EvolutionMutatorOptions, 'space' | 'seed'>>;
  private readonly alive: { masks: Masks; fitness: number }[] = [];
  private pending: { masks: Masks; costs: Record<string, number> } | undefined;

  constructor(model: AnyModule, options: EvolutionMutatorOptions = {}) {
    super(model, options);
    this.rng = new Rng(options.seed ?? 0);
    this.o = { population: 50, sampleSize: 10, mutationProbability: 0.1, constraints: [], maxTries: 1000, ...definedOptions(options) };
    if (!(this.o.sampleSize >= 1 && this.o.sampleSize <= this.o.population)) {
      throw new InputError(`EvolutionMutator: sampleSize ${this.o.sampleSize} must be between 1 and the population (${this.o.population})`);
    }
  }

  protected sampleSearch(): Masks {
    if (this.pending) throw new Error('EvolutionMutator: tell() the fitness of the last arch before asking for another');
    const make = this.alive.length < this.o.population ? () => uniformMasks(this.decisions, this.rng) : () => this.mutate(this.tournament());
    for (let i = 0; i < this.o.maxTries; i++) {
      const masks = make();
      const costs = this.costsOf(masks);
      if (this.o.constraints.every((c) => costs[c.name] <= c.max)) {
        this.pending = { masks, costs };
        return masks;
      }
    }
    const bounds = this.o.constraints.map((c) => `${c.name} <= ${c.max}`).join(', ');
    throw new InputError(`EvolutionMutator: no arch satisfies ${bounds} after ${this.o.maxTries} draws; relax the constraints`);
  }

  /** Scores the arch the last `reset()` applied; it joins the population and the oldest leaves. */
  tell(fitness: number): void {
    if (!this.pending) throw new Error('EvolutionMutator: tell() without an arch from reset()');
    if (!Number.isFinite(fitness)) throw new InputError(`EvolutionMutator: fitness must be a finite number, got ${fitness}`);
    const { masks, costs } = this.pending;
    this.pending = undefined;
    this.alive.push({ masks, fitness });
    if (this.alive.length > this.o.population) this.alive.shift();
    this.history.push({ arch: this.archOf(masks), fitness, costs });
  }

  /** The fittest arch told so far. */
  best(): EvolutionRecord | undefined {
    return this.history.reduce<EvolutionRecord | undefined>((b, r) => (!b || r.fitness > b.fitness ? r : b), undefined);
  }

  private tournament(): Masks {
    let parent = this.alive[this.rng.int(this.alive.length)];
    for (let i = 1; i < this.o.sampleSize; i++) {
      const other = this.alive[this.rng.int(this.alive.length)];
      if (other.fitness > parent.fitness) parent = other;
    }
    return parent.masks;
  }

  private mutate(parent: Masks): Masks {
    const keys = this.keys;
    const forced = keys[this.rng.int(keys.length)];
    const redrawn = uniformMasks(this.decisions, this.rng);
    const child: Masks = {};
    for (const key of keys) child[key] = key === forced || this.rng.next() < this.o.mutationProbability ? redrawn[key] : parent[key];
    return child;
  }

  private costsOf(masks: Masks): Record<string, number> {
    if (this.o.constraints.length === 0) return {};
    const arch = this.archOf(masks);
    return Object.fromEntries(this.o.constraints.map((c) => [c.name, c.cost(arch)]));
  }

  private archOf(masks: Masks): Arch {
    return { space: this.space, choices: Object.fromEntries([...this.decisions].map(([key, d]) => [key, d.primary.choiceFor(masks[key])])) };
  }
}
