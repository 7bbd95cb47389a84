import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { InputError, readInputFile, zodInputError } from '../tensor/index.js';
import type { Choice, MaskDict } from './mutable.js';

/** What files hold: the chosen candidate per key of a named space. */
export interface Arch {
  space: string;
  choices: Record<string, Choice>;
}

const choiceSchema = z.union([
  z.number(),
  z.string(),
  z.boolean(),
  z.array(z.number().int().nonnegative()),
  z.object({ weights: z.array(z.number().nonnegative()) }).strict(),
]);

export const archSchema = z
  .object({
    space: z.string().min(1),
    choices: z.record(z.string(), choiceSchema),
  })
  .strict();

export const maskDictSchema = z.record(z.string(), z.array(z.union([z.number().nonnegative(), z.boolean()])).min(1));

/** A parsed arch file: generic choices, or a Hyperbox one-hot mask dict. */
export type ArchSpec = { form: 'choices'; arch: Arch } | { form: 'masks'; masks: MaskDict };

/**
 * Validates an arch object. `source` names the file in errors. Objects with a `choices`
 * field must be the generic form; otherwise every field must be a mask list.
 */
export function parseArch(json: unknown, source = 'arch'): ArchSpec {
  if (typeof json !== 'object' || json == null || Array.isArray(json)) {
    throw new InputError(`${source}: expected a JSON object ({ "space", "choices" } or a mask dict)`);
  }
  if ('choices' in json || 'space' in json) {
    const r = archSchema.safeParse(json);
    if (!r.success) throw zodInputError(source, r.error.issues);
    return { form: 'choices', arch: r.data };
  }
  const r = maskDictSchema.safeParse(json);
  if (!r.success) {
    throw zodInputError(source, r.error.issues.map((i) => ({ ...i, message: `${i.message} (expected a mask list)` })));
  }
  return { form: 'masks', masks: r.data };
}

/** Reads and parses a JSON file; a missing file or bad JSON is an InputError naming it. */
export function readJsonFile(path: string): unknown {
  const text = readInputFile(path).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new InputError(`${path}: not valid JSON (${(err as Error).message.replace(/\s+/g, ' ')})`);
  }
}

/**
 * Runs `check`; an InputError it throws that does not name `source` yet is thrown again with
 * `source: ` in front (a mask or choice error found while applying an arch read from a file).
 */
export function underSource<T>(source: string, check: () => T): T {
  try {
    return check();
  } catch (err) {
    if (err instanceof InputError && !err.message.startsWith(source)) throw new InputError(`${source}: ${err.message}`);
    throw err;
  }
}

export function readArchFile(path: string): ArchSpec {
  return parseArch(readJsonFile(path), path);
}

/** Writes via a temporary file and a rename, so readers never see half a file. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

export function writeArchFile(path: string, arch: Arch): void {
  writeFileAtomic(path, `${JSON.stringify(arch, null, 2)}\n`);
}
