import { InputError } from '../tensor/index.js';
import type { Arch } from '../space/index.js';
import { NB201_EDGES, NB201_NODES, NB201_OPS, type NB201Op } from './nb201.js';

export const NB201_SPACE_ID = 'nb201';

/** Whether `json` is an arch in NAS-Bench-201's string form (`|op~0|+|op~0|op~1|+|...|`). */
export function isNB201String(json: unknown): json is string {
  return typeof json === 'string' || (typeof json === 'object' && json != null && typeof (json as { arch?: unknown }).arch === 'string' && Object.keys(json).length === 1);
}

/**
 * Parses NAS-Bench-201's arch string: one `|`-delimited group per node 1..3, groups joined by
 * `+`, each group listing `op~j` for every input node j < i in order. Errors name the field.
 */
export function parseNB201String(text: string, source = 'arch'): Arch {
  const fail = (what: string) => new InputError(`${source}: field 'arch': ${what}; expected NAS-Bench-201's form '|op~0|+|op~0|op~1|+|op~0|op~1|op~2|' with op one of ${NB201_OPS.join(', ')}`);
  const groups = text.trim().split('+');
  if (groups.length !== NB201_NODES - 1) throw fail(`${groups.length} node group(s), not ${NB201_NODES - 1}`);
  const choices: Record<string, NB201Op> = {};
  groups.forEach((group, g) => {
    const to = g + 1;
    if (!group.startsWith('|') || !group.endsWith('|') || group.length < 2) throw fail(`node ${to}: '${group}' is not enclosed in '|'`);
    const edges = group.slice(1, -1).split('|');
    if (edges.length !== to) throw fail(`node ${to} has ${edges.length} edge(s), not ${to}`);
    edges.forEach((edge, from) => {
      const [op, input, ...rest] = edge.split('~');
      if (rest.length > 0 || input === undefined) throw fail(`'${edge}' is not op~input`);
      if (input !== String(from)) throw fail(`node ${to}: edge ${from + 1} comes from node ${input}, not ${from}`);
      if (!(NB201_OPS as readonly string[]).includes(op)) throw fail(`unknown operation '${op}'`);
      choices[`${to}<-${from}`] = op as NB201Op;
    });
  });
  return { space: NB201_SPACE_ID, choices };
}

/** The NAS-Bench-201 string of an arch of the nb201 space. */
export function formatNB201String(arch: Arch): string {
  const groups: string[] = [];
  for (let to = 1; to < NB201_NODES; to++) {
    const edges = NB201_EDGES.filter((e) => e.to === to).map((e) => `${arch.choices[e.key] as string}~${e.from}`);
    groups.push(`|${edges.join('|')}|`);
  }
  return groups.join('+');
}
