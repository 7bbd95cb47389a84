import { InputError } from '../tensor/index.js';
import type { AnyModule } from '../space/index.js';
import { MBConvStack } from './mbconv_stack.js';
import { OFAMobileNetV3 } from './ofa_mbv3.js';

export interface SpaceEntry {
  id: string;
  description: string;
  create(): AnyModule;
}

const entries: SpaceEntry[] = [
  {
    id: 'ofa-mbv3',
    description:
      "OFA MobileNetV3 (Once-for-All, ImageNet configuration): 20 blocks, kernel {3,5,7}, expand {3,4,6}, depth {2,3,4} per stage, resolution 128..224",
    create: () => new OFAMobileNetV3(),
  },
  {
    id: 'mbconv-stack',
    description:
      'small MobileNet-style space for 32x32 RGB images: 6 inverted-residual blocks, kernel {3,5,7} and expand ratio {3,4,6} per block',
    create: () => new MBConvStack(),
  },
];

export const SPACES: ReadonlyMap<string, SpaceEntry> = new Map(entries.map((e) => [e.id, e]));

export const DEFAULT_SPACE = 'ofa-mbv3';

export function getSpace(id: string): SpaceEntry {
  const entry = SPACES.get(id);
  if (!entry) throw new InputError(`--space: unknown space '${id}', expected one of ${[...SPACES.keys()].join(', ')}`);
  return entry;
}
