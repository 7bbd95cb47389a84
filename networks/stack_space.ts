import { z } from 'zod';
import { RandomMutator } from '../space/index.js';
import { countEmitted } from './count.js';
import type { SpaceDefinition } from './definition.js';
import { MBConvStack } from './mbconv_stack.js';
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
  // Exported with its active sizes: the supernet under the arch is the subnet.
  subnet: (supernet, arch) => (new RandomMutator(supernet).sampleByMask(arch), supernet),
  io: (m) => ({ channels: m.options.inputChannels ?? 3, classes: m.options.numClasses ?? 10 }),
};
