import { describe, expect, it } from 'vitest';
import { Rng } from '../../tensor/random.js';
import { axisOf, categoricalDistribution, floatDistribution, intDistribution, ParzenEstimator, type ParzenOptions } from '../../tune/index.js';

const UNIVARIATE: ParzenOptions = { priorWeight: 1, considerPrior: true, considerMagicClip: true, considerEndpoints: false, multivariate: false };

describe('ParzenEstimator', () => {
  it('its density integrates to 1 over a continuous range (trapezoid rule, 20,000 points)', () => {
    const axis = axisOf(floatDistribution('x', -2, 3));
    for (const options of [UNIVARIATE, { ...UNIVARIATE, multivariate: true }]) {
      const pe = new ParzenEstimator([axis], [[-1.9], [0.2], [0.25], [2.9]], [1, 1, 1, 1], options);
      const n = 20_000;
      let sum = 0;
      for (let i = 0; i <= n; i++) {
        const x = -2 + (5 * i) / n;
        sum += Math.exp(pe.logPdf([x])) * (i === 0 || i === n ? 0.5 : 1);
      }
      expect(sum * (5 / n)).toBeCloseTo(1, 4);
    }
  });

  it('its masses sum to 1 over a stepped range and over categories', () => {
    const ints = axisOf(intDistribution('n', 1, 9, { step: 2 }));
    const pe = new ParzenEstimator([ints], [[3], [3], [9]], [1, 1, 1], UNIVARIATE);
    const total = [1, 3, 5, 7, 9].reduce((s, x) => s + Math.exp(pe.logPdf([x])), 0);
    expect(total).toBeCloseTo(1, 6);
    const cat = axisOf(categoricalDistribution('c', ['a', 'b', 'c']));
    const pc = new ParzenEstimator([cat], [[0], [0], [2]], [1, 1, 1], UNIVARIATE);
    const probs = [0, 1, 2].map((i) => Math.exp(pc.logPdf([i])));
    expect(probs.reduce((s, p) => s + p, 0)).toBeCloseTo(1, 12);
    // As Optuna: every cell of every kernel starts at priorWeight / kernels (1/4), an observation adds 1 to its choice; rows normalised.
    const kernel = (hit: number) => [0, 1, 2].map((i) => ((i === hit ? 1 : 0) + 1 / 4) / (1 + 3 / 4));
    const expected = [0, 1, 2].map((i) => (kernel(0)[i] * 2 + kernel(2)[i] + 1 / 3) / 4);
    probs.forEach((p, i) => expect(p).toBeCloseTo(expected[i], 12));
  });

  it('Optuna bandwidths: the larger gap to a sorted neighbour, ends by their inner gap, magic clip, prior at the centre', () => {
    // Observations 0, 1, 7 on [0, 10] and the prior at 5: sorted 0, 1, 5, 7. Gaps: 1, 4, 2.
    // sigma(0) = 1 (inner gap), sigma(1) = max(1, 4) = 4, sigma(7) = 2 (inner gap), prior = 10;
    // magic clip: min 10 / min(100, 1 + 4) = 2, so sigma(0) becomes 2.
    const axis = axisOf(floatDistribution('x', 0, 10));
    const pe = new ParzenEstimator([axis], [[0], [1], [7]], [1, 1, 1], UNIVARIATE);
    const sigmas = [2, 4, 2, 10];
    const mus = [0, 1, 7, 5];
    const mass = (mu: number, s: number) => 0.5 * (erf((10 - mu) / s / Math.SQRT2) - erf((0 - mu) / s / Math.SQRT2));
    const pdf = (x: number) => mus.reduce((sum, mu, k) => sum + (0.25 * Math.exp(-0.5 * ((x - mu) / sigmas[k]) ** 2)) / (sigmas[k] * Math.sqrt(2 * Math.PI) * mass(mu, sigmas[k])), 0);
    for (const x of [0, 0.5, 3, 6.9, 10]) expect(Math.exp(pe.logPdf([x]))).toBeCloseTo(pdf(x), 6);
  });

  it('draws stay in range and follow the mixture (mean of 20,000 draws)', () => {
    const axis = axisOf(floatDistribution('x', 1e-3, 1, { log: true }));
    const pe = new ParzenEstimator([axis], [[Math.log(0.01)], [Math.log(0.02)]], [1, 1], UNIVARIATE);
    const draws = pe.sample(new Rng(3), 20_000).map((r) => r[0]);
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(Math.log(1e-3));
    expect(Math.max(...draws)).toBeLessThanOrEqual(0);
    // Numerical mean of the density on the log axis.
    const lo = Math.log(1e-3);
    let num = 0;
    let den = 0;
    for (let i = 0; i <= 20_000; i++) {
      const x = lo + (-lo * i) / 20_000;
      const p = Math.exp(pe.logPdf([x]));
      num += x * p;
      den += p;
    }
    const mean = draws.reduce((s, x) => s + x, 0) / draws.length;
    expect(Math.abs(mean - num / den)).toBeLessThan(0.03);
  });
});

