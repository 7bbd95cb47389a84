import { existsSync, renameSync, rmSync } from 'node:fs';
import { InputError } from '../tensor/index.js';
import { RandomMutator, type Arch } from '../space/index.js';
import { spaceOf } from '../networks/index.js';
import { otherCpuMeter, quantile, TIMING_PROTOCOL, type ProtocolOptions, type RepeatedTiming, type SessionSettings } from '../runtime/index.js';
import { measureArchs, timeModels, type MeasureOptions } from './measure.js';
import type { LatencySpace } from './space.js';
import { LatencyPredictor } from './predictor.js';
import { fitPerBlock } from './per_block.js';
import { fitLinear, leastSquares } from './stats.js';
import { checkTableFits, emptyTable, LOCAL_DEVICE, readTable, writeTable, type Calibration, type LatencyTable, type TableTiming } from './table.js';

export interface ProfileOptions {
  device: string;
  space: LatencySpace;
  resolutions?: number[];
  settings: SessionSettings;
  /** Timed runs per block, spread over the protocol's passes. */
  runs?: number;
  /** Subnets measured end to end to fit the calibration, at least (more while `calibrationSeconds` last). */
  calibrationSamples?: number;
  /** Time for more calibration subnets, up to `MAX_CALIBRATION_SAMPLES` (cheap for sub-millisecond models). */
  calibrationSeconds?: number;
  calibrationSeed?: number;
  /** Continue the table at `path` instead of starting over. */
  resume?: boolean;
  /** Changes to the timing protocol (tests: shorter passes). */
  timing?: ProtocolOptions;
  /** Scale every figure to one machine speed, measured with the reference model (default true). */
  reference?: boolean;
  /** With the reference: keep raw figures where they fit the calibration clearly better (default true; `chooseScaling`). */
  chooseScaling?: boolean;
  /** Keep a `local` table even when its timings did not repeat or other processes were busy (also HBX_LATENCY_FORCE=1). */
  force?: boolean;
  path: string;
  onProgress?: (phase: 'blocks' | 'calibration', done: number, total: number) => void;
}

export const DEFAULT_CALIBRATION_SAMPLES = 20;
export const MAX_CALIBRATION_SAMPLES = 100;
export const DEFAULT_CALIBRATION_SECONDS = 15;
export const CALIBRATION_SEED = 1;
/**
 * Blocks' passes last at least this long (the protocol's 20 ms is for end-to-end models): on
 * the ImageNet space, side by side in one run of `bench/latency-protocol.ts --variants pass`,
 * 5 ms passes profiled in 79 s instead of 155 s and validated as well (68% / 55% within +-10%,
 * Spearman 0.990 / 0.984, against 69% / 45%, 0.977 / 0.981).
 */
export const BLOCK_MIN_PASS_MS = 5;
/** A `local` table whose models' passes disagree by more than this (median) is not kept. */
export const MAX_TABLE_SPREAD = 0.1;
/** Nor one profiled while other processes kept more than this many cores busy on average. */
export const MAX_OTHER_CORES = 0.5;

/**
 * Profiles every distinct block of the space at the given resolutions with the deployment
 * settings and the timing protocol, one resolution group at a time, writing the table
 * atomically after each group; then fits the calibration on subnets measured end to end and
 * records how well the timings repeated. With `resume`, groups already in the table are
 * kept. A `local` table that did not repeat, or was taken while other processes were busy,
 * is refused (moved aside to `<path>.refused`) unless `force`.
 */
