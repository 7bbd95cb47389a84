import { InputError } from '../tensor/index.js';
import { buildSubnet, OFAMobileNetV3, blocksPerStageOf, OFA_STAGES, type ResolvedOFAOptions } from '../networks/index.js';
import type { AnyModule, Arch } from '../space/index.js';
import { blockKey, blockOnnx, ofaBlocks, ofaSpaceBlocks, type BlockSpec } from './ofa_blocks.js';
import type { TableEntry } from './table.js';

/** What profiling and prediction need from a search space. */
export interface LatencySpace {
  space: string;
  /** The configuration tables record (and are checked against). */
  spaceOptions: object;
  resolutions: number[];
  /** Distinct blocks, grouped (by resolution): a group's sessions are open together while it is timed. */
  blockGroups(resolutions: number[]): { group: string; blocks: { key: string; spec: BlockSpec }[] }[];
  blockOnnx(spec: BlockSpec): Uint8Array;
  /** A fast function from arch to the sum of its block entries (ms); it writes the number of blocks summed into `counted`. */
  compile(entries: Record<string, TableEntry>, resolutions: number[], device: string): (arch: Arch, counted?: { blocks: number }) => number;
  /** A supernet whose archs are drawn from `resolutions`. */
  supernet(resolutions: number[]): AnyModule;
  /** The deployable model of an arch (inherited weights). */
  subnet(supernet: AnyModule, arch: Arch): AnyModule;
}

export function ofaLatencySpace(o: ResolvedOFAOptions): LatencySpace {
  const { resolutions, ...spaceOptions } = o;
  return {
    space: 'ofa-mbv3',
    spaceOptions,
    resolutions,
    blockGroups: (rs) => {
      // Resolutions that round to the same feature-map sizes share their later blocks: each
      // distinct block is listed once, in the group of the first resolution that has it.
      const seen = new Set<string>();
      return rs.map((r) => ({
        group: `r${r}`,
        blocks: ofaSpaceBlocks(o, [r])
          .map((spec) => ({ key: blockKey(spec), spec }))
          .filter((b) => !seen.has(b.key) && seen.add(b.key)),
      }));
    },
    blockOnnx: (spec) => blockOnnx(spec),
    compile: (entries, rs, device) => compileOfa(o, entries, rs, device),
    supernet: (rs) => new OFAMobileNetV3({ ...o, resolutions: rs }),
    subnet: (supernet, arch) => buildSubnet(supernet as OFAMobileNetV3, arch),
  };
}

/**
 * Precomputes, per resolution, the entry of every (stage, first-or-later, k, e) block plus
 * the fixed ones (stem, first block, head), so a prediction is a few dozen array reads.
 */
function compileOfa(o: ResolvedOFAOptions, entries: Record<string, TableEntry>, rs: number[], device: string): (arch: Arch, counted?: { blocks: number }) => number {
  const perStage = blocksPerStageOf(o);
  const full = OFA_STAGES.map(() => perStage);
  const lookup = (spec: BlockSpec) => {
    const key = blockKey(spec);
    const e = entries[key];
    if (!e) throw new InputError(`latency table of '${device}' lacks entry '${key}'; profile again (hbx latency profile --device ${device} --resume)`);
    return e.ms;
  };
  const byResolution = new Map<number, { fixed: number; blocks: Map<string, number>[][] }>();
  for (const r of rs) {
    const blocks = OFA_STAGES.map(() => [new Map<string, number>(), new Map<string, number>()]);
    // Order: stem, first block, perStage blocks of each stage, head. Stem, first block and
    // head do not depend on (k, e).
    const any = ofaBlocks(o, r, () => ({ k: o.kernelSizes[0], e: o.expandRatios[0] }), full);
    const fixed = lookup(any[0]) + lookup(any[1]) + lookup(any[any.length - 1]);
    for (const k of o.kernelSizes)
      for (const e of o.expandRatios) {
        const specs = ofaBlocks(o, r, () => ({ k, e }), full);
        for (let j = 2; j < specs.length - 1; j++) {
          const stage = Math.floor((j - 2) / perStage);
          const first = (j - 2) % perStage === 0;
          blocks[stage][first ? 0 : 1].set(`${k}:${e}`, lookup(specs[j]));
        }
      }
    byResolution.set(r, { fixed, blocks });
  }
  const ksKeys = Array.from({ length: OFA_STAGES.length * perStage }, (_, i) => `ks_block${i + 1}`);
  const erKeys = ksKeys.map((_, i) => `er_block${i + 1}`);
  const depthKeys = OFA_STAGES.map((_, s) => `depth${s + 1}`);
  return (arch, counted) => {
    const c = arch.choices;
    const r = c.resolution as number;
    const at = byResolution.get(r);
    if (!at) throw new InputError(`resolution ${r} is not in the latency table of '${device}' (profiled: ${rs.join(', ')})`);
    let sum = at.fixed;
    let blocks = 3; // stem, first block, head
    for (let s = 0; s < depthKeys.length; s++) {
      const d = c[depthKeys[s]] as number;
      blocks += d;
      for (let i = 0; i < d; i++) {
        const idx = s * perStage + i;
        const ms = at.blocks[s][i === 0 ? 0 : 1].get(`${c[ksKeys[idx]]}:${c[erKeys[idx]]}`);
        if (ms === undefined) throw new InputError(`arch: block ${idx + 1} (k ${c[ksKeys[idx]]}, e ${c[erKeys[idx]]}) is not in the latency table of '${device}'`);
        sum += ms;
      }
    }
    if (counted) counted.blocks = blocks;
    return sum;
  };
}
