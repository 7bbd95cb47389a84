import { z } from 'zod';
import { BatchNorm2d, Conv2d, Linear, type Arch } from '../space/index.js';
import type { BlockModel, Cost, SpaceDefinition, SpaceLatency } from './definition.js';
import type { Emittable, GraphEmitter } from './emit.js';
import { AvgPool3x3, NB201_EDGES, NB201_NODES, NB201_OPS, NB201Network, ReLUConvBN, ResidualReduction, type NB201Op, type ResolvedNB201Options } from './nb201.js';
import { formatNB201String, isNB201String, NB201_SPACE_ID, parseNB201String } from './nb201_arch.js';
import { parseSpaceOptions, singleResolution } from './options.js';

const nb201OptionsSchema = z
  .object({
    channels: z.number().int().positive(),
    cellsPerStage: z.number().int().positive(),
    inputChannels: z.number().int().positive(),
    numClasses: z.number().int().positive(),
    resolution: z.number().int().positive().multipleOf(4, 'expected a multiple of 4 (two stride-2 reductions)'),
  })
  .partial()
  .strict();

/** Channels and feature-map size of each of the three stages. */
function stages(o: ResolvedNB201Options): { channels: number; size: number }[] {
  return [0, 1, 2].map((s) => ({ channels: o.channels * 2 ** s, size: o.resolution / 2 ** s }));
}

const edgeOps = (arch: Arch): NB201Op[] => NB201_EDGES.map((e) => arch.choices[e.key] as NB201Op);

/** MACs and parameters of an NB201 subnet, counted as OFA's counters do (conv and linear MACs; conv, BN and linear parameters). */
export function countNB201Cost(arch: Arch, o: ResolvedNB201Options): Cost {
  const ops = edgeOps(arch);
  const conv = (cin: number, cout: number, k: number, size: number, bn = true) => ({ macs: cin * cout * k * k * size * size, params: cin * cout * k * k + (bn ? 2 * cout : 0) });
  const parts: Cost[] = [conv(o.inputChannels, o.channels, 3, o.resolution)];
  stages(o).forEach(({ channels: c, size }, s) => {
    if (s > 0) parts.push(conv(c / 2, c, 3, size), conv(c, c, 3, size), conv(c / 2, c, 1, size, false));
    for (let i = 0; i < o.cellsPerStage; i++) {
      for (const op of ops) if (op === 'nor_conv_1x1' || op === 'nor_conv_3x3') parts.push(conv(c, c, op === 'nor_conv_1x1' ? 1 : 3, size));
    }
  });
  const last = o.channels * 4;
  parts.push({ macs: last * o.numClasses, params: 2 * last + last * o.numClasses + o.numClasses });
  return parts.reduce((a, b) => ({ macs: a.macs + b.macs, params: a.params + b.params }), { macs: 0, params: 0 });
}

const TIMED_OPS = ['nor_conv_1x1', 'nor_conv_3x3', 'avg_pool_3x3'] as const;
const TIMED_SET: Record<string, true> = Object.fromEntries(TIMED_OPS.map((op) => [op, true]));

/** One block: a module that emits itself on an input of [channels, size, size]. */
function blockModel(module: Emittable & { dispose(): void }, cin: number, size: number, output: number[]): BlockModel {
  return { module, input: [1, cin, size, size], output, dispose: () => module.dispose() };
}

function emitting(emit: (e: GraphEmitter, x: string) => string, dispose: () => void = () => {}): Emittable & { dispose(): void } {
  return { emit, dispose };
}

/**
 * NB201's latency as a sum of operations (no block larger than an edge repeats): the stem,
 * each stage's three timed operations and its two-input Add (a node summing k edges runs
 * k - 1 of them), the reduction blocks and the head.
 */
