import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../tensor/random.js';
import { categoricalDistribution, contains, floatDistribution, intDistribution, snap, uniformChoice } from '../../tune/index.js';

describe('distributions', () => {
  it('refuses what Optuna refuses, naming the parameter', () => {
    expect(() => floatDistribution('lr', 1, 0)).toThrow("lr: low (1) must not exceed high (0)");
    expect(() => floatDistribution('lr', 0, 1, { log: true })).toThrow('lr: a log scale needs low > 0, got 0');
    expect(() => floatDistribution('lr', 1e-3, 1, { log: true, step: 0.1 })).toThrow('lr: a log scale takes no step');
    expect(() => intDistribution('bs', 1.5, 8)).toThrow('bs: low and high must be integers');
    expect(() => intDistribution('bs', 1, 8, { log: true, step: 2 })).toThrow('bs: a log-scale integer takes no step other than 1');
    expect(() => categoricalDistribution('opt', [])).toThrow('opt: a categorical needs at least one choice');
  });

  it('a stepped range ends on its last step', () => {
    expect(floatDistribution('x', 0, 1, { step: 0.3 }).high).toBeCloseTo(0.9, 12);
    expect(intDistribution('n', 2, 11, { step: 4 }).high).toBe(10);
  });

  it('every uniform draw lies in its distribution, on its grid', () => {
    const arb = fc.oneof(
      fc.tuple(fc.double({ min: -100, max: 100, noNaN: true }), fc.double({ min: 0, max: 100, noNaN: true })).map(([lo, w]) => floatDistribution('x', lo, lo + w)),
      fc.tuple(fc.double({ min: 1e-6, max: 10, noNaN: true }), fc.double({ min: 1, max: 1e4, noNaN: true })).map(([lo, f]) => floatDistribution('x', lo, lo * f, { log: true })),
      fc.tuple(fc.integer({ min: -50, max: 50 }), fc.integer({ min: 0, max: 60 }), fc.integer({ min: 1, max: 7 })).map(([lo, w, s]) => intDistribution('n', lo, lo + w, { step: s })),
      fc.tuple(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 0, max: 5000 })).map(([lo, w]) => intDistribution('n', lo, lo + w, { log: true })),
      fc.tuple(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 1, max: 20 })).map(([lo, k]) => floatDistribution('x', lo / 10, lo / 10 + k * 0.25, { step: 0.25 })),
    );
    fc.assert(
      fc.property(arb, fc.integer(), (d, seed) => {
        const rng = new Rng(seed);
        for (let i = 0; i < 20; i++) expect(contains(d, uniformChoice(d, rng))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('snap puts any number on the grid and in range', () => {
    const d = intDistribution('n', 2, 20, { step: 3 });
    expect([snap(d, -5), snap(d, 6.4), snap(d, 6.6), snap(d, 99)]).toEqual([2, 5, 8, 20]);
    const f = floatDistribution('x', 0.1, 1, { step: 0.1 });
    expect(snap(f, 0.349)).toBe(0.3);
  });
});
