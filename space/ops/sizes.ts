import { InputError } from '../../tensor/index.js';
import { ValueSpace, type SizeArg, type Value } from '../value_space.js';

export type FlagArg = boolean | ValueSpace<number> | ValueSpace<boolean>;

/** The current value of a size argument, checked to be a positive integer. */
export function sizeNow(arg: SizeArg, what: string): number {
  const v = typeof arg === 'number' ? arg : arg.value;
  if (!Number.isInteger(v) || v < 1) {
    const where = typeof arg === 'number' ? what : `${what} ('${arg.key}')`;
    throw new InputError(`${where}: expected a positive integer, got ${v}`);
  }
  return v;
}

export function flagNow(arg: FlagArg): boolean {
  return typeof arg === 'boolean' ? arg : Boolean(arg.value);
}

/** Values an argument can take: all candidates while searchable, else the one chosen. */
function reachable(arg: SizeArg | FlagArg): Value[] {
  if (typeof arg !== 'object') return [arg];
  return arg.root.isSearch ? [...arg.candidates] : [arg.value];
}

/**
 * The largest value `f` takes over every joint assignment the arguments can reach.
 * Arguments sharing a key move together (e.g. a depthwise conv's channels and groups).
 */
export function jointMax(args: readonly (SizeArg | FlagArg)[], f: (...values: Value[]) => number): number {
  const roots = new Map<string, number>(); // key -> number of candidates
  for (const a of args) {
    if (typeof a === 'object' && a.root.isSearch) roots.set(a.key, a.candidates.length);
  }
  const keys = [...roots.keys()];
  let best = -Infinity;
  const pick = new Map<string, number>();
  const visit = (depth: number): void => {
    if (depth === keys.length) {
      const values = args.map((a) =>
        typeof a === 'object' && a.root.isSearch ? a.candidates[pick.get(a.key)!] : reachable(a)[0],
      );
      best = Math.max(best, f(...values));
      return;
    }
    for (let i = 0; i < roots.get(keys[depth])!; i++) {
      pick.set(keys[depth], i);
      visit(depth + 1);
    }
  };
  visit(0);
  return best;
}

/** Every value the argument can take, sorted descending. */
export function reachableSizes(arg: SizeArg): number[] {
  return [...new Set(reachable(arg) as number[])].sort((a, b) => b - a);
}
