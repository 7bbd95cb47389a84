import type { SpaceLatency } from '../../networks/index.js';

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
