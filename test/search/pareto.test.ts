import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crowdingDistance, dominates, firstFront, nonDominatedSort } from '../../index.js';

const points = (dims: number) => fc.array(fc.array(fc.integer({ min: 0, max: 6 }), { minLength: dims, maxLength: dims }), { minLength: 1, maxLength: 40 });

describe('Pareto', () => {
  it('firstFront = the points no other point dominates (one per duplicate), any 2 or 3 objectives', () => {
    for (const dims of [2, 3]) {
      fc.assert(
        fc.property(points(dims), (ps) => {
          const front = firstFront(ps);
          const brute = ps.map((_, i) => i).filter((i) => !ps.some((q) => dominates(q, ps[i])));
          const distinct = new Set(brute.map((i) => ps[i].join(',')));
          expect(new Set(front.map((i) => ps[i].join(',')))).toEqual(distinct);
          expect(front.length).toBe(distinct.size);
        }),
        { numRuns: 200 },
      );
    }
  });

  it('non-dominated sort: every point in one front; no point dominated by its own or a later front', () => {
    fc.assert(
      fc.property(points(3), (ps) => {
        const fronts = nonDominatedSort(ps);
        expect(fronts.flat().sort((a, b) => a - b)).toEqual(ps.map((_, i) => i));
        fronts.forEach((front, r) => {
          for (const i of front) {
            for (const later of fronts.slice(r)) for (const j of later) expect(dominates(ps[j], ps[i])).toBe(false);
            if (r > 0) expect(fronts[r - 1].some((j) => dominates(ps[j], ps[i]))).toBe(true);
          }
        });
      }),
      { numRuns: 200 },
    );
  });

  it('crowding distance: boundary points infinite, inner points the normalised side lengths', () => {
    const ps = [
      [0, 4],
      [1, 2],
      [2, 1],
      [4, 0],
    ];
    const d = crowdingDistance([0, 1, 2, 3], ps);
    expect(d.get(0)).toBe(Infinity);
    expect(d.get(3)).toBe(Infinity);
    expect(d.get(1)).toBeCloseTo(2 / 4 + 3 / 4);
    expect(d.get(2)).toBeCloseTo(3 / 4 + 2 / 4);
  });
});
