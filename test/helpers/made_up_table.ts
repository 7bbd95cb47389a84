import type { SpaceLatency } from '../../networks/index.js';
import type { LatencySpace, LatencyTable } from '../../index.js';

/**
 * A made-up device table over a space's listed blocks: each block's ms derived from its key
 * (so a wrong key gives a wrong sum), and a lookup that throws for a block the space does not
 * list (so the compiled sum reads only blocks a profile would time).
 */
export function madeUpTable(latency: SpaceLatency, resolutions: number[]): { listed: Set<string>; lookup: (key: string) => number } {
  const listed = new Set(latency.blockGroups(resolutions).flatMap((g) => g.blocks.map((b) => b.key)));
  const lookup = (key: string) => {
    if (!listed.has(key)) throw new Error(`unlisted block ${key}`);
    return ([...key].reduce((h, c) => (h * 31 + c.charCodeAt(0)) % 1000, 7) + 1) / 1000;
  };
  return { listed, lookup };
}

/** A device table for tests over a space's configuration, with the given entries and a made-up runtime and host. */
export function testTable(space: LatencySpace, resolutions: number[], entries: LatencyTable['entries']): LatencyTable {
  return {
    device: 'test',
    space: space.space,
    spaceOptions: space.spaceOptions as Record<string, unknown>,
    resolutions,
    runtime: { name: 'onnxruntime-node', version: 'x', provider: 'cpu', threads: 1, interOpThreads: 1, graphOptimizationLevel: 'all' },
    host: {},
    createdAt: '',
    entries,
  };
}
