import { z } from 'zod';
import { InputError, zodInputError } from '../tensor/index.js';
import type { Arch } from '../space/index.js';
import { blocksPerStage, OFA_STAGES, type ResolvedOFAOptions } from './ofa_mbv3.js';

/** OFA's own arch form: a kernel size and expand ratio per block, a depth per stage, a resolution. */
export interface OFAArch {
  ks: number[];
  e: number[];
  d: number[];
  r: number;
}

export const ofaArchSchema = z
  .object({
    ks: z.array(z.number().int()),
    e: z.array(z.number()),
    d: z.array(z.number().int()),
    r: z.union([z.number().int(), z.array(z.number().int()).length(1).transform((xs) => xs[0])]),
  })
  .strict();

export function isOFAForm(json: unknown): boolean {
  return typeof json === 'object' && json != null && 'ks' in json && 'e' in json && 'd' in json;
}

/** Validates an OFA-form arch against the space's candidates; errors name the field. */
export function parseOFAArch(json: unknown, o: ResolvedOFAOptions, source = 'arch'): OFAArch {
  const r = ofaArchSchema.safeParse(json);
  if (!r.success) throw zodInputError(source, r.error.issues);
  const arch = r.data;
  const nBlocks = OFA_STAGES.length * blocksPerStage(o);
  const checks: [keyof OFAArch, number[], number, number[]][] = [
    ['ks', arch.ks, nBlocks, o.kernelSizes],
    ['e', arch.e, nBlocks, o.expandRatios],
    ['d', arch.d, OFA_STAGES.length, o.depths],
  ];
  for (const [field, values, length, allowed] of checks) {
    if (values.length !== length) {
      throw new InputError(`${source}: field '${field}': expected ${length} entries, got ${values.length}`);
    }
    const bad = values.findIndex((v) => !allowed.includes(v));
    if (bad >= 0) throw new InputError(`${source}: field '${field}[${bad}]': ${values[bad]} is not one of ${allowed.join(', ')}`);
  }
  if (!o.resolutions.includes(arch.r)) {
    throw new InputError(`${source}: field 'r': ${arch.r} is not a resolution of the space (${o.resolutions[0]}..${o.resolutions.at(-1)}: ${o.resolutions.join(', ')})`);
  }
  return arch;
}

export function ofaToArch(a: OFAArch): Arch {
  const choices: Arch['choices'] = { resolution: a.r };
  a.d.forEach((d, s) => (choices[`depth${s + 1}`] = d));
  a.ks.forEach((k, i) => (choices[`ks_block${i + 1}`] = k));
  a.e.forEach((e, i) => (choices[`er_block${i + 1}`] = e));
  return { space: 'ofa-mbv3', choices };
}

export function archToOfa(arch: Arch, o: ResolvedOFAOptions): OFAArch {
  const n = OFA_STAGES.length * blocksPerStage(o);
  const get = (key: string) => {
    const v = arch.choices[key];
    if (typeof v !== 'number') throw new InputError(`arch: choice '${key}' must be a number, got ${JSON.stringify(v)}`);
    return v;
  };
  return {
    ks: Array.from({ length: n }, (_, i) => get(`ks_block${i + 1}`)),
    e: Array.from({ length: n }, (_, i) => get(`er_block${i + 1}`)),
    d: OFA_STAGES.map((_, s) => get(`depth${s + 1}`)),
    r: get('resolution'),
  };
}

/** Block keys (kernel, expand ratio) of the blocks an arch's stage depths skip: they do not change the subnet. */
export function ofaSkippedKeys(choiceOf: (key: string) => Arch['choices'][string], o: ResolvedOFAOptions): string[] {
  const perStage = blocksPerStage(o);
  const skipped: string[] = [];
  for (let s = 0; s < OFA_STAGES.length; s++) {
    const depth = choiceOf(DEPTH_KEYS[s]) as number;
    for (let j = depth; j < perStage; j++) skipped.push(...blockKeys(s * perStage + j));
  }
  return skipped;
}

const DEPTH_KEYS = OFA_STAGES.map((_, s) => `depth${s + 1}`);
const BLOCK_KEYS: string[][] = [];
const blockKeys = (i: number) => (BLOCK_KEYS[i] ??= [`ks_block${i + 1}`, `er_block${i + 1}`]);