function nb201Latency(o: ResolvedNB201Options): SpaceLatency {
  const st = stages(o);
  const key = {
    stem: () => `nb201:stem:in${o.resolution}x${o.resolution}x${o.inputChannels}:c${o.channels}`,
    op: (op: string, c: number, s: number) => `nb201:${op}:c${c}:s${s}`,
    add: (c: number, s: number) => `nb201:add:c${c}:s${s}`,
    reduction: (c: number, s: number) => `nb201:reduction:in${s}x${s}x${c}:out${2 * c}`,
    head: () => `nb201:head:in${st[2].size}x${st[2].size}x${st[2].channels}:classes${o.numClasses}`,
  };
  const blocks = (): { key: string; build: () => BlockModel }[] => {
    const list = [
      {
        key: key.stem(),
        build: () => {
          const conv = new Conv2d(o.inputChannels, o.channels, 3);
          const bn = new BatchNorm2d(o.channels);
          const emit = (e: GraphEmitter, x: string) => e.conv(x, conv, bn, 'stem');
          return blockModel(emitting(emit, () => (conv.dispose(), bn.dispose())), o.inputChannels, o.resolution, [1, o.channels, o.resolution, o.resolution]);
        },
      },
    ];
    st.forEach(({ channels: c, size: s }, i) => {
      const shape = [1, c, s, s];
      if (i > 0) {
        list.push({ key: key.reduction(c / 2, 2 * s), build: () => blockModel(withName(new ResidualReduction(c / 2, c)), c / 2, 2 * s, shape) });
      }
      for (const op of TIMED_OPS) {
        list.push({ key: key.op(op, c, s), build: () => blockModel(op === 'avg_pool_3x3' ? withName(new AvgPool3x3()) : withName(new ReLUConvBN(c, c, op === 'nor_conv_1x1' ? 1 : 3)), c, s, shape) });
      }
      list.push({ key: key.add(c, s), build: () => blockModel(emitting((e, x) => e.node('Add', [x, x])), c, s, shape) });
    });
    list.push({
      key: key.head(),
      build: () => {
        const bn = new BatchNorm2d(st[2].channels);
        const fc = new Linear(st[2].channels, o.numClasses);
        const emit = (e: GraphEmitter, x: string) => e.linear(e.node('GlobalAveragePool', [e.node('Relu', [e.batchNorm(x, bn, st[2].channels, 'last_bn')])]), fc, 'classifier');
        return blockModel(emitting(emit, () => (bn.dispose(), fc.dispose())), st[2].channels, st[2].size, [1, o.numClasses]);
      },
    });
    return list;
  };
  return {
    blockGroups: () => [{ group: `r${o.resolution}`, blocks: blocks() }],
    // An edge's operation runs in every cell; every edge that carries something adds one term to its node's sum.
    candidateCosts: (lookup) => {
      const perOp = (op: NB201Op) =>
        st.reduce((n, { channels: c, size: s }) => n + o.cellsPerStage * ((op in TIMED_SET ? lookup(key.op(op, c, s)) : 0) + (op === 'none' ? 0 : lookup(key.add(c, s)))), 0);
      return Object.fromEntries(NB201_EDGES.map((e) => [e.key, NB201_OPS.map(perOp)]));
    },
    compile: (lookup) => {
      const fixed = lookup(key.stem()) + lookup(key.head()) + st.slice(1).reduce((n, { channels: c, size: s }) => n + lookup(key.reduction(c / 2, 2 * s)), 0);
      const perStage = st.map(({ channels: c, size: s }) => ({
        op: Object.fromEntries(TIMED_OPS.map((op) => [op, lookup(key.op(op, c, s))])) as Record<string, number>,
        add: lookup(key.add(c, s)),
      }));
      return (arch, counted) => {
        const ops = edgeOps(arch);
        // Per cell: the timed operations, and the Adds its nodes need (an unfed node: one Sub, timed as an Add).
        let timed = 0;
        let adds = 0;
        for (let to = 1; to < NB201_NODES; to++) {
          let terms = 0;
          NB201_EDGES.forEach((edge, i) => {
            if (edge.to !== to || ops[i] === 'none') return;
            terms++;
            if (ops[i] !== 'skip_connect') timed++;
          });
          adds += Math.max(terms - 1, terms === 0 ? 1 : 0);
        }
        let sum = fixed;
        for (const stage of perStage) {
          let cell = adds * stage.add;
          for (const op of ops) if (op in stage.op) cell += stage.op[op];
          sum += o.cellsPerStage * cell;
        }
        if (counted) counted.blocks = 2 + (st.length - 1) + st.length * o.cellsPerStage * (timed + adds);
        return sum;
      };
    },
  };
}

function withName<T extends { emit(e: GraphEmitter, x: string, name: string): string; dispose(): void }>(m: T): Emittable & { dispose(): void } {
  return { emit: (e, x) => m.emit(e, x, 'block'), dispose: () => m.dispose() };
}

export const NB201_SPACE: SpaceDefinition<NB201Network> = {
  ...singleResolution((options) => new NB201Network(options)),
  id: NB201_SPACE_ID,
  description:
    'NAS-Bench-201: 3 stages of 5 cells (16, 32, 64 channels) with residual reductions; one cell genotype, 6 edges, each none, skip_connect, nor_conv_1x1, nor_conv_3x3 or avg_pool_3x3 (15,625 archs)',
  create: (options, source = 'options') => new NB201Network(parseSpaceOptions(nb201OptionsSchema, options, source)),
  optionsFor: (d) => ({ inputChannels: d.channels, numClasses: d.classes, resolution: d.size }),
  parseArch: (json, _m, source) => (isNB201String(json) ? parseNB201String(typeof json === 'string' ? json : (json as { arch: string }).arch, source) : undefined),
  archForm: (_m, arch) => ({ arch: formatNB201String(arch) }),
  cost: (m, arch) => countNB201Cost(arch, m.options),
  latency: (m) => nb201Latency(m.options),
};
