import type { ParamValue, Distribution } from '../distributions.js';
import type { FrozenTrial } from '../frozen.js';
import { decisionRng, randomSeed, uniformChoice, type Sampler, type StudyView } from './base.js';

/** Independent uniform draws; a trial's parameters depend only on the seed, its number and their names. */
export class RandomSampler implements Sampler {
  readonly seed: number;

  constructor(options: { seed?: number } = {}) {
    this.seed = options.seed ?? randomSeed();
  }

  inferRelativeSearchSpace(): Record<string, Distribution> {
    return {};
  }

  sampleRelative(): Record<string, ParamValue> {
    return {};
  }

  sampleIndependent(_study: StudyView, trial: FrozenTrial, name: string, distribution: Distribution): ParamValue {
    return uniformChoice(distribution, decisionRng(this.seed, trial.number, name));
  }
}
