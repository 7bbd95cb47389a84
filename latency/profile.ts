import { existsSync } from 'node:fs';
import { InputError } from '../tensor/index.js';
import { RandomMutator, type Arch } from '../space/index.js';
import type { SessionSettings } from '../runtime/index.js';
import { measureArchs, timeModels } from './measure.js';
import type { LatencySpace } from './ofa_space.js';
import { LatencyPredictor } from './predictor.js';
import { fitLinear } from './stats.js';
import { checkTableFits, emptyTable, readTable, writeTable, type LatencyTable } from './table.js';

export interface ProfileOptions {
  device: string;
  space: LatencySpace;
  resolutions?: number[];
  settings: SessionSettings;
  /** Timed runs per block (interleaved with the other blocks of its group). */
  runs?: number;
  /** Subnets measured end to end to fit the calibration. */
  calibrationSamples?: number;
  calibrationSeed?: number;
  /** Continue the table at `path` instead of starting over. */
  resume?: boolean;
  path: string;
  onProgress?: (phase: 'blocks' | 'calibration', done: number, total: number) => void;
}

export const DEFAULT_CALIBRATION_SAMPLES = 20;
export const CALIBRATION_SEED = 1;

/**
 * Profiles every distinct block of the space at the given resolutions with the deployment
 * settings, one resolution group at a time (the group's blocks timed interleaved), writing
 * the table atomically after each group; then fits the calibration on subnets measured end
 * to end. With `resume`, groups already in the table are kept.
 */
export async function profileDevice(o: ProfileOptions): Promise<LatencyTable> {
  const resolutions = [...(o.resolutions ?? o.space.resolutions)].sort((a, b) => a - b);
  const bad = resolutions.find((r) => !o.space.resolutions.includes(r));
  if (bad !== undefined) throw new InputError(`--resolutions: ${bad} is not a resolution of ${o.space.space} (${o.space.resolutions.join(', ')})`);
  let table = emptyTable(o.device, o.space.space, o.space.spaceOptions, resolutions, o.settings);
  if (o.resume && existsSync(o.path)) {
    const old = readTable(o.path);
    checkTableFits(old, o.path, { space: o.space.space, spaceOptions: o.space.spaceOptions, settings: o.settings });
    table = { ...old, resolutions: [...new Set([...old.resolutions, ...resolutions])].sort((a, b) => a - b) };
    if (old.resolutions.length !== table.resolutions.length) delete table.calibration;
  }
  const groups = o.space.blockGroups(table.resolutions);
  const total = groups.reduce((n, g) => n + g.blocks.length, 0);
  let done = groups.reduce((n, g) => n + g.blocks.filter((b) => table.entries[b.key]).length, 0);
  o.onProgress?.('blocks', done, total);
  for (const group of groups) {
    const missing = group.blocks.filter((b) => !table.entries[b.key]);
    if (missing.length === 0) continue;
    const timings = await timeModels(
      missing.map((b) => () => o.space.blockOnnx(b.spec)),
      { settings: o.settings, runs: o.runs ?? 60, warmup: 5, groupSize: missing.length },
    );
    missing.forEach((b, i) => (table.entries[b.key] = { ms: round(timings[i].medianMs), p90Ms: round(timings[i].p90Ms), runs: timings[i].runs }));
    done += missing.length;
    writeTable(o.path, table);
    o.onProgress?.('blocks', done, total);
  }
  if (!table.calibration) {
    table = await calibrate(table, o);
    writeTable(o.path, table);
  }
  return table;
}

const round = (ms: number) => Math.round(ms * 1e5) / 1e5;

/** `count` archs drawn uniformly (seeded) from the space restricted to `resolutions`. */
export function sampleArchs(space: LatencySpace, resolutions: number[], count: number, seed: number): Arch[] {
  const supernet = space.supernet(resolutions);
  const mutator = new RandomMutator(supernet, { seed });
  const archs = Array.from({ length: count }, () => mutator.reset());
  supernet.dispose();
  return archs;
}

async function calibrate(table: LatencyTable, o: ProfileOptions): Promise<LatencyTable> {
  const samples = o.calibrationSamples ?? DEFAULT_CALIBRATION_SAMPLES;
  const seed = o.calibrationSeed ?? CALIBRATION_SEED;
  const archs = spreadArchs(o.space, table, samples, seed);
  const supernet = o.space.supernet(table.resolutions);
  const timings = await measureArchs(o.space, supernet, archs, {
    settings: o.settings,
    onProgress: (d, t) => o.onProgress?.('calibration', d, t),
  });
  supernet.dispose();
  return withCalibration(table, o.space, archs, timings.map((t) => t.medianMs), seed);
}

/**
 * `count` archs spread over the table's range: drawn uniformly, many more than needed, then
 * kept at evenly spaced ranks of their block sum, smallest and largest included. Uniform
 * draws bunch around the middle, and a slope fitted on bunched, noisy sub-ms timings swings.
 */
export function spreadArchs(space: LatencySpace, table: LatencyTable, count: number, seed: number): Arch[] {
  const raw = new LatencyPredictor({ ...table, calibration: undefined }, space);
  const pool = sampleArchs(space, table.resolutions, count * 25, seed)
    .map((arch) => ({ arch, sum: raw.blockSum(arch) }))
    .sort((a, b) => a.sum - b.sum);
  if (count < 2) return pool.slice(0, count).map((p) => p.arch);
  return Array.from({ length: count }, (_, i) => pool[Math.round((i * (pool.length - 1)) / (count - 1))].arch);
}

/** Fits predicted = slope * blockSum + intercept on measured archs. */
export function withCalibration(table: LatencyTable, space: LatencySpace, archs: Arch[], measuredMs: number[], seed: number): LatencyTable {
  const raw = new LatencyPredictor({ ...table, calibration: undefined }, space);
  const sums = archs.map((a) => raw.blockSum(a));
  let { slope, intercept } = fitLinear(sums, measuredMs);
  if (!(slope > 0.1 && slope < 4)) {
    // Too few or too noisy samples for a slope (tiny models): keep the sums, fit the offset only.
    slope = 1;
    intercept = measuredMs.reduce((acc, m, i) => acc + m - sums[i], 0) / sums.length;
  }
  return { ...table, calibration: { model: 'linear', slope, intercept, samples: archs.length, seed } };
}
