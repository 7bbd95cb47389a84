import { describe, expect, it } from 'vitest';
import { RandomMutator, SPACES } from '../../index.js';
import { madeUpTable } from '../helpers/made_up_table.js';
import { useWasm } from '../helpers/setup.js';

useWasm();

/** Small configurations of every built-in space (the structure is each space's own). */
const SMALL: Record<string, object> = {
  'ofa-mbv3': { widthMult: 0.25, inputChannels: 1, resolutions: [24, 28] },
  'mbconv-stack': { inputChannels: 1, stemChannels: 8, blocks: [{ out: 8, stride: 2 }, { out: 8, stride: 1 }, { out: 16, stride: 2, se: true }] },
  nb201: { channels: 4, cellsPerStage: 1, inputChannels: 1, resolution: 16 },
  darts: { channels: 4, layers: 5, inputChannels: 1, resolution: 12 },
  proxyless: { widthMult: 0.25, stageLayers: [1, 2, 1, 1, 1, 1], stemStride: 1, inputChannels: 1, resolution: 16 },
  resnet: { widthMult: 0.25, blocks: [1, 1, 1, 1], inputChannels: 1, resolution: 16 },
};

describe('every built-in space declares latency blocks', () => {
  it('covers every registered space', () => {
    expect(Object.keys(SMALL).sort()).toEqual([...SPACES.keys()].sort());
  });

  it.each(Object.keys(SMALL))('%s: each arch\'s sum reads only listed blocks, differs between archs, and counts its blocks', (id) => {
    const def = SPACES.get(id)!;
    const model = def.create(SMALL[id]);
    const latency = def.latency!(model);
    const { resolutions } = def.config(model);
    const { listed, lookup } = madeUpTable(latency, resolutions);
    const keys = new Set<string>();
    const sum = latency.compile((key) => (keys.add(key), lookup(key)), resolutions, 'test table');
    const mutator = new RandomMutator(model, { seed: 4 });
    const sums = new Set<number>();
    for (let i = 0; i < 40; i++) {
      const counted = { blocks: 0 };
      sums.add(sum(mutator.reset(), counted));
      expect(counted.blocks).toBeGreaterThanOrEqual(3);
    }
    expect(sums.size).toBeGreaterThan(10);
    // The listed blocks are the ones archs use: 40 random archs reach a good share of them.
    expect(keys.size).toBeGreaterThan(0.3 * listed.size);
    model.dispose();
  });
});
