import { z } from 'zod';
import type { Arch } from '../space/index.js';
import type { Cost, SpaceDefinition } from './definition.js';
import { makeDivisible } from './layers.js';
import { parseSpaceOptions, positiveInts } from './options.js';
import { blockKey, ratioChannels, RESNET_STAGES, ResNetNetwork, resnetStem, stageKey, type ResolvedResNetOptions } from './resnet.js';
import { fixedSubnet } from './subnet.js';

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

const convOut = (size: number, stride: number) => Math.floor((size - 1) / stride) + 1;

/** MACs and parameters of a ResNet subnet, counted as OFA's counters do (conv MACs per output element; conv, BN and linear parameters). */
export function countResNetCost(arch: Arch, o: ResolvedResNetOptions): Cost {
  const cost = { macs: 0, params: 0 };
  const conv = (cin: number, cout: number, k: number, out: number) => {
    cost.macs += cin * cout * k * k * out * out;
    cost.params += cin * cout * k * k + 2 * cout;
  };
  let size = convOut(o.resolution, o.stemStride);
  let cin = resnetStem(o);
  conv(o.inputChannels, cin, 3, size);
  let block = 0;
  RESNET_STAGES.forEach((stage, s) => {
    const base = makeDivisible(stage.width * o.widthMult);
    const cout = ratioChannels(base, arch.choices[stageKey(s)] as number);
    for (let j = 0; j < o.blocks[s]; j++) {
      const stride = j === 0 ? stage.stride : 1;
      const mid = ratioChannels(base, arch.choices[blockKey(block++)] as number);
      size = convOut(size, stride);
      conv(cin, mid, 3, size);
      conv(mid, cout, 3, size);
      if (j === 0) conv(cin, cout, 1, size);
      cin = cout;
    }
  });
  cost.macs += cin * o.numClasses;
  cost.params += cin * o.numClasses + o.numClasses;
  return cost;
}

export const RESNET_SPACE: SpaceDefinition<ResNetNetwork> = {
  id: 'resnet',
  description:
    "Fine-grained ResNet (Hyperbox's): ResNet-18's basic blocks (CIFAR-style stem), each stage's output width and each block's middle width a ratio {0.25, 0.5, 0.75, 1} of its base width",
  create: (options, source = 'options') => new ResNetNetwork(parseSpaceOptions(resnetOptionsSchema, options, source)),
  optionsFor: (d) => ({ inputChannels: d.channels, numClasses: d.classes, resolution: d.size }),
  config: (m) => {
    const { resolution, ...options } = m.options;
    return { options, resolutions: [resolution] };
  },
  withResolutions: (m, resolutions) => new ResNetNetwork({ ...m.options, resolution: resolutions[0] }),
  cost: (m, arch) => countResNetCost(arch, m.options),
  subnet: (supernet, arch) => fixedSubnet(supernet, arch, (mask) => new ResNetNetwork({ ...supernet.options, mask })),
  io: (m) => ({ channels: m.options.inputChannels, resolution: m.options.resolution, classes: m.options.numClasses }),
};
