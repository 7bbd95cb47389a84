import { z } from 'zod';
import { zodInputError } from '../tensor/index.js';

export const positiveInts = z.array(z.number().int().positive()).min(1);

/** A space's options validated by its schema; errors name `source` and the field under `options`. */
export function parseSpaceOptions<T>(schema: z.ZodType<T>, options: unknown, source: string): T {
  const r = schema.safeParse(options ?? {});
  if (!r.success) throw zodInputError(source, r.error.issues.map((i) => ({ ...i, path: ['options', ...i.path] })));
  return r.data;
}
