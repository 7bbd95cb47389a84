import { InputError, Rng } from '../tensor/index.js';
import type { AnyModule } from './module.js';
import { Mutable, type Choice, type MaskDict } from './mutable.js';
import { readArchFile, underSource, type Arch } from './arch.js';

type AnyMutable = Mutable<never[], unknown>;

/** One decision of a search space: every mutable sharing the key follows it. */
export interface Decision {
  key: string;
  kind: AnyMutable['kind'];
  /** The mutable whose candidates name the choices (the first one found). */
  primary: AnyMutable;
  members: AnyMutable[];
}

/**
 * Decides every searchable mutable of a model. Collects the mutables once, grouped by key
 * (derived value spaces resolve to the space they derive from); `reset()` samples a new
 * arch, `sampleByMask()` applies a given one, `export()` records the current one.
 */
export abstract class Mutator {
  readonly decisions: ReadonlyMap<string, Decision>;
  readonly space: string;

  constructor(
    readonly model: AnyModule,
    { space }: { space?: string } = {},
  ) {
    this.space = space ?? (model as { spaceId?: string }).spaceId ?? 'custom';
    this.decisions = collectDecisions(model);
  }

  get keys(): string[] {
    return [...this.decisions.keys()];
  }

  /** A mask for every key; subclasses decide how. */
  protected abstract sampleSearch(): Record<string, number[]>;

  /** Samples a new arch, applies it, and returns it. */
  reset(): Arch {
    this.applyMasks(this.sampleSearch());
    return this.export();
  }

  /**
   * Applies an arch given as `{ space, choices }` or as a Hyperbox mask dict
   * (`{ key: [0, 1, 0] }`). Every key must be present and no others.
   */
  sampleByMask(arch: Arch | MaskDict): void {
    if (isArch(arch)) {
      this.checkKeys(Object.keys(arch.choices), 'arch choices');
      const masks: Record<string, number[]> = {};
      for (const [key, d] of this.decisions) masks[key] = d.primary.maskFor(arch.choices[key]);
      this.applyMasks(masks);
    } else {
      this.checkKeys(Object.keys(arch), 'mask dict');
      this.applyMasks(arch as Record<string, number[]>);
    }
  }

  /** The current decisions as a Hyperbox mask dict. */
  masks(): Record<string, number[]> {
    return Object.fromEntries([...this.decisions].map(([key, d]) => [key, [...d.primary.mask]]));
  }

  /** The current decisions as an arch. */
  export(): Arch {
    const choices: Record<string, Choice> = {};
    for (const [key, d] of this.decisions) choices[key] = d.primary.choice;
    return { space: this.space, choices };
  }

  private applyMasks(masks: Readonly<Record<string, readonly (number | boolean)[]>>): void {
    for (const d of this.decisions.values()) {
      for (const m of d.members) m.setMask(masks);
    }
  }

  private checkKeys(given: string[], what: string): void {
    const missing = this.keys.find((k) => !given.includes(k));
    if (missing) throw new InputError(`${what}: missing key '${missing}'`);
    const unknown = given.find((k) => !this.decisions.has(k));
    if (unknown) throw new InputError(`${what}: unknown key '${unknown}' (space has ${this.keys.length} keys)`);
  }
}

function isArch(a: unknown): a is Arch {
  return typeof a === 'object' && a != null && 'choices' in a && 'space' in a;
}

function collectDecisions(model: AnyModule): Map<string, Decision> {
  const decisions = new Map<string, Decision>();
  const seen = new Set<AnyMutable>();
  for (const [, module] of model.namedModules()) {
    if (!(module instanceof Mutable)) continue;
    const m = (module as AnyMutable).root;
    if (!m.isSearch || seen.has(m)) continue;
    seen.add(m);
    const d = decisions.get(m.key);
    if (!d) {
      decisions.set(m.key, { key: m.key, kind: m.kind, primary: m, members: [m] });
      continue;
    }
    if (d.kind !== m.kind || d.primary.size !== m.size) {
      throw new InputError(
        `key '${m.key}' is shared by a ${d.kind} space with ${d.primary.size} candidates and a ${m.kind} space with ${m.size}`,
      );
    }
    d.members.push(m);
  }
  return decisions;
}

/** Uniform sampling of every decision, seeded. */
export class RandomMutator extends Mutator {
  readonly rng: Rng;

  constructor(model: AnyModule, options: { space?: string; seed?: number } = {}) {
    super(model, options);
    this.rng = new Rng(options.seed);
  }

