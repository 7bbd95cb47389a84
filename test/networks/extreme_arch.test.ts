import { describe, expect, it } from 'vitest';
import { extremeArch, getSpace, initBackend, OFAMobileNetV3, RandomMutator, type Arch } from '../../index.js';

await initBackend('wasm');

describe('extremeArch', () => {
  it('ofa-mbv3: every value decision at its largest (smallest) candidate', () => {
    const model = new OFAMobileNetV3({ inputChannels: 1, numClasses: 10, widthMult: 0.25, resolutions: [24, 28] });
    const largest = extremeArch(model, 'largest');
    const smallest = extremeArch(model, 'smallest');
    expect(largest.choices.resolution).toBe(28);
    expect(smallest.choices.resolution).toBe(24);
    expect(largest.choices.ks_block1).toBe(7);
    expect(smallest.choices.depth1).toBe(2);
    model.dispose();
  });

  it('spaces of operations and inputs: the choices with the most (fewest) MACs, no sampled arch beyond them', () => {
    for (const id of ['nb201', 'darts']) {
      const def = getSpace(id);
      const model = def.create({ ...def.optionsFor({ channels: 1, classes: 10, size: 16 }), channels: 4, ...(id === 'nb201' ? { cellsPerStage: 1 } : { layers: 3 }) });
      const macs = (arch: Arch) => def.cost(model, arch).macs;
      const [largest, smallest] = [extremeArch(model, 'largest'), extremeArch(model, 'smallest')];
      if (id === 'nb201') {
        expect(Object.values(largest.choices)).toEqual(Array(6).fill('nor_conv_3x3'));
        expect(Object.values(smallest.choices)).toEqual(Array(6).fill('none'));
      }
      const sampled = Array.from({ length: 30 }, (_, i) => new RandomMutator(model, { seed: i }).reset());
      for (const arch of sampled) {
        expect(macs(arch)).toBeLessThanOrEqual(macs(largest));
        expect(macs(arch)).toBeGreaterThanOrEqual(macs(smallest));
      }
      expect(macs(largest)).toBeGreaterThan(macs(smallest));
      model.dispose();
    }
  });
});
