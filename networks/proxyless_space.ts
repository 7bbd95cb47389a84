import { z } from 'zod';
import { InputError } from '../tensor/index.js';
import { BatchNorm2d, Conv2d, Linear, type Arch } from '../space/index.js';
import { CostTally } from './count.js';
import type { BlockModel, Cost, SpaceDefinition, SpaceLatency } from './definition.js';
import type { GraphEmitter } from './emit.js';
import { makeDivisible, stridedSize } from './layers.js';
import { MBConvBlock } from './mbconv.js';
import { blockKey, ofaBlockModel, type BlockSpec } from './ofa_latency.js';
import { parseSpaceOptions, positiveInts, singleResolution } from './options.js';
import {
  PROXYLESS_STAGES,
  ProxylessNetwork,
  proxylessFinalSize,
  proxylessLayers,
  proxylessWidths,
  ZERO_OP,
  type ProxylessLayer,
  type ResolvedProxylessOptions,
} from './proxyless.js';

const proxylessOptionsSchema = z
  .object({
    widthMult: z.number().positive(),
    stageLayers: z.array(z.number().int().positive()).length(PROXYLESS_STAGES.length, `expected ${PROXYLESS_STAGES.length} stages' layer counts`),
    stemStride: z.number().int().min(1).max(2),
    inputChannels: z.number().int().positive(),
    numClasses: z.number().int().positive(),
    resolution: z.number().int().positive(),
    kernelSizes: positiveInts.refine((ks) => ks.every((k) => k % 2 === 1), 'expected odd kernel sizes'),
    expandRatios: z.array(z.number().positive()).min(1),
  })
  .partial()
  .strict();

const opOf = (arch: Arch, layer: ProxylessLayer) => layer.ops.find((op) => op.name === arch.choices[layer.key]);

/** An inverted-residual block's convs (expand unless e is 1, depthwise, project), each with BN. */
function countMBConv(t: CostTally, cin: number, cout: number, k: number, e: number, size: number, stride: number): void {
  const mid = makeDivisible(Math.round(cin * e));
  const out = stridedSize(size, stride);
  if (e !== 1) t.conv(cin, mid, 1, size);
  t.conv(mid, mid, k, out, { groups: mid });
  t.conv(mid, cout, 1, out);
}

/** MACs and parameters of a ProxylessNAS subnet (a skipped layer costs nothing). */
export function countProxylessCost(arch: Arch, o: ResolvedProxylessOptions): Cost {
  const w = proxylessWidths(o.widthMult);
  const t = new CostTally();
  const size = stridedSize(o.resolution, o.stemStride);
  t.conv(o.inputChannels, w.stem, 3, size);
  countMBConv(t, w.stem, w.firstBlock, 3, 1, size, 1);
  for (const layer of proxylessLayers(o)) {
    const op = opOf(arch, layer);
    if (!op) throw new InputError(`arch: field 'choices.${layer.key}': expected one of ${layer.ops.map((x) => x.name).join(', ')}`);
    if (op.name !== ZERO_OP) countMBConv(t, layer.cin, layer.cout, op.k, op.e, layer.size, layer.stride);
  }
  t.conv(w.stages[w.stages.length - 1], w.featureMix, 1, proxylessFinalSize(o));
  t.linear(w.featureMix, o.numClasses);
  return t.cost;
}

const mbSpec = (size: number, cin: number, cout: number, k: number, e: number, stride: number): BlockSpec => ({
  kind: 'mbconv',
  size,
  cin,
  cout,
  k,
  e,
  mid: makeDivisible(Math.round(cin * e)),
  stride,
  se: false,
  act: 'relu',
});