  protected sampleSearch(): Record<string, number[]> {
    return uniformMasks(this.decisions, this.rng);
  }
}

/** A mask per decision, each drawn uniformly from `rng` (an input space: nChosen distinct inputs, or any non-empty subset). */
export function uniformMasks(decisions: ReadonlyMap<string, Decision>, rng: Rng): Record<string, number[]> {
  const masks: Record<string, number[]> = {};
  for (const [key, d] of decisions) {
    const n = d.primary.size;
    const chosen = d.kind === 'input' ? sampleInputs(n, (d.primary as { nChosen?: number }).nChosen, rng) : [rng.int(n)];
    masks[key] = Array.from({ length: n }, (_, i) => (chosen.includes(i) ? 1 : 0));
  }
  return masks;
}

/** The candidate values of a value decision (kernel sizes, depths, resolutions...). */
export function valueCandidates(d: Decision): number[] {
  return [...(d.primary as unknown as { candidates: readonly number[] }).candidates];
}

/**
 * One mask per choice a decision allows: each candidate of an operation or value, each allowed
 * subset of an input space (`who` names the caller in the error for too many to enumerate).
 */
export function decisionMasks(d: Decision, who: string): number[][] {
  const n = d.primary.size;
  if (d.kind !== 'input') return Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
  const nChosen = (d.primary as { nChosen?: number }).nChosen;
  if (n > 12) throw new InputError(`${who}: input space '${d.key}' has ${n} candidates, too many subsets to enumerate`);
  return inputSubsets(n, nChosen).map((chosen) => Array.from({ length: n }, (_, i) => (chosen.includes(i) ? 1 : 0)));
}

/** Every input subset an input space allows, as chosen indices: those of size nChosen, or every non-empty one when unset. */
export function inputSubsets(n: number, nChosen: number | undefined): number[][] {
  const subsets: number[][] = [];
  for (let subset = 1; subset < 2 ** n; subset++) {
    const chosen = Array.from({ length: n }, (_, i) => i).filter((i) => (subset >> i) & 1);
    if (nChosen == null || chosen.length === nChosen) subsets.push(chosen);
  }
  return subsets;
}

/** nChosen distinct indices, or a uniformly random non-empty subset when nChosen is unset. */
function sampleInputs(n: number, nChosen: number | undefined, rng: Rng): number[] {
  if (nChosen == null) {
    const subset = 1 + rng.int(2 ** n - 1);
    return Array.from({ length: n }, (_, i) => i).filter((i) => (subset >> i) & 1);
  }
  const pool = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < nChosen; i++) {
    const j = i + rng.int(n - i);
    [pool[i], pool[j]] = [pool[j], pool[i]];
  }
  return pool.slice(0, nChosen).sort((a, b) => a - b);
}

/**
 * The model's current choice for every key, searchable or fixed by a constructor mask (a
 * static subnet built from an arch still reports that arch).
 */
export function currentArch(model: AnyModule, space?: string): Arch {
  const choices: Arch['choices'] = {};
  for (const [, module] of model.namedModules()) {
    if (!(module instanceof Mutable)) continue;
    const m = (module as AnyMutable).root;
    if (!(m.key in choices)) choices[m.key] = m.choice;
  }
  return { space: space ?? (model as { spaceId?: string }).spaceId ?? 'custom', choices };
}

/**
 * Hyperbox's FixedArchitecture: the model set to one arch (an arch, a Hyperbox mask dict, or
 * an arch file's path) and kept there: `reset()` returns it every time. Errors name the file
 * and the field.
 */
export class FixedArchitecture extends Mutator {
  private readonly fixed: Record<string, number[]>;

  constructor(model: AnyModule, arch: Arch | MaskDict | string, options: { space?: string } = {}) {
    super(model, options);
    const spec = typeof arch === 'string' ? readArchFile(arch) : undefined;
    const given = spec ? (spec.form === 'choices' ? spec.arch : spec.masks) : (arch as Arch | MaskDict);
    const source = typeof arch === 'string' ? arch : 'arch';
    if (isArch(given) && given.space !== this.space) throw new InputError(`${source}: field 'space': expected '${this.space}', got '${given.space}'`);
    underSource(source, () => this.sampleByMask(given));
    this.fixed = this.masks();
  }

  protected sampleSearch(): Record<string, number[]> {
    return this.fixed;
  }
}

/** A mutator's options without the unset ones and without `space` and `seed` (which the base class and the Rng take), to spread over defaults. */
export function definedOptions<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([k, v]) => v !== undefined && k !== 'space' && k !== 'seed')) as Partial<T>;
}
