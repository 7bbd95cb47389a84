import { z } from 'zod';
import type { SpaceDefinition } from './definition.js';
import { parseSpaceOptions, positiveInts } from './options.js';
import { archToOfa, isOFAForm, ofaSkippedKeys, ofaToArch, parseOFAArch } from './ofa_arch.js';
import { countOFACost } from './ofa_counts.js';
import { ofaLatency } from './ofa_latency.js';
import { OFAMobileNetV3 } from './ofa_mbv3.js';
import { buildSubnet } from './subnet.js';

const ofaOptionsSchema = z
  .object({
    widthMult: z.number().positive(),
    numClasses: z.number().int().positive(),
    inputChannels: z.number().int().positive(),
    stemStride: z.number().int().min(1).max(2),
    kernelSizes: positiveInts,
    expandRatios: z.array(z.number().positive()).min(1),
    depths: positiveInts,
    resolutions: positiveInts,
  })
  .partial()
  .strict();

export const OFA_SPACE: SpaceDefinition<OFAMobileNetV3> = {
  id: 'ofa-mbv3',
  description:
    "OFA MobileNetV3 (Once-for-All, ImageNet configuration): 20 blocks, kernel {3,5,7}, expand {3,4,6}, depth {2,3,4} per stage, resolution 128..224",
  create: (options, source = 'options') => new OFAMobileNetV3(parseSpaceOptions(ofaOptionsSchema, options, source)),
  optionsFor: (d) => ({ inputChannels: d.channels, numClasses: d.classes, resolutions: [d.size] }),
  config: (m) => {
    const { resolutions, ...options } = m.options;
    return { options, resolutions };
  },
  withResolutions: (m, resolutions) => new OFAMobileNetV3({ ...m.options, resolutions }),
  parseArch: (json, m, source) => (isOFAForm(json) ? ofaToArch(parseOFAArch(json, m.options, source)) : undefined),
  archForm: (m, arch) => ({ ...archToOfa(arch, m.options) }),
  inactiveKeys: (m) => (c) => ofaSkippedKeys(c, m.options),
  cost: (m, arch) => countOFACost(arch, m.options),
  subnet: (supernet, arch) => buildSubnet(supernet, arch),
  io: (m) => ({ channels: m.options.inputChannels, resolution: m.resolution.value, classes: m.options.numClasses }),
  latency: (m) => ofaLatency(m.options),
};

/** Defaults of the ofa-mbv3 flags of `hbx train` and `hbx tune`'s train-supernet (`--resolutions`: the images' size). */
export const OFA_TRAIN_FLAGS = { width: 0.5, stemStride: 2 };

/** ofa-mbv3's options from those flags, each defaulted, for images of `size` pixels. */
export function ofaTrainOptions(flags: { width?: number; stemStride?: number; resolutions?: number[] }, size: number): { widthMult: number; stemStride: number; resolutions: number[] } {
  return { widthMult: flags.width ?? OFA_TRAIN_FLAGS.width, stemStride: flags.stemStride ?? OFA_TRAIN_FLAGS.stemStride, resolutions: flags.resolutions ?? [size] };
}
