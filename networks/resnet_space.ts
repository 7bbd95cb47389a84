import { z } from 'zod';
import type { Arch } from '../space/index.js';
import { BatchNorm2d, Conv2d } from '../space/index.js';
import { poolClassifierBlock } from './blocks.js';
import { CostTally } from './count.js';
import { InputError } from '../tensor/index.js';
import type { BlockModel, Cost, SpaceDefinition, SpaceLatency } from './definition.js';
import type { GraphEmitter } from './emit.js';
import { makeDivisible, stridedSize } from './layers.js';
import { parseSpaceOptions, positiveInts, singleResolution } from './options.js';
import { BasicBlock, blockKey, ratioChannels, RESNET_STAGES, ResNetNetwork, resnetStem, stageKey, type ResolvedResNetOptions } from './resnet.js';

const resnetOptionsSchema = z
  .object({
    widthMult: z.number().positive(),
    blocks: positiveInts.length(RESNET_STAGES.length, `expected ${RESNET_STAGES.length} stages' block counts`),
    ratios: z.array(z.number().positive().max(1)).min(1),
    stemStride: z.number().int().min(1).max(2),
    inputChannels: z.number().int().positive(),
    numClasses: z.number().int().positive(),
    resolution: z.number().int().positive(),
  })
  .partial()
  .strict();


/** MACs and parameters of a ResNet subnet, counted as OFA's counters do (conv MACs per output element; conv, BN and linear parameters). */
export function countResNetCost(arch: Arch, o: ResolvedResNetOptions): Cost {
  const t = new CostTally();
  let size = stridedSize(o.resolution, o.stemStride);
  let cin = resnetStem(o);
  t.conv(o.inputChannels, cin, 3, size);
  let block = 0;
  RESNET_STAGES.forEach((stage, s) => {
    const base = makeDivisible(stage.width * o.widthMult);
    const cout = ratioChannels(base, arch.choices[stageKey(s)] as number);
    for (let j = 0; j < o.blocks[s]; j++) {
      const stride = j === 0 ? stage.stride : 1;
      const mid = ratioChannels(base, arch.choices[blockKey(block++)] as number);
      size = stridedSize(size, stride);
      t.conv(cin, mid, 3, size);
      t.conv(mid, cout, 3, size);
      if (j === 0) t.conv(cin, cout, 1, size);
      cin = cout;
    }
  });
  t.linear(cin, o.numClasses);
  return t.cost;
}

/** One basic block as it runs in a subnet: what its latency depends on. */
interface BlockShape {
  size: number;
  cin: number;
  mid: number;
  cout: number;
  stride: number;
  projection: boolean;
}

const shapeKey = (b: BlockShape) => `resnet:block:in${b.size}x${b.size}x${b.cin}:mid${b.mid}:out${b.cout}:s${b.stride}${b.projection ? ':proj' : ''}`;

/** Where each block of the network sits and the widths it may take. */
function blockSlots(o: ResolvedResNetOptions) {
  const slots: { block: number; stage: number; size: number; stride: number; first: boolean; base: number }[] = [];
  let size = stridedSize(o.resolution, o.stemStride);
  RESNET_STAGES.forEach((stage, s) => {
    const base = makeDivisible(stage.width * o.widthMult);
    for (let j = 0; j < o.blocks[s]; j++) {
      const stride = j === 0 ? stage.stride : 1;
      slots.push({ block: slots.length, stage: s, size, stride, first: j === 0, base });
      size = stridedSize(size, stride);
    }
  });
  return { slots, finalSize: size };
}

/**
 * ResNet's latency as a sum of basic blocks (each timed whole at every width it can take:
 * input, middle and output channels), the stem and the head.
 */
