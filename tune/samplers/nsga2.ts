import { crowdingDistance } from '../../search/pareto.js';
import { contains, type Distribution, type ParamValue } from '../distributions.js';
import type { FrozenTrial } from '../frozen.js';
import type { Rng } from '../../tensor/random.js';
import { decisionRng, randomSeed, uniformChoice, type Sampler, type StudyView } from './base.js';
import { completeByGeneration, constrainedFronts, minimised, violation } from './ranking.js';

export interface NSGAIIOptions {
  seed?: number;
  /** Trials per generation (Optuna: 50). */
  populationSize?: number;
  /** Chance that a parameter is redrawn at random (default 1 / the number of the parents' parameters). */
  mutationProb?: number;
  /** Chance that a child mixes two parents instead of copying one (Optuna: 0.9). */
  crossoverProb?: number;
  /** With crossover, the chance that a parameter comes from the second parent (Optuna: 0.5). */
  swappingProb?: number;
}

const GENERATION = 'nsga:generation';

interface Member {
  trial: FrozenTrial;
  rank: number;
  crowding: number;
}

/**
 * NSGA-II (Deb et al. 2002) with Deb's constraint handling: the first generation at random; then
 * each child takes two parents by binary tournament from the elite of the previous generations
 * (non-dominated rank, then crowding distance), mixes them by uniform crossover and redraws a
 * parameter now and then. Parameters are decided one by one as the objective asks for them, so
 * conditional spaces and growing categoricals work (a parameter the parents lack is drawn at
 * random). The population is a pure function of the trials (each records its generation).
 */
export class NSGAIISampler implements Sampler {
  readonly seed: number;
  private readonly populationSize: number;
  private readonly elites: Member[][] = [[]];
  private studyKey: string | null = null;

  constructor(private readonly options: NSGAIIOptions = {}) {
    this.seed = options.seed ?? randomSeed();
    this.populationSize = options.populationSize ?? 50;
    if (!(this.populationSize >= 2)) throw new RangeError(`NSGAIISampler: populationSize must be at least 2, got ${this.populationSize}`);
  }

  beforeTrial(study: StudyView): Record<string, unknown> {
    return { [GENERATION]: this.elite(study).generation };
  }

  inferRelativeSearchSpace(): Record<string, Distribution> {
    return {};
  }

  sampleRelative(): Record<string, ParamValue> {
    return {};
  }

  sampleIndependent(study: StudyView, trial: FrozenTrial, name: string, distribution: Distribution): ParamValue {
    const generation = trial.systemAttrs[GENERATION];
    const random = () => uniformChoice(distribution, decisionRng(this.seed, trial.number, name));
    if (typeof generation !== 'number' || generation === 0) return random();
    this.elite(study);
    const elite = this.elites[generation];
    if (!elite || elite.length === 0) return random();
    const parents = this.parents(elite, decisionRng(this.seed, trial.number, 'nsga:parents'));
    const names = new Set(parents.flatMap((p) => Object.keys(p.params)));
    const mutationProb = this.options.mutationProb ?? 1 / Math.max(1, names.size);
    if (decisionRng(this.seed, trial.number, `nsga:mutate:${name}`).next() < mutationProb) return random();
    const crossover = decisionRng(this.seed, trial.number, 'nsga:crossover').next() < (this.options.crossoverProb ?? 0.9);
    const second = crossover && decisionRng(this.seed, trial.number, `nsga:swap:${name}`).next() < (this.options.swappingProb ?? 0.5);
    const parent = parents[second ? 1 : 0];
    return name in parent.params && contains(distribution, parent.params[name]) ? parent.params[name] : random();
  }

  /** Two tournaments of two: the lower rank wins, then the larger crowding distance. */
  private parents(elite: Member[], rng: Rng): [FrozenTrial, FrozenTrial] {
    const pick = () => {
      const a = elite[rng.int(elite.length)];
      const b = elite[rng.int(elite.length)];
      return a.rank !== b.rank ? (a.rank < b.rank ? a : b) : a.crowding >= b.crowding ? a : b;
    };
    return [pick().trial, pick().trial];
  }

  /**
   * The elites up to the current generation: elite g+1 is the best populationSize of elite g and
   * generation g's first populationSize complete trials. Returns the generation new trials join
   * by what `study` holds (cached elites beyond it, computed from a view that reaches further, are kept).
   */
  private elite(study: StudyView): { generation: number } {
    const key = `${study.name}/${study.directions.join(',')}`;
    if (this.studyKey !== key) {
      this.elites.splice(0, this.elites.length, []);
      this.studyKey = key;
    }
    const byGeneration = completeByGeneration(study, GENERATION);
    for (let g = 0; ; g++) {
      const members = byGeneration.get(g) ?? [];
      if (members.length < this.populationSize) return { generation: g };
      if (this.elites.length > g + 1) continue;
      const pool = [...this.elites[g].map((m) => m.trial), ...members.slice(0, this.populationSize)];
      this.elites.push(select(study, pool, this.populationSize));
    }
  }
}

/** NSGA-II's survivor selection: whole fronts while they fit, the last one cut by crowding distance. */
function select(study: StudyView, pool: FrozenTrial[], size: number): Member[] {
  const out: Member[] = [];
  constrainedFronts(study, pool).forEach((front, rank) => {
    if (out.length >= size) return;
    const feasible = violation(front[0]) === 0;
    const points = front.map((t) => minimised(study, t));
    const distance = feasible ? crowdingDistance(front.map((_, i) => i), points) : new Map(front.map((_, i) => [i, 0]));
    const order = front.map((_, i) => i).sort((a, b) => distance.get(b)! - distance.get(a)! || front[a].number - front[b].number);
    for (const i of order.slice(0, size - out.length)) out.push({ trial: front[i], rank, crowding: distance.get(i)! });
  });
  return out;
}
