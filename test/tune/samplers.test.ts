import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { symmetricEigen } from '../../tune/samplers/cma_state.js';
import { CmaEsSampler, createStudy, fromUnit, NSGAIISampler, openStorage, QMCSampler, RandomSampler, SobolSequence, toUnit, TPESampler, type Sampler, type Trial } from '../../tune/index.js';

// scipy 1.10's qmc.Sobol(d=21, scramble=False).random(16): points 4 and 15.
const SCIPY_POINT_4 = [0.375, 0.375, 0.625, 0.875, 0.375, 0.125, 0.375, 0.875, 0.875, 0.625, 0.875, 0.375, 0.375, 0.625, 0.375, 0.875, 0.375, 0.875, 0.875, 0.125, 0.125];
const SCIPY_POINT_15 = [
  0.0625, 0.9375, 0.5625, 0.3125, 0.6875, 0.1875, 0.8125, 0.3125, 0.3125, 0.6875, 0.0625, 0.1875, 0.3125, 0.5625, 0.9375, 0.8125, 0.9375, 0.9375, 0.3125, 0.6875, 0.8125,
];

const sphere = (t: Trial) => [0, 1, 2, 3, 4].reduce((s, i) => s + (t.suggestFloat(`x${i}`, -5, 5) - 1) ** 2, 0);

/** ZDT1 with 6 variables: a convex Pareto front f2 = 1 - sqrt(f1). */
const zdt1 = (t: Trial) => {
  const x = [0, 1, 2, 3, 4, 5].map((i) => t.suggestFloat(`x${i}`, 0, 1));
  const g = 1 + (9 * x.slice(1).reduce((s, v) => s + v, 0)) / 5;
  return [x[0], g * (1 - Math.sqrt(x[0] / g))];
};

/** Area dominated by a front within the reference point (1, 1). */
function hypervolume(points: number[][]): number {
  let area = 0;
  let lowest = 1;
  for (const [x, y] of points.filter((p) => p[0] <= 1 && p[1] <= 1).sort((a, b) => a[0] - b[0])) {
    if (y < lowest) {
      area += (1 - x) * (lowest - y);
      lowest = y;
    }
  }
  return area;
}

async function bestOf(sampler: Sampler, nTrials: number, objective = sphere): Promise<number> {
  const study = await createStudy({ sampler });
  await study.optimize(objective, { nTrials });
  return study.bestValue;
}

describe('Sobol', () => {
  it('unscrambled, matches scipy in all 21 dimensions', () => {
    const s = new SobolSequence({ scramble: false, seed: 0 });
    expect(SCIPY_POINT_4.map((_, d) => s.coordinate(4, d))).toEqual(SCIPY_POINT_4);
    expect(SCIPY_POINT_15.map((_, d) => s.coordinate(15, d))).toEqual(SCIPY_POINT_15);
  });

  it('scrambled, the first 2^m points put one point in each of 2^m slices of every dimension (any seed)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 }), fc.integer({ min: 0, max: 20 }), fc.integer({ min: 1, max: 8 }), (seed, d, m) => {
        const s = new SobolSequence({ scramble: true, seed });
        const slices = new Set(Array.from({ length: 2 ** m }, (_, i) => Math.floor(s.coordinate(i, d) * 2 ** m)));
        return slices.size === 2 ** m;
      }),
      { numRuns: 60 },
    );
  });

  it('QMCSampler: 16 trials cover each parameter evenly, and the seed fixes the points', async () => {
    const run = async (seed: number) => {
      const study = await createStudy({ sampler: new QMCSampler({ seed }) });
      await study.optimize((t) => t.suggestFloat('a', 0, 1) + t.suggestInt('n', 0, 15), { nTrials: 16 });
      return study.trials.map((t) => t.params);
    };
    const trials = await run(3);
    expect(new Set(trials.map((p) => Math.floor((p.a as number) * 16))).size).toBe(16);
    expect(new Set(trials.map((p) => p.n)).size).toBe(16);
    expect(await run(3)).toEqual(trials);
    expect(await run(4)).not.toEqual(trials);
  });

  it('fromUnit and toUnit are inverse on every kind of distribution', async () => {
    const study = await createStudy({ sampler: new RandomSampler({ seed: 2 }) });
    await study.optimize(
      (t) => {
        t.suggestFloat('f', -3, 7);
        t.suggestFloat('lg', 1e-4, 1, { log: true });
        t.suggestInt('i', 2, 9, { step: 1 });
        t.suggestCategorical('c', ['x', 'y', 'z']);
        return 0;
      },
      { nTrials: 20 },
    );
    for (const t of study.trials) {
      for (const [name, d] of Object.entries(t.distributions)) {
        const back = fromUnit(d, toUnit(d, t.params[name])!);
        if (typeof back === 'number') expect(back).toBeCloseTo(t.params[name] as number, 9);
        else expect(back).toBe(t.params[name]);
      }
    }
  });
});