function resnetLatency(o: ResolvedResNetOptions): SpaceLatency {
  const { slots, finalSize } = blockSlots(o);
  const stem = resnetStem(o);
  const widths = (base: number) => [...new Set(o.ratios.map((r) => ratioChannels(base, r)))];
  const stemKey = `resnet:stem:in${o.resolution}x${o.resolution}x${o.inputChannels}:out${stem}:s${o.stemStride}`;
  const headKey = (cin: number) => `resnet:head:in${finalSize}x${finalSize}x${cin}:classes${o.numClasses}`;
  const lastBase = slots[slots.length - 1].base;
  const shapes = (): BlockShape[] =>
    slots.flatMap((slot) => {
      const ins = slot.first ? (slot.stage === 0 ? [stem] : widths(slots[slot.block - 1].base)) : [undefined];
      return ins.flatMap((cin) => widths(slot.base).flatMap((cout) => widths(slot.base).map((mid) => ({ size: slot.size, cin: cin ?? cout, mid, cout, stride: slot.stride, projection: slot.first }))));
    });
  const blocks = (): { key: string; build: () => BlockModel }[] => {
    const seen = new Set<string>();
    const list: { key: string; build: () => BlockModel }[] = [{ key: stemKey, build: () => stemModel(o, stem) }];
    for (const b of shapes()) {
      const key = shapeKey(b);
      if (seen.has(key)) continue;
      seen.add(key);
      list.push({ key, build: () => blockModel(b) });
    }
    for (const cin of widths(lastBase)) list.push({ key: headKey(cin), build: () => poolClassifierBlock(cin, finalSize, o.numClasses) });
    return list;
  };
  return {
    blockGroups: () => [{ group: `r${o.resolution}`, blocks: blocks() }],
    compile: (lookup) => {
      const ms = new Map<string, number>();
      const cached = (key: string) => ms.get(key) ?? (ms.set(key, lookup(key)), ms.get(key)!);
      const fixed = lookup(stemKey);
      return (arch, counted) => {
        let sum = fixed;
        let cin = stem;
        for (const slot of slots) {
          const ratioOf = (key: string) => {
            const r = arch.choices[key] as number;
            if (!o.ratios.includes(r)) throw new InputError(`arch: field 'choices.${key}': expected one of ${o.ratios.join(', ')}`);
            return r;
          };
          const cout = ratioChannels(slot.base, ratioOf(stageKey(slot.stage)));
          const mid = ratioChannels(slot.base, ratioOf(blockKey(slot.block)));
          sum += cached(shapeKey({ size: slot.size, cin, mid, cout, stride: slot.stride, projection: slot.first }));
          cin = cout;
        }
        if (counted) counted.blocks = slots.length + 2;
        return sum + cached(headKey(cin));
      };
    },
  };
}

function stemModel(o: ResolvedResNetOptions, stem: number): BlockModel {
  const conv = new Conv2d(o.inputChannels, stem, 3, { stride: o.stemStride });
  const bn = new BatchNorm2d(stem);
  const out = stridedSize(o.resolution, o.stemStride);
  return { module: { emit: (e: GraphEmitter, x: string) => e.activation(e.conv(x, conv, bn, 'stem'), 'relu') }, input: [1, o.inputChannels, o.resolution, o.resolution], output: [1, stem, out, out], dispose: () => (conv.dispose(), bn.dispose()) };
}

function blockModel(b: BlockShape): BlockModel {
  const block = new BasicBlock(b.cin, b.mid, b.cout, b.stride, b.projection);
  const out = stridedSize(b.size, b.stride);
  return { module: { emit: (e: GraphEmitter, x: string) => block.emit(e, x, 'block') }, input: [1, b.cin, b.size, b.size], output: [1, b.cout, out, out], dispose: () => block.dispose() };
}

export const RESNET_SPACE: SpaceDefinition<ResNetNetwork> = {
  ...singleResolution((options) => new ResNetNetwork(options)),
  id: 'resnet',
  description:
    "Fine-grained ResNet (Hyperbox's): ResNet-18's basic blocks (CIFAR-style stem), each stage's output width and each block's middle width a ratio {0.25, 0.5, 0.75, 1} of its base width",
  create: (options, source = 'options') => new ResNetNetwork(parseSpaceOptions(resnetOptionsSchema, options, source)),
  optionsFor: (d) => ({ inputChannels: d.channels, numClasses: d.classes, resolution: d.size }),
  cost: (m, arch) => countResNetCost(arch, m.options),
  latency: (m) => resnetLatency(m.options),
};