export async function profileDevice(o: ProfileOptions): Promise<LatencyTable> {
  const resolutions = [...(o.resolutions ?? o.space.resolutions)].sort((a, b) => a - b);
  const bad = resolutions.find((r) => !o.space.resolutions.includes(r));
  if (bad !== undefined) throw new InputError(`--resolutions: ${bad} is not a resolution of ${o.space.space} (${o.space.resolutions.join(', ')})`);
  const otherCores = otherCpuMeter();
  let table = emptyTable(o.device, o.space.space, o.space.spaceOptions, resolutions, o.settings);
  const previous = `${o.path}.previous`;
  if (!o.resume && existsSync(o.path)) renameSync(o.path, previous); // back if this profile is refused
  if (o.resume && existsSync(o.path)) {
    const old = readTable(o.path);
    checkTableFits(old, o.path, { space: o.space.space, spaceOptions: o.space.spaceOptions, settings: o.settings });
    table = { ...old, resolutions: [...new Set([...old.resolutions, ...resolutions])].sort((a, b) => a - b) };
    if (old.resolutions.length !== table.resolutions.length) delete table.calibration;
  }
  const groups = o.space.blockGroups(table.resolutions);
  const total = groups.reduce((n, g) => n + g.blocks.length, 0);
  let done = groups.reduce((n, g) => n + g.blocks.filter((b) => table.entries[b.key]).length, 0);
  let retimed = 0;
  o.onProgress?.('blocks', done, total);
  for (const group of groups) {
    const missing = group.blocks.filter((b) => !table.entries[b.key]);
    if (missing.length === 0) continue;
    const timings = await timeModels(
      missing.map((b) => () => o.space.blockOnnx(b)),
      {
        settings: o.settings,
        runsPerPass: Math.ceil((o.runs ?? 60) / TIMING_PROTOCOL.passes),
        minPassMs: BLOCK_MIN_PASS_MS,
        ...o.timing,
        groupSize: missing.length,
        reference: referenceOf(table, o),
      },
    );
    if (o.reference !== false) table.referenceMs ??= timings[0].referenceMs;
    missing.forEach((b, i) => (table.entries[b.key] = { ms: round(timings[i].ms), p90Ms: round(timings[i].p90Ms), runs: timings[i].runs, spread: round(timings[i].spread), ...(timings[i].rawMs !== undefined ? { rawMs: round(timings[i].rawMs!) } : {}) }));
    retimed += timings.reduce((n, t) => n + t.retimed, 0);
    done += missing.length;
    writeTable(o.path, table);
    o.onProgress?.('blocks', done, total);
  }
  if (!table.calibration) {
    const calibration = await calibrate(table, o);
    table = calibration.table;
    retimed += calibration.timings.reduce((n, t) => n + t.retimed, 0);
    const spreads = [...Object.values(table.entries).map((e) => e.spread ?? 0), ...calibration.timings.map((t) => t.spread)];
    table.timing = { ...timingSummary(spreads, retimed, otherCores()), ...(calibration.scaling ? { scaling: calibration.scaling } : {}) };
    writeTable(o.path, table);
  }
  const force = o.force ?? process.env.HBX_LATENCY_FORCE === '1';
  const refusal = o.device === LOCAL_DEVICE && !force && table.timing ? noisyTableReason(table.timing) : undefined;
  if (refusal) {
    renameSync(o.path, `${o.path}.refused`);
    if (existsSync(previous)) renameSync(previous, o.path);
    throw new InputError(`${o.path}: new table not kept (moved to ${o.path}.refused): ${refusal}; profile again on a quiet machine, or keep it with --force`);
  }
  rmSync(previous, { force: true });
  return table;
}

/** How a profile's timings take the machine's speed out: to the table's reference figure once it has one. */
function referenceOf(table: LatencyTable, o: ProfileOptions): MeasureOptions['reference'] {
  return o.reference !== false && (referenceFor(table) || true);
}

/** How measurements against a table take the machine's speed out (as the table's own were). */
export function referenceFor(table: LatencyTable): MeasureOptions['reference'] {
  return table.referenceMs ? { referenceMs: table.referenceMs } : false;
}

function timingSummary(spreads: number[], retimed: number, otherCores: number): TableTiming {
  const sorted = [...spreads].sort((a, b) => a - b);
  return {
    protocol: TIMING_PROTOCOL.statistic,
    passes: TIMING_PROTOCOL.passes,
    spreadMedian: round(quantile(sorted, 0.5)),
    spreadP90: round(quantile(sorted, 0.9)),
    retimed,
    otherCores: round(otherCores),
  };
}

