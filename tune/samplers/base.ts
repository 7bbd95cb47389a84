import { Rng } from '../../tensor/random.js';
import type { ParamValue, Distribution } from '../distributions.js';
import type { FrozenTrial, StudyDirection, TrialState } from '../frozen.js';

/** What a sampler or pruner may read of a study. */
export interface StudyView {
  readonly name: string;
  readonly directions: readonly StudyDirection[];
  /** Every trial in number order (read-only). */
  readonly trials: readonly FrozenTrial[];
}

/** Optuna's sampler protocol: a relative (joint) part decided when a trial starts, an independent part per parameter. */
export interface Sampler {
  /** System attributes to record on a trial as it starts (a generation number, say), before anything is sampled. */
  beforeTrial?(study: StudyView, trial: FrozenTrial): Record<string, unknown>;
  inferRelativeSearchSpace(study: StudyView, trial: FrozenTrial): Record<string, Distribution>;
  sampleRelative(study: StudyView, trial: FrozenTrial, space: Record<string, Distribution>): Record<string, ParamValue>;
  sampleIndependent(study: StudyView, trial: FrozenTrial, name: string, distribution: Distribution): ParamValue;
  afterTrial?(study: StudyView, trial: FrozenTrial, state: TrialState): void;
  /** A sampler with nothing left to propose (a finished grid) stops optimize. */
  isExhausted?(study: StudyView): boolean;
}

/** 32-bit FNV-1a over a string, for seeds derived from (seed, trial, parameter). */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * A generator for one decision of one trial. Deriving it from (seed, trial number, what is
 * decided) keeps a trial's draws the same whatever order workers ran trials in.
 */
export function decisionRng(seed: number, trial: number, what: string): Rng {
  return new Rng(hash32(`${seed}/${trial}/${what}`));
}

export function randomSeed(): number {
  return (Math.random() * 2 ** 32) >>> 0;
}

/** A uniform draw from a distribution (log-uniform on a log scale, on the step grid when stepped). */
export function uniformChoice(distribution: Distribution, rng: Rng): ParamValue {
  const d = distribution;
  if (d.type === 'categorical') return d.choices[rng.int(d.choices.length)];
  if (d.type === 'int' && !d.log) return d.low + rng.int(Math.floor((d.high - d.low) / d.step) + 1) * d.step;
  if (d.type === 'int') {
    const x = Math.exp(Math.log(d.low - 0.5) + rng.next() * (Math.log(d.high + 0.5) - Math.log(d.low - 0.5)));
    return Math.min(d.high, Math.max(d.low, Math.round(x)));
  }
  if (d.step != null) {
    const k = rng.int(Math.round((d.high - d.low) / d.step) + 1);
    return Number((d.low + k * d.step).toPrecision(12));
  }
  if (d.log) return Math.min(d.high, Math.max(d.low, Math.exp(Math.log(d.low) + rng.next() * (Math.log(d.high) - Math.log(d.low)))));
  return d.low + rng.next() * (d.high - d.low);
}
