import { InputError } from '../tensor/index.js';
import {
  checkCandidates,
  isOneHot,
  Mutable,
  oneHot,
  type Choice,
  type MaskInput,
} from './mutable.js';

export type Value = number | string | boolean;

export interface ValueSpaceOptions {
  key?: string;
  mask?: MaskInput;
}

/**
 * One value among `candidates`: a kernel size, a channel count, a flag. Arithmetic
 * (`times`, `div`, `map`) gives a derived space that follows this one's decision, as
 * Hyperbox does for expand ratio -> middle channels.
 */
export class ValueSpace<T extends Value = number> extends Mutable<never[], T> {
  readonly kind = 'value' as const;
  readonly candidates: readonly T[];

  constructor(candidates: readonly T[], { key, mask }: ValueSpaceOptions = {}) {
    super(key, 'ValueSpace', mask);
    // Derived spaces may map two candidates to one value (e.g. rounded channel counts).
    if (!(this instanceof DerivedValueSpace)) checkCandidates('ValueSpace', this.key, candidates);
    this.candidates = [...candidates];
    this.initMask(mask);
  }

  get size(): number {
    return this.candidates.length;
  }

  protected override defaultIndex(): number {
    const c = this.candidates;
    if (c.every((v) => typeof v === 'number')) {
      return (c as readonly number[]).indexOf(Math.max(...(c as readonly number[])));
    }
    return c.length - 1;
  }

  protected validateMask(mask: number[]): number[] {
    if (!isOneHot(mask)) {
      throw new InputError(`mask for value space '${this.key}' must be one-hot, got [${mask.join(', ')}]`);
    }
    return mask;
  }

  /** The chosen value. */
  get value(): T {
    return this.candidates[this.index];
  }

  get max(): T {
    return this.candidates[this.defaultIndex()];
  }

  choiceFor(mask: readonly number[]): Choice {
    return this.candidates[mask.indexOf(1)];
  }

  maskFor(choice: Choice): number[] {
    const i = this.candidates.findIndex((c) => c === choice);
    if (i < 0) {
      throw new InputError(
        `choice for '${this.key}': ${JSON.stringify(choice)} is not a candidate, expected one of ${JSON.stringify(this.candidates)}`,
      );
    }
    return oneHot(this.size, i);
  }

  describeCandidates(): string[] {
    return this.candidates.map((c) => String(c));
  }

  forward(): T {
    return this.value;
  }

  map<U extends Value>(fn: (v: T) => U): DerivedValueSpace<U> {
    return new DerivedValueSpace(this, (v) => fn(v as T));
  }

  times(k: number): DerivedValueSpace<number> {
    return this.map((v) => (v as number) * k);
  }

  div(k: number): DerivedValueSpace<number> {
    return this.map((v) => (v as number) / k);
  }
}

/**
 * A space whose value is a function of another's: it shares the key and the decision
 * (a mutator decides the root only).
 */
export class DerivedValueSpace<T extends Value = number> extends ValueSpace<T> {
  constructor(
    readonly base: ValueSpace<Value>,
    readonly fn: (v: Value) => T,
  ) {
    super(base.candidates.map(fn), { key: base.key, mask: base.isSearch ? undefined : base.mask });
  }

  override get root(): ValueSpace<Value> {
    return this.base.root as ValueSpace<Value>;
  }

  override get mask(): readonly number[] {
    return this.base.mask;
  }

  override get index(): number {
    return this.base.index;
  }

  override get value(): T {
    return this.candidates[this.base.index];
  }

  override setMask(): void {
    throw new Error(`'${this.key}' is derived; set the decision on the space it derives from`);
  }
}

/** A size argument of an elastic op: fixed, or a space. */
export type SizeArg = number | ValueSpace<number>;

export function currentSize(arg: SizeArg): number {
  return typeof arg === 'number' ? arg : arg.value;
}

/** True when the argument can still change (a searchable space). */
export function isElastic(arg: SizeArg | ValueSpace<Value> | boolean): arg is ValueSpace<number> {
  return arg instanceof ValueSpace && arg.root.isSearch;
}