function erf(x: number): number {
  // Abramowitz-Stegun 7.1.26 is too coarse here; integrate the Gaussian instead (Simpson, 2,000 panels).
  const n = 2000;
  const h = x / n;
  let s = 0;
  for (let i = 0; i <= n; i++) s += Math.exp(-((i * h) ** 2)) * (i === 0 || i === n ? 1 : i % 2 ? 4 : 2);
  return ((2 / Math.sqrt(Math.PI)) * s * h) / 3;
}

describe('ParzenEstimator weighted by bandwidth (TPESampler default, as Optuna 3.1)', () => {
  it("each continuous kernel's density is multiplied by its bandwidth; stepped axes keep their masses", () => {
    const axis = axisOf(floatDistribution('x', 0, 10));
    const rows = [[0], [1], [7]];
    const plain = new ParzenEstimator([axis], rows, [1, 1, 1], UNIVARIATE);
    const weighted = new ParzenEstimator([axis], rows, [1, 1, 1], { ...UNIVARIATE, weightByBandwidth: true });
    // Bandwidths 2, 4, 2 and the prior's 10 (see above): a point far from every kernel but the
    // prior is dominated by the prior, whose share grows by 10 / (mixture's typical bandwidth).
    const ratio = (x: number) => Math.exp(weighted.logPdf([x]) - plain.logPdf([x]));
    expect(ratio(4)).toBeGreaterThan(2);
    expect(ratio(4)).toBeLessThan(10);
    // Values Optuna 3.1 gives for these observations (its _ParzenEstimator.log_pdf, Debian's python3-optuna 3.1.0).
    const optuna = new ParzenEstimator([axis], [[0.3], [1.2], [7.7], [7.9], [2.5], [9.99], [4.4], [4.5], [4.6], [0]], new Array(10).fill(1), { ...UNIVARIATE, weightByBandwidth: true });
    const expected = [-1.348954832699132, -1.3118996612053069, -1.5942699355258823, -1.3299630426483495, -1.472604666306776, -1.5425533445857607];
    [0, 0.5, 3, 4.5, 7.8, 10].forEach((x, i) => expect(optuna.logPdf([x])).toBeCloseTo(expected[i], 6));
    const ints = axisOf(intDistribution('n', 1, 9, { step: 2 }));
    const stepped = new ParzenEstimator([ints], [[3], [3], [9], [1], [5]], [1, 1, 1, 1, 1], { ...UNIVARIATE, weightByBandwidth: true });
    const optunaInts = [-1.4748412323486935, -1.243061703906175, -1.4496785848178033, -1.9138681438740288, -2.29728922214976];
    [1, 3, 5, 7, 9].forEach((x, i) => expect(stepped.logPdf([x])).toBeCloseTo(optunaInts[i], 6));
  });
});
