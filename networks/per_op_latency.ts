import { RandomMutator, type AnyModule, type Arch } from '../space/index.js';
import { InputError } from '../tensor/index.js';
import type { BlockModel, SpaceDefinition, SpaceLatency } from './definition.js';
import { isEmittable } from './emit.js';
import { emittedOps, type EmittedOp } from './emitted_ops.js';

/** Archs drawn to find a space's distinct operators (seeded: every profile lists the same ones). */
export const PER_OP_SAMPLES = 200;
/** Archs whose operator lists a compiled predictor keeps before starting afresh. */
const MEMO_LIMIT = 50_000;

/** What an operator costs in the units its time scales with: MACs where it has any, else output elements. */
const workOf = (op: EmittedOp) => op.macs || op.output.reduce((a, b) => a * b, 1);

/**
 * Latency by operator, for a space that declares no blocks: every distinct operator (type,
 * attributes, shapes) of the archs a seeded sample draws, each timed alone; an arch's sum is
 * its operators' entries. An operator the sample missed is estimated from the table's entries
 * of the same type, at the median ms per MAC (or per output element) of those.
 * A prediction walks the arch's graph once (memoised), far slower than a declared block sum.
 */
export function perOpLatency<M extends AnyModule>(def: SpaceDefinition<M>, model: M, samples = PER_OP_SAMPLES): SpaceLatency {
  if (!isEmittable(model)) throw new InputError(`--space: '${def.id}' declares no latency blocks and its network cannot be emitted as a graph`);
  const mutator = new RandomMutator(model, { seed: 0 });
  /** The input size of the arch the model is set to. */
  const inputSize = () => def.io(model).resolution ?? def.config(model).resolutions[0];
  /** Every distinct operator met so far, and each arch's operators (as keys: archs share most of them). */
  const byKey = new Map<string, EmittedOp>();
  const memo = new Map<string, string[]>();
  const opsOf = (arch: Arch): string[] => {
    const id = JSON.stringify(arch.choices);
    let keys = memo.get(id);
    if (!keys) {
      mutator.sampleByMask(arch);
      const ops = emittedOps(model, def.io(model).channels, inputSize());
      for (const op of ops) if (!byKey.has(op.key)) byKey.set(op.key, op);
      keys = ops.map((op) => op.key);
      if (memo.size >= MEMO_LIMIT) memo.clear();
      memo.set(id, keys);
    }
    return keys;
  };
  const sampled = new Map<string, Map<string, Map<string, EmittedOp>>>();
  /** Distinct operators of the sampled archs whose input size is in `resolutions`, by group. */
  const distinct = (resolutions: number[]): Map<string, Map<string, EmittedOp>> => {
    const id = resolutions.join(',');
    let groups = sampled.get(id);
    if (groups) return groups;
    groups = new Map();
    const draws = new RandomMutator(model, { seed: 0 });
    for (let i = 0; i < samples; i++) {
      const arch = draws.reset();
      const size = inputSize();
      if (!resolutions.includes(size)) continue;
      const group = groups.get(`r${size}`) ?? new Map<string, EmittedOp>();
      groups.set(`r${size}`, group);
      for (const key of opsOf(arch)) group.set(key, byKey.get(key)!);
    }
    sampled.set(id, groups);
    return groups;
  };
  return {
    blockGroups: (resolutions) =>
      [...distinct(resolutions)].map(([group, ops]) => ({ group, blocks: [...ops.values()].map((op): { key: string; build: () => BlockModel } => ({ key: op.key, build: op.build })) })),
    compile: (lookup, resolutions) => {
      const known = new Map<string, number>();
      const rates = new Map<string, number[]>();
      for (const ops of distinct(resolutions).values()) {
        for (const op of ops.values()) {
          if (known.has(op.key)) continue;
          const ms = lookup(op.key);
          known.set(op.key, ms);
          const list = rates.get(op.op) ?? [];
          list.push(ms / Math.max(1, workOf(op)));
          rates.set(op.op, list);
        }
      }
      const perWork = new Map([...rates].map(([op, r]) => [op, r.sort((a, b) => a - b)[Math.floor(r.length / 2)]]));
      const msOf = (key: string): number => {
        const ms = known.get(key);
        if (ms !== undefined) return ms;
        const op = byKey.get(key)!;
        const rate = perWork.get(op.op);
        // No entry of its type at all: the lookup names what is missing.
        if (rate === undefined) return lookup(key);
        const estimate = rate * Math.max(1, workOf(op));
        known.set(key, estimate);
        return estimate;
      };
      return (arch, counted) => {
        const keys = opsOf(arch);
        let sum = 0;
        for (const key of keys) sum += msOf(key);
        if (counted) counted.blocks = keys.length;
        return sum;
      };
    },
  };
}
