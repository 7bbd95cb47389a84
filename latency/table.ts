import { existsSync, readdirSync } from 'node:fs';
import { homedir, hostname, cpus, totalmem, platform, arch as cpuArch } from 'node:os';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { HBX_VERSION, InputError, zodInputError } from '../tensor/index.js';
import { readJsonFile, writeFileAtomic } from '../space/index.js';
import { runtimeOf, TIMING_PROTOCOL, type SessionSettings } from '../runtime/index.js';

export const entrySchema = z
  .object({
    ms: z.number().nonnegative(),
    p90Ms: z.number().nonnegative(),
    runs: z.number().int().positive(),
    /** How far the protocol's first passes over this block disagreed (max / min - 1). */
    spread: z.number().nonnegative().optional(),
    /** While profiling with the reference model: the figure before scaling (ms), for the choice between the two. */
    rawMs: z.number().nonnegative().optional(),
  })
  .strict();

export const calibrationSchema = z
  .object({
    /**
     * linear: slope * block sum + intercept; blocks: the same plus perBlock * number of blocks;
     * per-block: the sum of each block's fitted end-to-end cost (blockMs) times slope, plus intercept.
     */
    model: z.enum(['linear', 'blocks', 'per-block']),
    slope: z.number(),
    /** What each block adds or saves end to end (ms): a block timed alone pays a whole run's overhead. */
    perBlock: z.number().optional(),
    intercept: z.number(),
    /** per-block: what each block costs inside a whole model (ms), fitted on the end-to-end timings. */
    blockMs: z.record(z.string(), z.number().nonnegative()).optional(),
    /** per-block: the ridge strength chosen and the cross-validated relative RMS errors that chose this model over the line. */
    fit: z.object({ lambda: z.number().positive(), cvError: z.number().nonnegative(), lineCvError: z.number().nonnegative() }).strict().optional(),
    samples: z.number().int().positive(),
    seed: z.number().int(),
  })
  .strict()
  .refine((c) => (c.model === 'per-block') === (c.blockMs !== undefined), { message: "blockMs is given exactly when model is 'per-block'", path: ['blockMs'] });

export const runtimeSchema = z
  .object({
    name: z.string(),
    version: z.string(),
    provider: z.enum(['cpu', 'wasm']),
    threads: z.number().int().positive(),
    interOpThreads: z.number().int().positive(),
    graphOptimizationLevel: z.enum(['disabled', 'basic', 'extended', 'all']),
  })
  .strict();

export const timingSchema = z
  .object({
    protocol: z.string(),
    passes: z.number().int().positive(),
    /** Over the blocks and the calibration subnets: median and 90th percentile of their passes' spread (max / min - 1). */
    spreadMedian: z.number().nonnegative(),
    spreadP90: z.number().nonnegative(),
    /** Models timed again because their first passes disagreed. */
    retimed: z.number().int().nonnegative(),
    /** Cores other processes kept busy on average while the table was profiled. */
    otherCores: z.number().nonnegative(),
    /**
     * Whether figures are scaled by the reference model: the calibration was fitted both ways
     * (scaled and raw figures) and the one that fits its end-to-end timings better is kept;
     * the fits' relative RMS errors.
     */
    scaling: z.object({ kept: z.boolean(), scaledFitError: z.number().nonnegative(), rawFitError: z.number().nonnegative() }).strict().optional(),
  })
  .strict();

export const latencyTableSchema = z
  .object({
    device: z.string().min(1),
    space: z.string().min(1),
    /** The space configuration the blocks were built for (widths, classes, input channels...). */
    spaceOptions: z.record(z.string(), z.unknown()),
    resolutions: z.array(z.number().int().positive()),
    runtime: runtimeSchema,
    host: z.record(z.string(), z.union([z.string(), z.number()])),
    createdAt: z.string(),
    entries: z.record(z.string(), entrySchema),
    calibration: calibrationSchema.optional(),
    /** The hbx version that profiled the table. */
    hbx: z.string().optional(),
    /**
     * The reference model's figure while the table was profiled (ms): entries and calibration
     * are scaled to the machine running at that speed, and so are later measurements against it.
     */
    referenceMs: z.number().positive().optional(),
    /** How the table was timed and how well its timings repeated (tables profiled here). */
    timing: timingSchema.optional(),
    /** A device built from another's table and a few end-to-end timings (`hbx latency adapt`). */
    adapted: z.object({ from: z.string().min(1), timings: z.number().int().positive() }).strict().optional(),
  })
  .strict();

export type LatencyTable = z.infer<typeof latencyTableSchema>;

/** `adapted from 'local' with 10 timings`, for an adapted device's table. */
export const describeAdaptation = (a: NonNullable<LatencyTable['adapted']>): string => `adapted from '${a.from}' with ${a.timings} timings`;
export type Calibration = z.infer<typeof calibrationSchema>;

const pct1 = (x: number) => `${(x * 100).toFixed(1)}%`;
const signed = (x: number, digits: number) => `${x >= 0 ? '+' : '-'} ${Math.abs(x).toFixed(digits)}`;

/** `ms = 0.8226 x block sum - 0.0036 x blocks - 0.0316`: the calibration as its formula. */
export function describeCalibration(c: Calibration): string {
  if (c.blockMs) {
    const scaled = c.slope !== 1 ? `${c.slope.toFixed(4)} x ` : '';
    const fit = c.fit ? ` (ridge ${c.fit.lambda}; cross-validated error ${pct1(c.fit.cvError)}, the line's ${pct1(c.fit.lineCvError)})` : '';
    return `ms = ${scaled}sum of ${Object.keys(c.blockMs).length} fitted block costs ${signed(c.intercept, 4)}${fit}`;
  }
  const perBlock = c.perBlock != null ? ` ${signed(c.perBlock, 4)} x blocks` : '';
  return `ms = ${c.slope.toFixed(4)} x block sum${perBlock} ${signed(c.intercept, 4)}`;
}
export type TableTiming = z.infer<typeof timingSchema>;

