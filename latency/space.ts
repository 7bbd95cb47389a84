import { InputError } from '../tensor/index.js';
import { perOpLatency, spaceOf, type BlockModel } from '../networks/index.js';
import type { AnyModule, Arch } from '../space/index.js';
import { blockOnnx } from '../export/index.js';
import type { TableEntry } from './table.js';

export interface LatencyBlock {
  key: string;
  build: () => BlockModel;
}

/** What profiling and prediction need from a search space (built from its definition). */
export interface LatencySpace {
  space: string;
  /** The configuration tables record (and are checked against). */
  spaceOptions: object;
  resolutions: number[];
  /** Distinct blocks, grouped (by resolution): a group's sessions are open together while it is timed. */
  blockGroups(resolutions: number[]): { group: string; blocks: LatencyBlock[] }[];
  blockOnnx(block: LatencyBlock): Uint8Array;
  /** A fast function from arch to the sum of its block entries (ms); it writes the number of blocks summed into `counted`. */
  compile(entries: Record<string, TableEntry>, resolutions: number[], device: string): (arch: Arch, counted?: { blocks: number }) => number;
  /** The ms each candidate of each decision adds to the block sum, where the space's latency is additive over decisions. */
  candidateCosts(entries: Record<string, TableEntry>, resolutions: number[], device: string): Record<string, number[]> | undefined;
  /** A supernet whose archs are drawn from `resolutions`. */
  supernet(resolutions: number[]): AnyModule;
  /** The deployable model of an arch (inherited weights). */
  subnet(supernet: AnyModule, arch: Arch): AnyModule;
}

/**
 * The latency view of a supernet: its space's blocks under its configuration, or its
 * operators where the space declares no blocks (or `perOperator` asks for them).
 */
export function latencySpaceOf(model: AnyModule, { perOperator = false } = {}): LatencySpace {
  const def = spaceOf(model);
  const latency = (!perOperator && def.latency?.(model)) || perOpLatency(def, model);
  const { options, resolutions } = def.config(model);
  return {
    space: def.id,
    spaceOptions: options,
    resolutions,
    blockGroups: (rs) => latency.blockGroups(rs),
    blockOnnx: (block) => blockOnnx(block.build),
    compile: (entries, rs, device) => latency.compile(lookupIn(entries, device), rs, `latency table of '${device}'`),
    candidateCosts: (entries, rs, device) => latency.candidateCosts?.(lookupIn(entries, device), rs),
    supernet: (rs) => def.withResolutions(model, rs),
    subnet: (supernet, arch) => def.subnet(supernet, arch),
  };
}

function lookupIn(entries: Record<string, TableEntry>, device: string): (key: string) => number {
  return (key) => {
    const e = entries[key];
    if (!e) throw new InputError(`latency table of '${device}' lacks entry '${key}'; profile again (hbx latency profile --device ${device} --resume)`);
    return e.ms;
  };
}
