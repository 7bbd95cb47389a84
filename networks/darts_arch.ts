import { InputError } from '../tensor/index.js';
import type { Arch, Choice } from '../space/index.js';
import { DARTS_NODES, DARTS_OPS, edgeKey, switchKey, type CellType, type DartsOp } from './darts.js';

export const DARTS_SPACE_ID = 'darts';
const TYPES: CellType[] = ['normal', 'reduce'];

/** DARTS' genotype: per cell type, two (operation, input) pairs per node, nodes in order. */
export interface DartsGenotype {
  normal: [DartsOp, number][];
  reduce: [DartsOp, number][];
}

/** Whether `json` is a genotype (`{ normal, reduce }` lists, or DARTS' printed `Genotype(...)`). */
export function isDartsGenotype(json: unknown): boolean {
  if (typeof json === 'string') return /^\s*Genotype\s*\(/.test(json);
  return typeof json === 'object' && json != null && !Array.isArray(json) && 'normal' in json && 'reduce' in json && !('choices' in json);
}

/** DARTS' printed form, `Genotype(normal=[('sep_conv_3x3', 0), ...], normal_concat=..., reduce=[...], reduce_concat=...)`. */
function fromPython(text: string, source: string): unknown {
  const list = (name: string) => {
    const m = new RegExp(`\\b${name}\\s*=\\s*\\[([^\\]]*)\\]`).exec(text);
    if (!m) throw new InputError(`${source}: field '${name}': expected a list of (operation, input) pairs in DARTS' Genotype form`);
    return [...m[1].matchAll(/\(\s*['"]([^'"]+)['"]\s*,\s*(-?\d+)\s*\)/g)].map((t) => [t[1], Number(t[2])]);
  };
  return { normal: list('normal'), reduce: list('reduce') };
}

/** The arch of a genotype; an unknown operation, a missing pair or a node taking one input twice is an InputError naming the field. */
export function genotypeToArch(json: unknown, source: string): Arch {
  const g = typeof json === 'string' ? fromPython(json, source) : json;
  const choices: Record<string, Choice> = {};
  for (const type of TYPES) {
    const pairs = (g as Record<string, unknown>)[type];
    if (!Array.isArray(pairs) || pairs.length !== 2 * DARTS_NODES) {
      throw new InputError(`${source}: field '${type}': expected ${2 * DARTS_NODES} (operation, input) pairs, two per node, got ${Array.isArray(pairs) ? pairs.length : JSON.stringify(pairs)}`);
    }
    for (let j = 0; j < DARTS_NODES; j++) {
      const node = j + 2;
      const picked = [0, 1].map((k) => {
        const index = 2 * j + k;
        const pair = pairs[index] as unknown;
        const field = `${type}[${index}]`;
        if (!Array.isArray(pair) || pair.length !== 2) throw new InputError(`${source}: field '${field}': expected [operation, input], got ${JSON.stringify(pair)}`);
        const [op, input] = pair as [unknown, unknown];
        if (!DARTS_OPS.includes(op as DartsOp)) throw new InputError(`${source}: field '${field}': unknown operation ${JSON.stringify(op)}; expected one of ${DARTS_OPS.join(', ')}`);
        if (!Number.isInteger(input) || (input as number) < 0 || (input as number) >= node) {
          throw new InputError(`${source}: field '${field}': node ${node} takes inputs 0..${node - 1} (the two cell inputs, then earlier nodes), got ${JSON.stringify(input)}`);
        }
        return { op: op as DartsOp, input: input as number, field };
      });
      if (picked[0].input === picked[1].input) throw new InputError(`${source}: field '${picked[1].field}': node ${node} takes input ${picked[0].input} twice; DARTS nodes sum two different inputs`);
      choices[switchKey(type, node)] = picked.map((p) => p.input).sort((a, b) => a - b);
      for (let i = 0; i < node; i++) choices[edgeKey(type, node, i)] = picked.find((p) => p.input === i)?.op ?? 'none';
    }
  }
  return { space: DARTS_SPACE_ID, choices };
}

/** The genotype of an arch (pairs in input order). */
export function archToGenotype(arch: Arch): DartsGenotype {
  const cell = (type: CellType) =>
    Array.from({ length: DARTS_NODES }, (_, j) => j + 2).flatMap((node) => (arch.choices[switchKey(type, node)] as number[]).map((i): [DartsOp, number] => [arch.choices[edgeKey(type, node, i)] as DartsOp, i]));
  return { normal: cell('normal'), reduce: cell('reduce') };
}

/** DARTS' printed form of an arch's genotype. */
export function formatGenotype(arch: Arch): string {
  const g = archToGenotype(arch);
  const pairs = (ps: [DartsOp, number][]) => `[${ps.map(([op, i]) => `('${op}', ${i})`).join(', ')}]`;
  return `Genotype(normal=${pairs(g.normal)}, normal_concat=range(2, 6), reduce=${pairs(g.reduce)}, reduce_concat=range(2, 6))`;
}

/** Edge operations whose input the node's switch does not take: they have no effect. */
export function dartsInactiveKeys(choiceOf: (key: string) => Choice): string[] {
  const inactive: string[] = [];
  for (const type of TYPES) {
    for (let node = 2; node < 2 + DARTS_NODES; node++) {
      const taken = choiceOf(switchKey(type, node)) as number[];
      for (let i = 0; i < node; i++) if (!taken.includes(i)) inactive.push(edgeKey(type, node, i));
    }
  }
  return inactive;
}

/** The arch with the edges its switches do not take set to `none` (the same network; its subnet then holds no unused operation). */
export function canonicalDartsArch(arch: Arch): Arch {
  const choices = { ...arch.choices };
  for (const key of dartsInactiveKeys((k) => arch.choices[k])) choices[key] = 'none';
  return { space: arch.space, choices };
}