/** How well a table's timings repeated, in a phrase. */
export function describeTiming(t: TableTiming): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  return `passes over the same model ${pct(t.spreadMedian)} apart (median, p90 ${pct(t.spreadP90)}), ${t.retimed} re-timed, other processes ${t.otherCores.toFixed(2)} cores`;
}
export type TableEntry = z.infer<typeof entrySchema>;

/** This machine, as a device. */
export const LOCAL_DEVICE = 'local';

export function hbxHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.HBX_HOME ?? join(homedir(), '.cache', 'hbx');
}

export function tablePath(device: string, env: NodeJS.ProcessEnv = process.env): string {
  if (!/^[A-Za-z0-9._-]+$/.test(device)) throw new InputError(`--device: '${device}' is not a valid device name (letters, digits, . _ -)`);
  return join(hbxHome(env), 'latency', `${device}.json`);
}

export function hostInfo(): Record<string, string | number> {
  const c = cpus();
  return { hostname: hostname(), platform: platform(), arch: cpuArch(), cpu: c[0]?.model ?? 'unknown', cores: c.length, memoryGiB: Math.round(totalmem() / 2 ** 30) };
}

export function runtimeInfo(settings: SessionSettings): LatencyTable['runtime'] {
  return { ...runtimeOf(settings.provider), ...settings };
}

export function emptyTable(device: string, space: string, spaceOptions: object, resolutions: number[], settings: SessionSettings): LatencyTable {
  return {
    device,
    space,
    spaceOptions: { ...spaceOptions },
    resolutions: [...resolutions].sort((a, b) => a - b),
    runtime: runtimeInfo(settings),
    host: hostInfo(),
    hbx: HBX_VERSION,
    createdAt: new Date().toISOString(),
    entries: {},
  };
}

export function parseTable(json: unknown, source: string): LatencyTable {
  const r = latencyTableSchema.safeParse(json);
  if (!r.success) throw zodInputError(source, r.error.issues);
  return r.data;
}

export function readTable(path: string): LatencyTable {
  return parseTable(readJsonFile(path), path);
}

export function writeTable(path: string, table: LatencyTable): void {
  writeFileAtomic(path, `${JSON.stringify(table, null, 1)}\n`);
}

/** How to get a table for a device that has none. */
export function noTableMessage(device: string, path: string): string {
  return (
    `device '${device}': no latency table at ${path}; profile it on the device with ` +
    `'hbx latency profile --device ${device}', or run 'hbx latency bundle --out DIR' here, the bundle's ` +
    `run.mjs on the device, and 'hbx latency import DIR/results.json --device ${device}' here`
  );
}

/**
 * Checks that a table fits the space configuration and runtime settings a prediction is
 * for; a mismatch is an error naming the field.
 */
export function checkTableFits(table: LatencyTable, source: string, want: { space: string; spaceOptions: object; settings?: SessionSettings }): void {
  if (table.space !== want.space) throw new InputError(`${source}: field 'space': table is for '${table.space}', expected '${want.space}'`);
  const have = JSON.stringify(table.spaceOptions);
  const wanted = JSON.stringify({ ...want.spaceOptions });
  if (have !== wanted) throw new InputError(`${source}: field 'spaceOptions': table was profiled for ${have}, expected ${wanted}`);
  if (want.settings) {
    for (const k of ['provider', 'threads', 'interOpThreads', 'graphOptimizationLevel'] as const) {
      if (table.runtime[k] !== want.settings[k]) {
        throw new InputError(`${source}: field 'runtime.${k}': table was profiled with ${table.runtime[k]}, this run uses ${want.settings[k]}`);
      }
    }
  }
}

export function listTables(env: NodeJS.ProcessEnv = process.env): { device: string; path: string }[] {
  const dir = join(hbxHome(env), 'latency');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => ({ device: basename(f, '.json'), path: join(dir, f) }));
}

/** What makes a `local` table describe this machine: its CPU, not its (container) hostname. */
const FINGERPRINT = ['platform', 'arch', 'cpu', 'cores', 'memoryGiB'] as const;

/**
 * Why a table profiled here no longer describes this machine, or undefined when it does:
 * another hbx or ONNX Runtime version, another host, or an older timing protocol.
 */
export function staleReason(table: LatencyTable): string | undefined {
  if (!table.timing) return 'it was timed by an older protocol (no repeatability recorded)';
  if (table.timing.protocol !== TIMING_PROTOCOL.statistic) return `it was timed by another protocol (${table.timing.protocol})`;
  if (table.hbx !== HBX_VERSION) return `it was profiled by hbx ${table.hbx ?? 'unknown'}, this is ${HBX_VERSION}`;
  const runtime = runtimeOf(table.runtime.provider);
  if (table.runtime.version !== runtime.version) return `it was profiled with ${table.runtime.name} ${table.runtime.version}, this is ${runtime.version}`;
  const here = hostInfo();
  const moved = FINGERPRINT.find((k) => table.host[k] !== here[k]);
  if (moved) return `it was profiled on another host (${moved} ${table.host[moved]}, here ${here[moved]})`;
  return undefined;
}
