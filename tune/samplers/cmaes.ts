import { isSingle, type Distribution, type ParamValue } from '../distributions.js';
import type { FrozenTrial } from '../frozen.js';
import { decisionRng, randomSeed, type Sampler, type StudyView } from './base.js';
import { candidate, cmaParams, initialState, tell, type CmaParams, type CmaState } from './cma_state.js';
import { RandomSampler } from './random.js';
import { completeByGeneration, feasibleFirst } from './ranking.js';
import { fromUnit, toUnit } from './unit.js';

export interface CmaEsOptions {
  seed?: number;
  /** Initial step size on the unit cube every parameter is mapped to (default 1/6, Optuna's min range / 6). */
  sigma0?: number;
  /** Initial mean, as parameter values (default: the middle of each range). */
  x0?: Record<string, number>;
  /** Solutions per generation (default 4 + floor(3 ln n)). */
  populationSize?: number;
  /** For categorical parameters and those outside the search space (default: random). */
  independentSampler?: Sampler;
}

const GENERATION = 'cma:generation';

/**
 * CMA-ES over the float and int parameters of the first complete trial, each mapped linearly
 * onto [0, 1] (its log for a log scale), integers rounded after sampling. The state is a pure
 * function of the finished trials (each trial records its generation), so a study replayed
 * from a journal or shared by workers continues the same run. A generation is told once
 * populationSize of its trials are complete; infeasible ones rank after every feasible one, by
 * total violation. One objective only.
 */
export class CmaEsSampler implements Sampler {
  readonly seed: number;
  private readonly independent: Sampler;
  private cache: { key: string; params: CmaParams; states: CmaState[] } | null = null;

  constructor(private readonly options: CmaEsOptions = {}) {
    this.seed = options.seed ?? randomSeed();
    this.independent = options.independentSampler ?? new RandomSampler({ seed: this.seed + 1 });
  }

  beforeTrial(study: StudyView): Record<string, unknown> {
    const space = this.searchSpace(study);
    if (Object.keys(space).length === 0) return {};
    return { [GENERATION]: this.states(study, space).at(-1)!.generation };
  }

  inferRelativeSearchSpace(study: StudyView, trial: FrozenTrial): Record<string, Distribution> {
    if (typeof trial.systemAttrs[GENERATION] !== 'number') return {};
    if (study.directions.length > 1) throw new RangeError('CmaEsSampler optimises one objective; for several use NSGAIISampler');
    return this.searchSpace(study);
  }

  sampleRelative(study: StudyView, trial: FrozenTrial, space: Record<string, Distribution>): Record<string, ParamValue> {
    const state = this.states(study, space)[trial.systemAttrs[GENERATION] as number];
    if (!state) return {};
    const names = Object.keys(space);
    const rng = decisionRng(this.seed, trial.number, 'cma');
    let x: number[] = [];
    // Resample what falls outside the cube (as the cmaes library does), then clip.
    for (let attempt = 0; attempt < 100; attempt++) {
      x = candidate(state, names.map(() => rng.normal()));
      if (x.every((xi) => xi >= 0 && xi <= 1)) break;
    }
    return Object.fromEntries(names.map((n, i) => [n, fromUnit(space[n], x[i])]));
  }

  sampleIndependent(study: StudyView, trial: FrozenTrial, name: string, distribution: Distribution): ParamValue {
    return this.independent.sampleIndependent(study, trial, name, distribution);
  }

  /** Float and int parameters of the first complete trial, by name. */
  private searchSpace(study: StudyView): Record<string, Distribution> {
    const first = study.trials.find((t) => t.state === 'complete');
    if (!first) return {};
    const names = Object.keys(first.distributions)
      .filter((n) => first.distributions[n].type !== 'categorical' && !isSingle(first.distributions[n]))
      .sort();
    return Object.fromEntries(names.map((n) => [n, first.distributions[n]]));
  }

  /**
   * Every generation's state the given trials support (cached and only appended to: views of
   * a study differ in how far they reach, never in what they hold up to there).
   */
  private states(study: StudyView, space: Record<string, Distribution>): CmaState[] {
    const names = Object.keys(space);
    const key = `${study.name}\n${JSON.stringify(space)}`;
    if (this.cache?.key !== key) {
      const params = cmaParams(names.length, this.options.populationSize);
      const x0 = names.map((n) => (this.options.x0?.[n] != null ? (toUnit(space[n], this.options.x0[n]) ?? 0.5) : 0.5));
      this.cache = { key, params, states: [initialState(x0, this.options.sigma0 ?? 1 / 6)] };
    }
    const { params, states } = this.cache;
    const byGeneration = completeByGeneration(study, GENERATION, (t) => names.every((n) => n in t.params));
    for (let g = 0; ; g++) {
      const members = byGeneration.get(g) ?? [];
      if (members.length < params.lambda) return states.slice(0, g + 1);
      if (states.length > g + 1) continue;
      const ranked = feasibleFirst(study, members.slice(0, params.lambda));
      states.push(tell(states[g], params, ranked.map((t) => names.map((n) => toUnit(space[n], t.params[n]) ?? 0.5))));
    }
  }
}