describe('CMA-ES', () => {
  it('symmetricEigen reconstructs the matrix (V diag(l) V^T)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 7 }), fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: 49, maxLength: 49 }), (n, raw) => {
        const a = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => raw[Math.min(i, j) * 7 + Math.max(i, j)]));
        const { vectors, values } = symmetricEigen(a);
        for (let i = 0; i < n; i++) {
          for (let j = 0; j < n; j++) {
            const r = values.reduce((s, l, k) => s + vectors[i][k] * l * vectors[j][k], 0);
            if (Math.abs(r - a[i][j]) > 1e-8) return false;
          }
        }
        return true;
      }),
      { numRuns: 50 },
    );
  });

  it('on a 5-D sphere, 200 trials get within 0.1 of the optimum where random search stays above 1 (3 seeds each)', async () => {
    for (const seed of [0, 1, 2]) {
      expect(await bestOf(new CmaEsSampler({ seed }), 200)).toBeLessThan(0.1);
      expect(await bestOf(new RandomSampler({ seed }), 200)).toBeGreaterThan(1);
    }
  });

  it('its state is rebuilt from the trials: a new sampler on the same storage continues the same run', async () => {
    const objective = (t: Trial) => sphere(t) + (t.suggestCategorical('c', ['a', 'b']) === 'a' ? 0 : 1);
    const straight = await createStudy({ sampler: new CmaEsSampler({ seed: 5 }) });
    await straight.optimize(objective, { nTrials: 40 });
    const storage = await openStorage('memory');
    const first = await createStudy({ studyName: 's', storage, sampler: new CmaEsSampler({ seed: 5 }) });
    await first.optimize(objective, { nTrials: 23 });
    const second = await createStudy({ studyName: 's', storage, loadIfExists: true, sampler: new CmaEsSampler({ seed: 5 }) });
    await second.optimize(objective, { nTrials: 17 });
    expect(second.trials.map((t) => t.params)).toEqual(straight.trials.map((t) => t.params));
    // 40 trials, 8 per generation (4 + floor(3 ln 5)), trial 0 sampled before the space was known.
    expect(Math.max(...straight.trials.map((t) => (t.systemAttrs['cma:generation'] as number) ?? -1))).toBe(4);
  });

  it('ranks infeasible trials last: with x0 >= 2 required, the search ends feasible and near x0 = 2', async () => {
    const study = await createStudy({ sampler: new CmaEsSampler({ seed: 1 }), constraints: (t) => [2 - (t.params.x0 as number)] });
    await study.optimize(sphere, { nTrials: 200 });
    expect(study.bestTrial.params.x0 as number).toBeGreaterThanOrEqual(2);
    expect(study.bestValue).toBeLessThan(1.3);
    const last = study.trials.slice(-40);
    expect(last.filter((t) => (t.constraints ?? [0])[0] <= 0).length).toBeGreaterThan(20);
  });

  it('refuses a study with several objectives', async () => {
    const study = await createStudy({ directions: ['minimize', 'minimize'], sampler: new CmaEsSampler({ seed: 1 }) });
    await expect(study.optimize(zdt1, { nTrials: 5 })).rejects.toThrow(/one objective/);
  });
});

describe('NSGA-II', () => {
  it('on ZDT1, 300 trials dominate far more than random search (hypervolume, 2 seeds)', async () => {
    for (const seed of [0, 1]) {
      const volumes = [];
      for (const sampler of [new NSGAIISampler({ seed, populationSize: 20 }), new RandomSampler({ seed })]) {
        const study = await createStudy({ directions: ['minimize', 'minimize'], sampler });
        await study.optimize(zdt1, { nTrials: 300 });
        volumes.push(hypervolume(study.bestTrials.map((t) => t.values!)));
      }
      expect(volumes[0]).toBeGreaterThan(0.2);
      expect(volumes[0]).toBeGreaterThan(volumes[1] + 0.15);
    }
  });

  it('with constraints, later generations are mostly feasible and the front is feasible; the seed fixes the trials', async () => {
    const run = async () => {
      const study = await createStudy({ directions: ['minimize', 'minimize'], sampler: new NSGAIISampler({ seed: 3, populationSize: 10 }), constraints: (t) => [0.6 - (t.params.x0 as number)] });
      await study.optimize(zdt1, { nTrials: 100 });
      return study;
    };
    const study = await run();
    const feasibleShare = (trials: readonly { constraints: number[] | null }[]) => trials.filter((t) => t.constraints![0] <= 0).length / trials.length;
    expect(feasibleShare(study.trials.slice(0, 10))).toBeLessThan(0.7);
    // Mutation redraws x0 uniformly in 1 of 6 children, so about 10% stay infeasible.
    expect(feasibleShare(study.trials.slice(-30))).toBeGreaterThanOrEqual(0.8);
    expect(study.bestTrials.every((t) => (t.params.x0 as number) >= 0.6)).toBe(true);
    expect((await run()).trials.map((t) => t.params)).toEqual(study.trials.map((t) => t.params));
  });

  it('handles a conditional space: every value lies in its distribution', async () => {
    const study = await createStudy({ sampler: new NSGAIISampler({ seed: 4, populationSize: 6 }) });
    await study.optimize((t) => (t.suggestCategorical('m', ['quad', 'sine']) === 'quad' ? (t.suggestFloat('a', -5, 5) - 1) ** 2 : Math.sin(t.suggestFloat('b', 0, 10)) + 1), { nTrials: 60 });
    expect(study.trials.every((t) => t.state === 'complete')).toBe(true);
    expect(study.bestValue).toBeLessThan(0.05);
  });
});

describe('reproducible with several workers', () => {
  it('TPE, CMA-ES and NSGA-II: the same seed gives the same trials with 3 jobs whose trials finish in a random order', async () => {
    let jitter = 1;
    const slow = async (t: Trial) => {
      const value = sphere(t);
      jitter = (jitter * 48271) % 2147483647;
      await new Promise((r) => setTimeout(r, jitter % 7));
      return value;
    };
    for (const make of [() => new TPESampler({ seed: 9, nStartupTrials: 5 }), () => new CmaEsSampler({ seed: 9, populationSize: 4 }), () => new NSGAIISampler({ seed: 9, populationSize: 4 })]) {
      const runs = [];
      for (const seed of [1, 2]) {
        jitter = seed;
        const study = await createStudy({ sampler: make() });
        await study.optimize(slow, { nTrials: 24, nJobs: 3, reproducible: true });
        runs.push(study.trials.map((t) => t.params));
      }
      expect(runs[1]).toEqual(runs[0]);
    }
  });
});