/** Why a table's timings cannot be trusted for this machine, or undefined. */
export function noisyTableReason(t: TableTiming): string | undefined {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  if (t.spreadMedian > MAX_TABLE_SPREAD) return `its timings did not repeat (passes over the same model ${pct(t.spreadMedian)} apart in the median, limit ${pct(MAX_TABLE_SPREAD)})`;
  if (t.otherCores > MAX_OTHER_CORES) return `other processes kept ${t.otherCores.toFixed(2)} cores busy while it was profiled (limit ${MAX_OTHER_CORES})`;
  return undefined;
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

/**
 * Measures subnets spread over the table's range end to end and fits the calibration: first
 * `calibrationSamples`, then, while `calibrationSeconds` last, more (a second spread draw)
 * up to MAX_CALIBRATION_SAMPLES: where end-to-end timing is cheap, more of it.
 */
async function calibrate(table: LatencyTable, o: ProfileOptions): Promise<{ table: LatencyTable; timings: RepeatedTiming[]; scaling?: Scaling }> {
  const samples = o.calibrationSamples ?? DEFAULT_CALIBRATION_SAMPLES;
  const seed = o.calibrationSeed ?? CALIBRATION_SEED;
  const started = performance.now();
  const supernet = o.space.supernet(table.resolutions);
  const measure = (archs: Arch[], offset: number, total: number) =>
    measureArchs(o.space, supernet, archs, { settings: o.settings, ...o.timing, reference: referenceOf(table, o), onProgress: (d) => o.onProgress?.('calibration', offset + d, total) });
  const archs = spreadArchs(o.space, table, samples, seed);
  const timings = await measure(archs, 0, samples);
  const perSubnet = (performance.now() - started) / 1000 / Math.max(1, samples);
  const more = Math.min(MAX_CALIBRATION_SAMPLES - samples, Math.floor(((o.calibrationSeconds ?? DEFAULT_CALIBRATION_SECONDS) - perSubnet * samples) / perSubnet));
  if (more >= samples / 2) {
    const extra = spreadArchs(o.space, table, more, seed + 1);
    timings.push(...(await measure(extra, samples, samples + more)));
    archs.push(...extra);
  }
  supernet.dispose();
  if (o.chooseScaling === false) return { table: withCalibration(stripRaw(table), o.space, archs, timings.map((t) => t.ms), seed), timings };
  return { ...chooseScaling(table, o.space, archs, timings, seed), timings };
}

/** Raw figures replace scaled ones only where their calibration fits at least this much better (relative RMS error). */
export const RAW_FIT_MARGIN = 0.8;

/**
 * The calibration fitted on figures scaled by the reference model and on raw ones; keeps the
 * scaled table unless the raw one fits its end-to-end timings clearly better (RAW_FIT_MARGIN).
 * The choice was made when the reference's own figure jumped by about 0.2 ms in stretches (page
 * faults on its large output, see TIMING_PROTOCOL; its output is pooled since), which a speed
 * ratio misread on spaces of sub-millisecond models (README, "Every built-in space, validated").
 */
export function chooseScaling(table: LatencyTable, space: LatencySpace, archs: Arch[], timings: RepeatedTiming[], seed: number): { table: LatencyTable; scaling?: Scaling } {
  const scaled = withCalibration(table, space, archs, timings.map((t) => t.ms), seed);
  const haveRaw = table.referenceMs !== undefined && timings.every((t) => t.rawMs !== undefined) && Object.values(table.entries).every((e) => e.rawMs !== undefined);
  if (!haveRaw) return { table: scaled };
  const { referenceMs: _reference, ...unscaled } = table;
  const raw = withCalibration(stripRaw(unscaled, true), space, archs, timings.map((t) => t.rawMs!), seed);
  const scaledFitError = fitError(scaled, space, archs, timings.map((t) => t.ms));
  const rawFitError = fitError(raw, space, archs, timings.map((t) => t.rawMs!));
  const kept = rawFitError >= RAW_FIT_MARGIN * scaledFitError;
  return { table: kept ? stripRaw(scaled) : raw, scaling: { kept, scaledFitError: round(scaledFitError), rawFitError: round(rawFitError) } };
}

type Scaling = NonNullable<NonNullable<LatencyTable['timing']>['scaling']>;

/** The table without its entries' raw figures (or, with `useRaw`, with them as the figures). */
function stripRaw(t: LatencyTable, useRaw = false): LatencyTable {
  return { ...t, entries: Object.fromEntries(Object.entries(t.entries).map(([k, { rawMs, ...e }]) => [k, useRaw ? { ...e, ms: rawMs! } : e])) };
}

/** Relative RMS error of a calibrated table's predictions against end-to-end timings. */
function fitError(table: LatencyTable, space: LatencySpace, archs: Arch[], measuredMs: number[]): number {
  const predictor = new LatencyPredictor(table, space);
  return Math.sqrt(archs.reduce((n, a, i) => n + ((predictor.predict(a) - measuredMs[i]) / measuredMs[i]) ** 2, 0) / archs.length);
}

/**
 * `count` archs spread over the table's range: drawn uniformly, many more than needed, then
 * kept at evenly spaced ranks of their block sum, smallest and largest included. Uniform
 * draws bunch around the middle, and a slope fitted on bunched, noisy sub-ms timings swings.
 */
export function spreadArchs(space: LatencySpace, table: LatencyTable, count: number, seed: number): Arch[] {
  const raw = new LatencyPredictor({ ...table, calibration: undefined }, space);
  return spreadBy(sampleArchs(space, table.resolutions, count * 25, seed), (arch) => raw.blockSum(arch), count);
}

/** `count` archs spread over the space's range of MACs (where no table exists yet: a few-shot bundle). */
export function spreadArchsByMacs(space: LatencySpace, resolutions: number[], count: number, seed: number): Arch[] {
  const supernet = space.supernet(resolutions);
  const def = spaceOf(supernet);
  try {
    return spreadBy(sampleArchs(space, resolutions, count * 25, seed), (arch) => def.cost(supernet, arch).macs, count);
  } finally {
    supernet.dispose();
  }
}

/** The archs at evenly spaced ranks of `size`, smallest and largest included. */
function spreadBy(pool: Arch[], size: (arch: Arch) => number, count: number): Arch[] {
  const ranked = pool.map((arch) => ({ arch, size: size(arch) })).sort((a, b) => a.size - b.size);
  if (count < 2) return ranked.slice(0, count).map((p) => p.arch);
  return Array.from({ length: count }, (_, i) => ranked[Math.round((i * (ranked.length - 1)) / (count - 1))].arch);
}

/** Fewest end-to-end timings the per-block term is fitted from (with fewer, a line). */
export const MIN_SAMPLES_PER_BLOCK_FIT = 8;
const plausibleSlope = (slope: number) => slope > 0.1 && slope < 4;

/**
 * Fits the calibration on measured archs: ms = slope * block sum + perBlock * blocks +
 * intercept. A block timed alone pays a run's fixed cost (session call, input and output
 * copies) that a subnet pays once, so the sum overcounts by about that much per block; the
 * per-block term takes it out (for the Fashion-MNIST space the sum is twice the end-to-end
 * time). With few timings, or an implausible fit, a line; failing that, the offset alone.
 */
export function withCalibration(table: LatencyTable, space: LatencySpace, archs: Arch[], measuredMs: number[], seed: number): LatencyTable {
  const raw = new LatencyPredictor({ ...table, calibration: undefined }, space);
  const sums = archs.map((a) => raw.blockSum(a));
  const counts = archs.map((a) => raw.blockCount(a));
  const base = { samples: archs.length, seed };
  if (archs.length >= MIN_SAMPLES_PER_BLOCK_FIT) {
    const w = leastSquares(archs.map((_, i) => [sums[i], counts[i], 1]), measuredMs);
    if (w && plausibleSlope(w[0])) {
      const line: Calibration = { model: 'blocks', slope: w[0], perBlock: w[1], intercept: w[2], ...base };
      return { ...table, calibration: fitPerBlock(table, line, space, archs, measuredMs) ?? line };
    }
  }
  const { slope, intercept } = fitLinear(sums, measuredMs);
  if (plausibleSlope(slope)) return { ...table, calibration: { model: 'linear', slope, intercept, ...base } };
  // Too few or too noisy samples for a slope (tiny models): keep the sums, fit the offset only.
  const offset = measuredMs.reduce((acc, m, i) => acc + m - sums[i], 0) / sums.length;
  return { ...table, calibration: { model: 'linear', slope: 1, intercept: offset, ...base } };
}
