import { z } from 'zod';
import type { Arch } from '../space/index.js';
import type { Cost, SpaceDefinition } from './definition.js';
import { CostTally } from './count.js';
import { DARTS_NODES, dartsCells, DartsNetwork, edgeKey, STEM_MULTIPLIER, switchKey, type DartsOp, type ResolvedDartsOptions } from './darts.js';
import { canonicalDartsArch, dartsInactiveKeys, DARTS_SPACE_ID, formatGenotype, genotypeToArch, isDartsGenotype } from './darts_arch.js';
import { dartsLatency } from './darts_latency.js';
import { parseSpaceOptions, singleResolution } from './options.js';

const dartsOptionsSchema = z
  .object({
    channels: z.number().int().positive().multipleOf(2, 'expected an even number (factorized reductions halve it)'),
    layers: z.number().int().min(3, 'expected at least 3 cells (two of them reductions)'),
    inputChannels: z.number().int().positive(),
    numClasses: z.number().int().positive(),
    resolution: z.number().int().positive().multipleOf(4, 'expected a multiple of 4 (two stride-2 reductions)'),
  })
  .partial()
  .strict();

/** Depthwise k x k then pointwise with BN (a dil_conv; half a sep_conv). */
function countDilConv(t: CostTally, c: number, k: number, out: number): void {
  t.conv(c, c, k, out, { groups: c, bn: false });
  t.conv(c, c, 1, out);
}

/** Two 1x1 stride-2 convs to half the channels each, one BN over both. */
function countFactorizedReduce(t: CostTally, cin: number, cout: number, out: number): void {
  t.conv(cin, cout / 2, 1, out, { bn: false });
  t.conv(cin, cout / 2, 1, out, { bn: false });
  t.params += 2 * cout;
}

/** An edge's operation (pools: a BN without affine parameters, nothing counted; none and an identity skip: nothing). */
function countOp(t: CostTally, op: DartsOp, c: number, out: number, stride: number): void {
  if (op === 'skip_connect' && stride === 2) countFactorizedReduce(t, c, c, out);
  else if (op === 'sep_conv_3x3' || op === 'sep_conv_5x5') {
    const k = op === 'sep_conv_3x3' ? 3 : 5;
    countDilConv(t, c, k, out);
    countDilConv(t, c, k, out);
  } else if (op === 'dil_conv_3x3' || op === 'dil_conv_5x5') countDilConv(t, c, op === 'dil_conv_3x3' ? 3 : 5, out);
}

/** MACs and parameters of a DARTS subnet: stem, each cell's preprocessing and the operations its switches take, classifier. */
export function countDartsCost(arch: Arch, o: ResolvedDartsOptions): Cost {
  const t = new CostTally();
  t.conv(o.inputChannels, STEM_MULTIPLIER * o.channels, 3, o.resolution);
  const { cells, finalChannels } = dartsCells(o);
  for (const cell of cells) {
    if (cell.prevPrevSize !== cell.size) countFactorizedReduce(t, cell.prevPrev, cell.c, cell.size);
    else t.conv(cell.prevPrev, cell.c, 1, cell.size);
    t.conv(cell.prev, cell.c, 1, cell.size);
    const out = cell.type === 'reduce' ? cell.size / 2 : cell.size;
    for (let node = 2; node < 2 + DARTS_NODES; node++) {
      for (const input of arch.choices[switchKey(cell.type, node)] as number[]) {
        countOp(t, arch.choices[edgeKey(cell.type, node, input)] as DartsOp, cell.c, out, cell.type === 'reduce' && input < 2 ? 2 : 1);
      }
    }
  }
  t.linear(finalChannels, o.numClasses);
  return t.cost;
}

const dartsParts = singleResolution((options) => new DartsNetwork(options));

export const DARTS_SPACE: SpaceDefinition<DartsNetwork> = {
  ...dartsParts,
  id: DARTS_SPACE_ID,
  description:
    'DARTS (CIFAR search network): 8 cells, reductions at a third and two thirds; a normal and a reduction genotype, each node summing 2 of the states before it (InputSpace) through one of 8 operations per edge',
  create: (options, source = 'options') => new DartsNetwork(parseSpaceOptions(dartsOptionsSchema, options, source)),
  optionsFor: (d) => ({ inputChannels: d.channels, numClasses: d.classes, resolution: d.size }),
  parseArch: (json, _m, source) => (isDartsGenotype(json) ? genotypeToArch(json, source) : undefined),
  archForm: (_m, arch) => ({ genotype: formatGenotype(arch) }),
  inactiveKeys: () => dartsInactiveKeys,
  inputEdges: () =>
    Object.fromEntries(
      (['normal', 'reduce'] as const).flatMap((type) => Array.from({ length: DARTS_NODES }, (_, j) => j + 2).map((node) => [switchKey(type, node), Array.from({ length: node }, (_, i) => edgeKey(type, node, i))])),
    ),
  cost: (m, arch) => countDartsCost(arch, m.options),
  subnet: (supernet, arch) => dartsParts.subnet(supernet, canonicalDartsArch(arch)),
  latency: (m) => dartsLatency(m.options),
};

