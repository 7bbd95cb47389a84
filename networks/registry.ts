import { z } from 'zod';
import { InputError, zodInputError } from '../tensor/index.js';
import type { AnyModule } from '../space/index.js';
import { MBConvStack } from './mbconv_stack.js';
import { OFAMobileNetV3 } from './ofa_mbv3.js';

const positiveInts = z.array(z.number().int().positive()).min(1);

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

function parseOptions<T>(schema: z.ZodType<T>, options: unknown, source: string): T {
  const r = schema.safeParse(options ?? {});
  if (!r.success) throw zodInputError(source, r.error.issues.map((i) => ({ ...i, path: ['options', ...i.path] })));
  return r.data;
}

export interface SpaceEntry {
  id: string;
  description: string;
  /** Builds the supernet; `options` (validated, errors citing `source`) override the defaults. */
  create(options?: unknown, source?: string): AnyModule;
}

const entries: SpaceEntry[] = [
  {
    id: 'ofa-mbv3',
    description:
      "OFA MobileNetV3 (Once-for-All, ImageNet configuration): 20 blocks, kernel {3,5,7}, expand {3,4,6}, depth {2,3,4} per stage, resolution 128..224",
    create: (options, source = 'options') => new OFAMobileNetV3(parseOptions(ofaOptionsSchema, options, source)),
  },
  {
    id: 'mbconv-stack',
    description:
      'small MobileNet-style space for 32x32 RGB images: 6 inverted-residual blocks, kernel {3,5,7} and expand ratio {3,4,6} per block',
    create: (options, source = 'options') => new MBConvStack(parseOptions(stackOptionsSchema, options, source)),
  },
];

export const SPACES: ReadonlyMap<string, SpaceEntry> = new Map(entries.map((e) => [e.id, e]));

export const DEFAULT_SPACE = 'ofa-mbv3';

export function getSpace(id: string): SpaceEntry {
  const entry = SPACES.get(id);
  if (!entry) throw new InputError(`--space: unknown space '${id}', expected one of ${[...SPACES.keys()].join(', ')}`);
  return entry;
}
