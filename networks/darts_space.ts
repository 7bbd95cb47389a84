import { z } from 'zod';
import type { Arch } from '../space/index.js';
import type { Cost, SpaceDefinition } from './definition.js';
import { DARTS_NODES, DartsNetwork, edgeKey, isReduction, STEM_MULTIPLIER, switchKey, type CellType, type DartsOp, type ResolvedDartsOptions } from './darts.js';
import { canonicalDartsArch, dartsInactiveKeys, DARTS_SPACE_ID, formatGenotype, genotypeToArch, isDartsGenotype } from './darts_arch.js';
import { dartsLatency } from './darts_latency.js';
import { parseSpaceOptions } from './options.js';
import { fixedSubnet } from './subnet.js';

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

/** OFA's counters: conv MACs cin/groups x cout x k^2 per output element; conv and BN parameters (BN without affine: none). */
class Tally implements Cost {
  macs = 0;
  params = 0;

  conv(cin: number, cout: number, k: number, out: number, { groups = 1, bn = false } = {}): void {
    this.macs += ((cin / groups) * cout * k * k * out * out);
    this.params += (cin / groups) * cout * k * k + (bn ? 2 * cout : 0);
  }

  /** Depthwise k x k then pointwise with BN (a dil_conv; half a sep_conv). */
  dilConv(c: number, k: number, out: number): void {
    this.conv(c, c, k, out, { groups: c });
    this.conv(c, c, 1, out, { bn: true });
  }

  factorizedReduce(cin: number, cout: number, out: number): void {
    this.conv(cin, cout / 2, 1, out);
    this.conv(cin, cout / 2, 1, out);
    this.params += 2 * cout; // one BN over both halves
  }

  op(op: DartsOp, c: number, out: number, stride: number): void {
    if (op === 'skip_connect' && stride === 2) this.factorizedReduce(c, c, out);
    else if (op === 'sep_conv_3x3' || op === 'sep_conv_5x5') {
      const k = op === 'sep_conv_3x3' ? 3 : 5;
      this.dilConv(c, k, out);
      this.dilConv(c, k, out);
    } else if (op === 'dil_conv_3x3' || op === 'dil_conv_5x5') this.dilConv(c, op === 'dil_conv_3x3' ? 3 : 5, out);
  }
}

/** MACs and parameters of a DARTS subnet: stem, each cell's preprocessing and the operations its switches take, classifier. */
export function countDartsCost(arch: Arch, o: ResolvedDartsOptions): Cost {
  const t = new Tally();
  const stem = STEM_MULTIPLIER * o.channels;
  t.conv(o.inputChannels, stem, 3, o.resolution, { bn: true });
  let [prevPrev, prev, c] = [stem, stem, o.channels];
  let [sizePrevPrev, size] = [o.resolution, o.resolution];
  for (let i = 0; i < o.layers; i++) {
    const reduction = isReduction(i, o.layers);
    if (reduction) c *= 2;
    const type: CellType = reduction ? 'reduce' : 'normal';
    if (sizePrevPrev !== size) t.factorizedReduce(prevPrev, c, size);
    else t.conv(prevPrev, c, 1, size, { bn: true });
    t.conv(prev, c, 1, size, { bn: true });
    const out = reduction ? size / 2 : size;
    for (let node = 2; node < 2 + DARTS_NODES; node++) {
      for (const input of arch.choices[switchKey(type, node)] as number[]) {
        t.op(arch.choices[edgeKey(type, node, input)] as DartsOp, c, out, reduction && input < 2 ? 2 : 1);
      }
    }
    [prevPrev, prev] = [prev, DARTS_NODES * c];
    [sizePrevPrev, size] = [size, out];
  }
  t.macs += prev * o.numClasses;
  t.params += prev * o.numClasses + o.numClasses;
  return { macs: t.macs, params: t.params };
}

export const DARTS_SPACE: SpaceDefinition<DartsNetwork> = {
  id: DARTS_SPACE_ID,
  description:
    'DARTS (CIFAR search network): 8 cells, reductions at a third and two thirds; a normal and a reduction genotype, each node summing 2 of the states before it (InputSpace) through one of 8 operations per edge',
  create: (options, source = 'options') => new DartsNetwork(parseSpaceOptions(dartsOptionsSchema, options, source)),
  optionsFor: (d) => ({ inputChannels: d.channels, numClasses: d.classes, resolution: d.size }),
  config: (m) => {
    const { resolution, ...options } = m.options;
    return { options, resolutions: [resolution] };
  },
  withResolutions: (m, resolutions) => new DartsNetwork({ ...m.options, resolution: resolutions[0] }),
  parseArch: (json, _m, source) => (isDartsGenotype(json) ? genotypeToArch(json, source) : undefined),
  archForm: (_m, arch) => ({ genotype: formatGenotype(arch) }),
  inactiveKeys: () => dartsInactiveKeys,
  inputEdges: () =>
    Object.fromEntries(
      (['normal', 'reduce'] as const).flatMap((type) => Array.from({ length: DARTS_NODES }, (_, j) => j + 2).map((node) => [switchKey(type, node), Array.from({ length: node }, (_, i) => edgeKey(type, node, i))])),
    ),
  cost: (m, arch) => countDartsCost(arch, m.options),
  subnet: (supernet, arch) => fixedSubnet(supernet, canonicalDartsArch(arch), (mask) => new DartsNetwork({ ...supernet.options, mask })),
  io: (m) => ({ channels: m.options.inputChannels, resolution: m.options.resolution, classes: m.options.numClasses }),
  latency: (m) => dartsLatency(m.options),
};

