import { InputError } from '../tensor/index.js';
import { Module } from './module.js';

/** A one-hot or weighted mask: a list (booleans or numbers) or a dict keyed by mutable key. */
export type MaskList = readonly (number | boolean)[];
export type MaskDict = Readonly<Record<string, MaskList>>;
export type MaskInput = MaskList | MaskDict;

/** What an arch records for one key: a candidate value or op name, chosen input indices, or weights. */
export type Choice = number | string | boolean | number[] | { weights: number[] };

export type MutableKind = 'value' | 'operation' | 'input';

const counters = new Map<string, number>();

/** Hyperbox-style automatic keys: ValueSpace1, ValueSpace2, ... */
export function autoKey(prefix: string): string {
  const n = (counters.get(prefix) ?? 0) + 1;
  counters.set(prefix, n);
  return `${prefix}${n}`;
}

/** Resolves a mask argument to numbers for one mutable, checking its length. */
export function resolveMask(key: string, size: number, mask: MaskInput): number[] {
  let list: MaskList;
  if (Array.isArray(mask)) {
    list = mask as MaskList;
  } else {
    const dict = mask as MaskDict;
    if (!(key in dict)) throw new InputError(`mask: no entry for key '${key}'`);
    list = dict[key];
    if (!Array.isArray(list)) throw new InputError(`mask for '${key}': expected a list of ${size} entries`);
  }
  if (list.length !== size) {
    throw new InputError(`mask for '${key}': expected ${size} entries, got ${list.length}`);
  }
  return list.map((v, i) => {
    const x = typeof v === 'boolean' ? Number(v) : v;
    if (typeof x !== 'number' || !Number.isFinite(x) || x < 0) {
      throw new InputError(`mask for '${key}': entry ${i} must be a boolean or a non-negative number, got ${JSON.stringify(v)}`);
    }
    return x;
  });
}

export function isOneHot(mask: readonly number[]): boolean {
  return mask.filter((v) => v !== 0).length === 1 && mask.every((v) => v === 0 || v === 1);
}

export function oneHot(size: number, index: number): number[] {
  return Array.from({ length: size }, (_, i) => (i === index ? 1 : 0));
}

export function checkCandidates(kind: string, key: string, names: readonly unknown[]): void {
  if (names.length === 0) throw new InputError(`${kind} '${key}': candidate list is empty`);
  const seen = new Set<string>();
  for (const n of names) {
    const id = JSON.stringify(n);
    if (seen.has(id)) throw new InputError(`${kind} '${key}': duplicate candidate ${id}`);
    seen.add(id);
  }
}

/**
 * A decision point of a search space. Mutables sharing a `key` share one decision. A
 * mutable built with a mask is fixed (not searchable); otherwise a mutator decides it.
 */
export abstract class Mutable<I extends unknown[] = never[], O = unknown> extends Module<I, O> {
  abstract readonly kind: MutableKind;
  readonly key: string;
  /** False when the constructor fixed the decision with a mask. */
  readonly isSearch: boolean;
  /** The current decision as a mask over the candidates. */
  protected currentMask!: number[];

  protected constructor(key: string | undefined, prefix: string, mask: MaskInput | undefined) {
    super();
    this.key = key ?? autoKey(prefix);
    this.isSearch = mask == null;
  }

  /** Subclasses call this once their candidates are set. */
  protected initMask(mask: MaskInput | undefined): void {
    this.currentMask =
      mask == null ? oneHot(this.size, this.defaultIndex()) : this.validateMask(resolveMask(this.key, this.size, mask));
  }

  abstract get size(): number;

  /** Index used before any mutator decides (Hyperbox: the last candidate). */
  protected defaultIndex(): number {
    return this.size - 1;
  }

  /** Checks a mask this kind of mutable can take; returns it. */
  protected abstract validateMask(mask: number[]): number[];

  /** The choice an arch records for `mask`. */
  abstract choiceFor(mask: readonly number[]): Choice;

  /** The mask for a recorded choice; an error naming the key when it is not a candidate. */
  abstract maskFor(choice: Choice): number[];

  /** Candidate labels, for listings. */
  abstract describeCandidates(): string[];

  get mask(): readonly number[] {
    return this.currentMask;
  }

  /** Sets the decision (mutators call this). */
  setMask(mask: MaskInput): void {
    if (!this.isSearch) throw new Error(`mutable '${this.key}' is fixed by its constructor mask`);
    this.currentMask = this.validateMask(resolveMask(this.key, this.size, mask));
  }

  /** The index of a one-hot decision. */
  get index(): number {
    if (!isOneHot(this.currentMask)) throw new Error(`mutable '${this.key}' has a weighted mask, not one choice`);
    return this.currentMask.indexOf(1);
  }

  get choice(): Choice {
    return this.choiceFor(this.mask);
  }

  /** The mutable whose decision this one follows (itself unless derived). */
  get root(): Mutable<never[], unknown> {
    return this as unknown as Mutable<never[], unknown>;
  }
}
