import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  blockKey,
  errorReport,
  fitLinear,
  LatencyPredictor,
  OFAMobileNetV3,
  ofaArchBlocks,
  ofaLatencySpace,
  RandomMutator,
  resolveOFAOptions,
  spearman,
  type LatencyTable,
} from '../../index.js';
import { initBackend } from '../../index.js';

await initBackend('wasm');

const options = resolveOFAOptions({ resolutions: [128, 160, 192, 224] });
const space = ofaLatencySpace(options);

/** A table with a distinct made-up entry for every block of the space. */
function syntheticTable(): LatencyTable {
  const entries: LatencyTable['entries'] = {};
  let i = 1;
  for (const g of space.blockGroups(options.resolutions)) for (const b of g.blocks) entries[b.key] = { ms: 0.01 * i++, p90Ms: 0, runs: 1 };
  return {
    device: 'test',
    space: 'ofa-mbv3',
    spaceOptions: space.spaceOptions as Record<string, unknown>,
    resolutions: options.resolutions,
    runtime: { name: 'onnxruntime-node', version: 'x', provider: 'cpu', threads: 1, interOpThreads: 1, graphOptimizationLevel: 'all' },
    host: {},
    createdAt: '',
    entries,
    calibration: { model: 'linear', slope: 0.8, intercept: 0.25, samples: 2, seed: 1 },
  };
}

describe('LatencyPredictor', () => {
  const table = syntheticTable();
  const predictor = new LatencyPredictor(table, space);
  const supernet = new OFAMobileNetV3(options);

  it('enumerates 93 distinct blocks per resolution for the ImageNet configuration', () => {
    expect(Object.keys(table.entries)).toHaveLength(93 * 4); // 128, 160, 192, 224 share no feature-map size
  });

  it('the compiled sum equals the sum of the entries of the blocks the arch runs (any arch)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed) => {
        const arch = new RandomMutator(supernet, { seed }).reset();
        const want = ofaArchBlocks(arch, options).reduce((s, b) => s + table.entries[blockKey(b)].ms, 0);
        expect(predictor.blockSum(arch)).toBeCloseTo(want, 9);
        expect(predictor.predict(arch)).toBeCloseTo(0.8 * want + 0.25, 9);
      }),
      { numRuns: 200 },
    );
  });

  it('a resolution the table lacks is an InputError naming it', () => {
    const arch = new RandomMutator(new OFAMobileNetV3(), { seed: 1 }).reset();
    arch.choices.resolution = 132;
    expect(() => predictor.predict(arch)).toThrow("resolution 132 is not in the latency table of 'test' (profiled: 128, 160, 192, 224)");
  });

  it('a table missing an entry is refused when compiled', () => {
    const broken = syntheticTable();
    delete broken.entries[Object.keys(broken.entries)[7]];
    expect(() => new LatencyPredictor(broken, space)).toThrow(/lacks entry 'mbconv:/);
  });
});

describe('statistics', () => {
  it('fitLinear recovers an exact line', () => {
    const xs = [1, 2, 3, 4, 5];
    expect(fitLinear(xs, xs.map((x) => 0.75 * x - 0.5))).toEqual({ slope: 0.75, intercept: -0.5 });
  });

  it('spearman: 1 for any increasing map, -1 for decreasing, ties averaged', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: -1000, max: 1000 }), { minLength: 3, maxLength: 30 }), (xs) => {
        expect(spearman(xs, xs.map((x) => 2 * x + 1))).toBeCloseTo(1, 12);
        expect(spearman(xs, xs.map((x) => -x * 3))).toBeCloseTo(-1, 12);
      }),
    );
    expect(spearman([1, 2, 2, 3], [1, 2, 3, 4])).toBeCloseTo(0.9486833, 6);
  });

  it('errorReport shares and MAPE', () => {
    const r = errorReport([1.04, 0.91, 2.0, 3.31], [1, 1, 2, 3]);
    expect([r.samples, r.within5, r.within10]).toEqual([4, 0.5, 0.75]);
    expect(r.spearman).toBeCloseTo(0.9486833, 6); // the tie in the measurements
    expect(r.mape).toBeCloseTo((0.04 + 0.09 + 0 + 0.31 / 3) / 4, 12);
  });
});
