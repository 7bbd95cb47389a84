import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  blockKey,
  errorReport,
  fitLinear,
  leastSquares,
  LatencyPredictor,
  OFAMobileNetV3,
  ofaArchBlocks,
  RandomMutator,
  resolveOFAOptions,
  spearman,
  withCalibration,
  chooseScaling,
  type LatencyTable,
  type RepeatedTiming,
  latencySpaceOf,
} from '../../index.js';
import { initBackend } from '../../index.js';
import { testTable } from '../helpers/made_up_table.js';

await initBackend('wasm');

const options = resolveOFAOptions({ resolutions: [128, 160, 192, 224] });
const space = latencySpaceOf(new OFAMobileNetV3(options));

/** A table with a distinct made-up entry for every block of the space. */
function syntheticTable(): LatencyTable {
  const entries: LatencyTable['entries'] = {};
  let i = 1;
  for (const g of space.blockGroups(options.resolutions)) for (const b of g.blocks) entries[b.key] = { ms: 0.01 * i++, p90Ms: 0, runs: 1 };
  return { ...testTable(space, options.resolutions, entries), calibration: { model: 'linear', slope: 0.8, intercept: 0.25, samples: 2, seed: 1 } };
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

  it('the blocks model: slope x block sum + perBlock x blocks + intercept, blocks counted as the arch runs them', () => {
    const blocks = { ...table, calibration: { model: 'blocks' as const, slope: 0.5, perBlock: -0.01, intercept: 0.3, samples: 9, seed: 1 } };
    const p = new LatencyPredictor(blocks, space);
    for (let seed = 0; seed < 50; seed++) {
      const arch = new RandomMutator(supernet, { seed }).reset();
      const n = ofaArchBlocks(arch, options).length;
      expect(p.blockCount(arch)).toBe(n);
      expect(p.predict(arch)).toBeCloseTo(0.5 * p.blockSum(arch) - 0.01 * n + 0.3, 9);
    }
  });

  it('withCalibration recovers the per-block term from end-to-end timings (a run overhead that blocks timed alone pay each)', () => {
    const archs = Array.from({ length: 30 }, (_, seed) => new RandomMutator(supernet, { seed }).reset());
    const raw = new LatencyPredictor({ ...table, calibration: undefined }, space);
    const measured = archs.map((a) => 0.9 * raw.blockSum(a) - 0.02 * raw.blockCount(a) + 0.05);
    const c = withCalibration(table, space, archs, measured, 1).calibration!;
    expect(c.model).toBe('blocks');
    expect(c.slope).toBeCloseTo(0.9, 6);
    expect(c.perBlock).toBeCloseTo(-0.02, 6);
    expect(c.intercept).toBeCloseTo(0.05, 6);
    // Fewer timings than the per-block fit needs: a line.
    const few = withCalibration(table, space, archs.slice(0, 5), measured.slice(0, 5), 1).calibration!;
    expect(few.model).toBe('linear');
    expect(few.perBlock).toBeUndefined();
  });

  it('chooseScaling keeps the figures (scaled by the reference or raw) whose calibration fits the end-to-end timings better', () => {
    const archs = Array.from({ length: 30 }, (_, seed) => new RandomMutator(supernet, { seed: 100 + seed }).reset());
    const raw = new LatencyPredictor({ ...table, calibration: undefined }, space);
    // Raw figures are the entries; end-to-end raw timings follow them exactly. Scaled figures
    // are distorted per block and per subnet (a reference read in the wrong state).
    const truth = archs.map((a) => 0.9 * raw.blockSum(a) + 0.05);
    const distort = (i: number) => 1 + 0.3 * Math.sin(i * 1.7);
    const rawTable: LatencyTable = { ...table, referenceMs: 0.27, calibration: undefined, entries: Object.fromEntries(Object.entries(table.entries).map(([k, e], i) => [k, { ...e, ms: e.ms * distort(i), rawMs: e.ms }])) };
    const timing = (ms: number, rawMs: number) => ({ ms, rawMs, referenceMs: 0.27, spread: 0, passes: 3, retimed: 0 }) as unknown as RepeatedTiming;
    const rawWins = chooseScaling(rawTable, space, archs, truth.map((m, i) => timing(m * distort(i + 7), m)), 1);
    expect(rawWins.scaling!.kept).toBe(false);
    expect(rawWins.scaling!.rawFitError).toBeLessThan(1e-6);
    expect(rawWins.table.referenceMs).toBeUndefined();
    const [key, entry] = Object.entries(rawWins.table.entries)[3];
    expect(entry).toEqual({ ...table.entries[key], ms: table.entries[key].ms });
    // The other way round: the scaled figures fit, the raw ones do not.
    const scaledTable: LatencyTable = { ...rawTable, entries: Object.fromEntries(Object.entries(table.entries).map(([k, e], i) => [k, { ...e, rawMs: e.ms * distort(i) }])) };
    const scaledWins = chooseScaling(scaledTable, space, archs, truth.map((m, i) => timing(m, m * distort(i + 7))), 1);
    expect(scaledWins.scaling!.kept).toBe(true);
    expect(scaledWins.table.referenceMs).toBe(0.27);
    expect(Object.values(scaledWins.table.entries).every((e) => e.rawMs === undefined)).toBe(true);
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

function pearsonOf(a: number[], b: number[]): number {
  const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
  const [ma, mb] = [mean(a), mean(b)];
  const cov = a.reduce((s, x, i) => s + (x - ma) * (b[i] - mb), 0);
  return cov / Math.sqrt(a.reduce((s, x) => s + (x - ma) ** 2, 0) * b.reduce((s, x) => s + (x - mb) ** 2, 0));
}

describe('statistics', () => {
  it('fitLinear recovers an exact line', () => {
    const xs = [1, 2, 3, 4, 5];
    expect(fitLinear(xs, xs.map((x) => 0.75 * x - 0.5))).toEqual({ slope: 0.75, intercept: -0.5 });
  });

  it('leastSquares recovers exact coefficients from any well-posed rows; collinear features give undefined', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: 3, maxLength: 3 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 1000 }).map((v) => v / 100), fc.integer({ min: 5, max: 25 })), { minLength: 6, maxLength: 40 }),
        (w, points) => {
          const rows = points.map(([x, n]) => [x, n, 1]);
          // Block sums and block counts that are not (nearly) on one line.
          const xs = points.map(([x]) => x);
          const ns = points.map(([, n]) => n);
          fc.pre(new Set(ns).size > 2 && new Set(xs).size > 2 && Math.abs(pearsonOf(xs, ns)) < 0.99);
          const ys = rows.map((r) => r[0] * w[0] + r[1] * w[1] + w[2]);
          const got = leastSquares(rows, ys);
          expect(got).toBeDefined();
          rows.forEach((r, i) => expect(r[0] * got![0] + r[1] * got![1] + got![2]).toBeCloseTo(ys[i], 5));
        },
      ),
    );
    expect(leastSquares([[1, 2, 1], [2, 4, 1], [3, 6, 1], [4, 8, 1]], [1, 2, 3, 4])).toBeUndefined();
    const line = leastSquares([[1, 1], [2, 1], [3, 1]], [2.5, 3.25, 4])!;
    expect(line[0]).toBeCloseTo(0.75, 12);
    expect(line[1]).toBeCloseTo(1.75, 12);
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
    // Signed errors 0.04, -0.09, 0, 0.1033: their median.
    expect(r.bias).toBeCloseTo(0.02, 12);
  });
});
