import {
  categoricalDistribution,
  compatible,
  contains,
  floatDistribution,
  intDistribution,
  type ParamValue,
  type Distribution,
  type NumericOptions,
} from './distributions.js';
import type { FrozenTrial } from './frozen.js';

/** Thrown by an objective (or by `trial.shouldPrune()`'s caller) to end a trial as pruned. */
export class TrialPruned extends Error {
  override readonly name = 'TrialPruned';
  constructor(message = 'trial pruned') {
    super(message);
  }
}

/** What a Trial needs of its study; kept narrow so a Trial can be tested and driven from ask/tell alike. */
export interface TrialHost {
  suggest(trial: Trial, name: string, distribution: Distribution): ParamValue;
  report(trial: Trial, step: number, value: number[]): void;
  shouldPrune(trial: Trial): boolean;
  setUserAttr(trial: Trial, key: string, value: unknown): void;
}

/** A trial being run: define-by-run suggestions, intermediate reports, pruning. */
export class Trial {
  constructor(
    private readonly host: TrialHost,
    /** This trial as its worker sees it (its own params and reports are always current here). */
    readonly frozen: FrozenTrial,
    /** Parameters the sampler chose jointly when the trial started. */
    readonly relativeParams: Record<string, ParamValue>,
  ) {}

  get number(): number {
    return this.frozen.number;
  }

  get params(): Record<string, ParamValue> {
    return { ...this.frozen.params };
  }

  get userAttrs(): Record<string, unknown> {
    return { ...this.frozen.userAttrs };
  }

  suggestFloat(name: string, low: number, high: number, options: NumericOptions = {}): number {
    return this.suggestWith(name, floatDistribution(name, low, high, options)) as number;
  }

  suggestInt(name: string, low: number, high: number, options: NumericOptions = {}): number {
    return this.suggestWith(name, intDistribution(name, low, high, options)) as number;
  }

  suggestCategorical<T extends ParamValue>(name: string, choices: readonly T[]): T {
    return this.suggestWith(name, categoricalDistribution(name, choices)) as T;
  }

  /** Any distribution, e.g. one read from a config file. */
  suggest(name: string, distribution: Distribution): ParamValue {
    return this.suggestWith(name, distribution);
  }

  report(value: number | readonly number[], step: number): void {
    if (!Number.isInteger(step) || step < 0) throw new RangeError(`report: step must be a non-negative integer, got ${step}`);
    const values = typeof value === 'number' ? [value] : [...value];
    this.host.report(this, step, values);
  }

  shouldPrune(): boolean {
    return this.host.shouldPrune(this);
  }

  setUserAttr(key: string, value: unknown): void {
    this.host.setUserAttr(this, key, value);
  }

  private suggestWith(name: string, distribution: Distribution): ParamValue {
    const known = this.frozen.distributions[name];
    if (known) {
      const value = this.frozen.params[name];
      if (!compatible(known, distribution) || !contains(distribution, value)) {
        throw new RangeError(`${name}: suggested again with a different distribution in trial ${this.number}`);
      }
      return value;
    }
    return this.host.suggest(this, name, distribution);
  }
}
