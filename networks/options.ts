import { z } from 'zod';
import { zodInputError } from '../tensor/index.js';
import type { AnyModule, Arch, MaskDict } from '../space/index.js';
import { fixedSubnet } from './subnet.js';

export const positiveInts = z.array(z.number().int().positive()).min(1);

/** A space's options validated by its schema; errors name `source` and the field under `options`. */
export function parseSpaceOptions<T>(schema: z.ZodType<T>, options: unknown, source: string): T {
  const r = schema.safeParse(options ?? {});
  if (!r.success) throw zodInputError(source, r.error.issues.map((i) => ({ ...i, path: ['options', ...i.path] })));
  return r.data;
}

/** A network's options over its defaults: unset fields (and the mask, which fixes decisions, not the configuration) left out. */
export function withDefaults<R extends object>(defaults: R, options: object): R {
  const { mask: _mask, ...rest } = options as { mask?: unknown };
  return { ...defaults, ...Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) };
}

interface SingleResolutionOptions {
  resolution: number;
  inputChannels: number;
  numClasses: number;
}

/**
 * The parts of a space definition shared by spaces with one input resolution in their options
 * (nb201, darts, proxyless, resnet): the configuration a table records, the same network at
 * another resolution, its input and output, and the static subnet built from an arch's masks.
 */
export function singleResolution<O extends SingleResolutionOptions, M extends AnyModule & { options: O }>(make: (options: O & { mask?: MaskDict }) => M) {
  return {
    config: (m: M) => {
      const { resolution, ...options } = m.options;
      return { options, resolutions: [resolution] };
    },
    withResolutions: (m: M, resolutions: number[]) => make({ ...m.options, resolution: resolutions[0] }),
    subnet: (supernet: M, arch: Arch) => fixedSubnet(supernet, arch, (mask) => make({ ...supernet.options, mask })),
    io: (m: M) => ({ channels: m.options.inputChannels, resolution: m.options.resolution, classes: m.options.numClasses }),
  };
}
