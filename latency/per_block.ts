import type { Arch } from '../space/index.js';
import type { LatencySpace } from './space.js';
import type { Calibration, LatencyTable } from './table.js';
import { calibrationLine } from './predictor.js';
import { leastSquares } from './stats.js';

/** Per-block fitting is tried on tables of at most this many blocks (its solve is cubic in them). */
export const MAX_PER_BLOCK_KEYS = 200;
/** The per-block fit replaces the line where its cross-validated error is at most this share of the line's... */
export const PER_BLOCK_MARGIN = 0.8;
/** ...and at least this much lower (relative RMS error). */
const MIN_GAIN = 0.005;
const RIDGE_STRENGTHS = [0.01, 0.1, 1, 10, 100];
const FOLDS = 5;

/**
 * What each block costs inside a whole model, fitted on the end-to-end timings: a block timed
 * alone pays a run's overhead and misses what running among others changes, and one line
 * over the block sum charges both to every block alike. On nb201 (operations of 0.015-0.07
 * ms) a pooling or an Add costs a fraction of its own figure end to end while a 3x3
 * convolution costs about its own; a line cannot tell them apart. Ridge regression pulls each
 * block's cost towards the line's value for it (slope x its figure + perBlock), with the
 * strength chosen by cross-validation; it is kept only where it predicts held-out folds
 * clearly better than the line does (PER_BLOCK_MARGIN), so a space whose blocks add up keeps
 * the line. Undefined where not kept or not tried.
 */
export function fitPerBlock(table: LatencyTable, line: Calibration, space: LatencySpace, archs: Arch[], measuredMs: number[]): Calibration | undefined {
  const keys = Object.keys(table.entries);
  if (keys.length > MAX_PER_BLOCK_KEYS || archs.length < 2 * FOLDS) return undefined;
  const figures = keys.map((k) => table.entries[k].ms);
  const counts = blockCounts(table, keys, space, archs);
  if (!counts) return undefined;
  const prior = figures.map((ms) => line.slope * ms + (line.perBlock ?? 0));
  const scale = figures.map((ms) => Math.max(ms, 1e-3));
  const sums = counts.map((row) => dot(row, figures));
  const blocks = counts.map((row) => row.reduce((s, n) => s + n, 0));
  const fit = (rows: number[], lambda: number) => ridge(rows.map((i) => counts[i]), rows.map((i) => measuredMs[i]), prior, scale, line.intercept, lambda);
  const lineOn = (rows: number[]) => {
    const w = leastSquares(rows.map((i) => [sums[i], blocks[i], 1]), rows.map((i) => measuredMs[i]));
    return w && ((i: number) => calibrationLine(sums[i], blocks[i], { slope: w[0], perBlock: w[1], intercept: w[2] }));
  };
  const ridgeOn = (lambda: number) => (rows: number[]) => {
    const w = fit(rows, lambda);
    return w && ((i: number) => dot(counts[i], w) + w[keys.length]);
  };
  const cvError = (train: (rows: number[]) => ((i: number) => number) | undefined) => {
    let squared = 0;
    for (let fold = 0; fold < FOLDS; fold++) {
      const held = archs.map((_, i) => i).filter((i) => i % FOLDS === fold);
      const model = train(archs.map((_, i) => i).filter((i) => i % FOLDS !== fold));
      if (!model) return Infinity;
      for (const i of held) squared += (model(i) / measuredMs[i] - 1) ** 2;
    }
    return Math.sqrt(squared / archs.length);
  };
  const lineError = cvError(lineOn);
  const errors = RIDGE_STRENGTHS.map((lambda) => cvError(ridgeOn(lambda)));
  const best = errors.indexOf(Math.min(...errors));
  if (!(errors[best] <= PER_BLOCK_MARGIN * lineError && lineError - errors[best] >= MIN_GAIN)) return undefined;
  const w = fit(archs.map((_, i) => i), RIDGE_STRENGTHS[best]);
  if (!w) return undefined;
  return {
    model: 'per-block',
    slope: 1,
    intercept: w[keys.length],
    blockMs: Object.fromEntries(keys.map((k, j) => [k, Math.max(0, w[j])])),
    fit: { lambda: RIDGE_STRENGTHS[best], cvError: errors[best], lineCvError: lineError },
    samples: line.samples,
    seed: line.seed,
  };
}

/** Sum of products over the first a.length elements (a weight vector may carry an intercept after them). */
const dot = (a: readonly number[], b: readonly number[]) => a.reduce((s, x, j) => s + x * b[j], 0);

/** How many times each block enters each arch's sum (from the compiled sum, one block at a time); undefined where the space's sum is not linear in its entries. */
function blockCounts(table: LatencyTable, keys: string[], space: LatencySpace, archs: Arch[]): number[][] | undefined {
  const zero = Object.fromEntries(keys.map((k) => [k, { ...table.entries[k], ms: 0 }]));
  const counts = archs.map(() => new Array<number>(keys.length).fill(0));
  keys.forEach((k, j) => {
    const sum = space.compile({ ...zero, [k]: { ...table.entries[k], ms: 1 } }, table.resolutions, table.device);
    archs.forEach((a, i) => (counts[i][j] = sum(a)));
  });
  const full = space.compile(table.entries, table.resolutions, table.device);
  const figures = keys.map((k) => table.entries[k].ms);
  const linear = archs.every((a, i) => Math.abs(dot(counts[i], figures) - full(a)) <= 1e-9 * Math.max(1, full(a)));
  return linear ? counts : undefined;
}

/** Least squares on relative errors, each block's cost pulled towards its prior with strength lambda. */
function ridge(counts: number[][], ms: number[], prior: number[], scale: number[], intercept: number, lambda: number): number[] | undefined {
  const k = prior.length;
  const rows = counts.map((row, i) => [...row.map((n) => n / ms[i]), 1 / ms[i]]);
  const ys = ms.map(() => 1);
  prior.forEach((p, j) => {
    const row = new Array<number>(k + 1).fill(0);
    row[j] = Math.sqrt(lambda) / scale[j];
    rows.push(row);
    ys.push(p * row[j]);
  });
  // A faint pull on the intercept keeps the solve defined where every arch runs the same fixed blocks.
  const row = new Array<number>(k + 1).fill(0);
  row[k] = 1e-3;
  rows.push(row);
  ys.push(intercept * 1e-3);
  return leastSquares(rows, ys);
}
