import { z } from 'zod';
import { Conv2d, BatchNorm2d, RandomMutator } from '../space/index.js';
import { InputError } from '../tensor/index.js';
import { poolClassifierBlock } from './blocks.js';
import { countEmitted } from './count.js';
import type { BlockModel, SpaceDefinition, SpaceLatency } from './definition.js';
import { makeDivisible, stridedSize, type Activation } from './layers.js';
import { DEFAULT_STACK_BLOCKS, MBConvStack, type MBConvStackOptions } from './mbconv_stack.js';
import { blockKey, ofaBlockModel, type BlockSpec } from './ofa_latency.js';
import { fixedSubnet } from './subnet.js';
import { parseSpaceOptions, positiveInts } from './options.js';

const stackOptionsSchema = z
  .object({
    inputChannels: z.number().int().positive(),
    numClasses: z.number().int().positive(),
    stemChannels: z.number().int().positive(),
    blocks: z.array(
      z.object({ out: z.number().int().positive(), stride: z.number().int().positive(), se: z.boolean().optional(), act: z.enum(['relu', 'hswish', 'none']).optional() }).strict(),
    ),
    kernelSizes: positiveInts,
    expandRatios: z.array(z.number().positive()).min(1),
  })
  .partial()
  .strict();

/** The images the space is meant for; it has no resolution decision. */
const STACK_INPUT_SIZE = 32;


/** mbconv-stack's latency: the stem, each block timed whole at every kernel and expand ratio, the head. */
function stackLatency(o: MBConvStackOptions): SpaceLatency {
  const stem = o.stemChannels ?? 16;
  const inC = o.inputChannels ?? 3;
  const ks = o.kernelSizes ?? [3, 5, 7];
  const er = o.expandRatios ?? [3, 4, 6];
  const slots: { size: number; cin: number; cout: number; stride: number; se: boolean; act: Activation }[] = [];
  let size = STACK_INPUT_SIZE;
  let cin = stem;
  for (const b of o.blocks ?? DEFAULT_STACK_BLOCKS) {
    slots.push({ size, cin, cout: b.out, stride: b.stride, se: b.se ?? false, act: b.act ?? 'relu' });
    size = stridedSize(size, b.stride);
    cin = b.out;
  }
  const spec = (i: number, k: number, e: number): BlockSpec => ({ kind: 'mbconv', ...slots[i], k, e, mid: makeDivisible(Math.round(slots[i].cin * e)) });
  const stemKey = `stack:stem:in${STACK_INPUT_SIZE}x${STACK_INPUT_SIZE}x${inC}:out${stem}`;
  const headKey = `stack:head:in${size}x${size}x${cin}:classes${o.numClasses ?? 10}`;
  const finalSize = size;
  const finalChannels = cin;
  const fixed: { key: string; build: () => BlockModel }[] = [
    {
      key: stemKey,
      build: () => {
        const conv = new Conv2d(inC, stem, 3);
        const bn = new BatchNorm2d(stem);
        return { module: { emit: (e, x) => e.activation(e.conv(x, conv, bn, 'stem'), 'hswish') }, input: [1, inC, STACK_INPUT_SIZE, STACK_INPUT_SIZE], output: [1, stem, STACK_INPUT_SIZE, STACK_INPUT_SIZE], dispose: () => (conv.dispose(), bn.dispose()) };
      },
    },
    { key: headKey, build: () => poolClassifierBlock(finalChannels, finalSize, o.numClasses ?? 10) },
  ];
  return {
    blockGroups: () => {
      const seen = new Set<string>();
      const blocks = slots.flatMap((_, i) => ks.flatMap((k) => er.map((e) => spec(i, k, e)))).filter((b) => !seen.has(blockKey(b)) && seen.add(blockKey(b)));
      return [{ group: `r${STACK_INPUT_SIZE}`, blocks: [...fixed, ...blocks.map((b) => ({ key: blockKey(b), build: () => ofaBlockModel(b) }))] }];
    },
    compile: (lookup) => {
      const base = lookup(stemKey) + lookup(headKey);
      const table = slots.map((_, i) => ks.map((k) => er.map((e) => lookup(blockKey(spec(i, k, e))))));
      return (arch, counted) => {
        let sum = base;
        for (let i = 0; i < slots.length; i++) {
          const ki = ks.indexOf(arch.choices[`ks_block${i + 1}`] as number);
          const ei = er.indexOf(arch.choices[`er_block${i + 1}`] as number);
          if (ki < 0 || ei < 0) throw new InputError(`arch: block ${i + 1} (k ${arch.choices[`ks_block${i + 1}`]}, e ${arch.choices[`er_block${i + 1}`]}) is not in the space`);
          sum += table[i][ki][ei];
        }
        if (counted) counted.blocks = slots.length + 2;
        return sum;
      };
    },
  };
}

export const STACK_SPACE: SpaceDefinition<MBConvStack> = {
  id: 'mbconv-stack',
  description: 'small MobileNet-style space for 32x32 RGB images: 6 inverted-residual blocks, kernel {3,5,7} and expand ratio {3,4,6} per block',
  create: (options, source = 'options') => new MBConvStack(parseSpaceOptions(stackOptionsSchema, options, source)),
  optionsFor: (d) => ({ inputChannels: d.channels, numClasses: d.classes }),
  config: (m) => ({ options: m.options, resolutions: [STACK_INPUT_SIZE] }),
  withResolutions: (m) => new MBConvStack(m.options),
  cost: (m, arch) => {
    new RandomMutator(m).sampleByMask(arch);
    return countEmitted(m, m.options.inputChannels ?? 3, STACK_INPUT_SIZE);
  },
  subnet: (supernet, arch) => fixedSubnet(supernet, arch, (mask) => new MBConvStack({ ...supernet.options, mask })),
  // No resolution decision: exports default to the size the space is meant for.
  io: (m) => ({ channels: m.options.inputChannels ?? 3, resolution: STACK_INPUT_SIZE, classes: m.options.numClasses ?? 10 }),
  latency: (m) => stackLatency(m.options),
};