/** Stem (conv, BN, ReLU, then the fixed first block) and head (feature mix, pooling, classifier) as timed blocks. */
function fixedBlocks(o: ResolvedProxylessOptions): { key: string; build: () => BlockModel }[] {
  const w = proxylessWidths(o.widthMult);
  const size = stridedSize(o.resolution, o.stemStride);
  const final = proxylessFinalSize(o);
  const last = w.stages[w.stages.length - 1];
  return [
    {
      key: `proxyless:stem:in${o.resolution}x${o.resolution}x${o.inputChannels}:out${w.stem}:s${o.stemStride}:first${w.firstBlock}`,
      build: () => {
        const conv = new Conv2d(o.inputChannels, w.stem, 3, { stride: o.stemStride });
        const bn = new BatchNorm2d(w.stem);
        const first = new MBConvBlock(w.stem, w.firstBlock, { kernel: 3, expand: 1 });
        const emit = (e: GraphEmitter, x: string) => first.emit(e, e.activation(e.conv(x, conv, bn, 'stem'), 'relu'), 'first_block');
        return { module: { emit }, input: [1, o.inputChannels, o.resolution, o.resolution], output: [1, w.firstBlock, size, size], dispose: () => [conv, bn, first].forEach((m) => m.dispose()) };
      },
    },
    {
      key: `proxyless:head:in${final}x${final}x${last}:mix${w.featureMix}:classes${o.numClasses}`,
      build: () => {
        const mix = new Conv2d(last, w.featureMix, 1);
        const bn = new BatchNorm2d(w.featureMix);
        const fc = new Linear(w.featureMix, o.numClasses);
        const emit = (e: GraphEmitter, x: string) => e.linear(e.node('GlobalAveragePool', [e.activation(e.conv(x, mix, bn, 'feature_mix'), 'relu')]), fc, 'classifier');
        return { module: { emit }, input: [1, last, final, final], output: [1, o.numClasses], dispose: () => [mix, bn, fc].forEach((m) => m.dispose()) };
      },
    },
  ];
}

/** Each layer's candidates as MBConv blocks (`zero`: nothing to time). */
function layerSpecs(layer: ProxylessLayer): (BlockSpec | undefined)[] {
  return layer.ops.map((op) => (op.name === ZERO_OP ? undefined : mbSpec(layer.size, layer.cin, layer.cout, op.k, op.e, layer.stride)));
}

/** ProxylessNAS's latency: stem, head, and one block per layer whose ms depends only on its own operation. */
function proxylessLatency(o: ResolvedProxylessOptions): SpaceLatency {
  const layers = proxylessLayers(o);
  const fixed = fixedBlocks(o);
  const costs = (lookup: (key: string) => number) => layers.map((layer) => layerSpecs(layer).map((spec) => (spec ? lookup(blockKey(spec)) : 0)));
  return {
    blockGroups: () => {
      const seen = new Set<string>(fixed.map((b) => b.key));
      const blocks = layers.flatMap((layer) =>
        layerSpecs(layer).flatMap((spec) => (spec && !seen.has(blockKey(spec)) && seen.add(blockKey(spec)) ? [{ key: blockKey(spec), build: () => ofaBlockModel(spec) }] : [])),
      );
      return [{ group: `r${o.resolution}`, blocks: [...fixed, ...blocks] }];
    },
    candidateCosts: (lookup) => Object.fromEntries(costs(lookup).map((ms, i) => [layers[i].key, ms])),
    compile: (lookup) => {
      const base = fixed.reduce((n, b) => n + lookup(b.key), 0);
      const table = costs(lookup);
      const index = layers.map((layer) => new Map(layer.ops.map((op, i) => [op.name, i])));
      return (arch, counted) => {
        let sum = base;
        let blocks = fixed.length;
        for (let i = 0; i < layers.length; i++) {
          const op = index[i].get(arch.choices[layers[i].key] as string);
          if (op === undefined) throw new InputError(`arch: field 'choices.${layers[i].key}': expected one of ${layers[i].ops.map((x) => x.name).join(', ')}`);
          sum += table[i][op];
          if (layers[i].ops[op].name !== ZERO_OP) blocks++;
        }
        if (counted) counted.blocks = blocks;
        return sum;
      };
    },
  };
}

export const PROXYLESS_SPACE: SpaceDefinition<ProxylessNetwork> = {
  ...singleResolution((options) => new ProxylessNetwork(options)),
  id: 'proxyless',
  description:
    'ProxylessNAS (mobile backbone): 21 layers in 6 stages, each MBConv kernel {3,5,7} x expand {3,6} with its own weights, or zero (skipped) for all but the first layer of a stage',
  create: (options, source = 'options') => new ProxylessNetwork(parseSpaceOptions(proxylessOptionsSchema, options, source)),
  optionsFor: (d) => ({ inputChannels: d.channels, numClasses: d.classes, resolution: d.size, ...(d.size <= 64 ? { stemStride: 1 } : {}) }),
  archForm: (m, arch) => ({ layers: proxylessLayers(m.options).map((l) => arch.choices[l.key] as string).join(' ') }),
  cost: (m, arch) => countProxylessCost(arch, m.options),
  latency: (m) => proxylessLatency(m.options),
};
