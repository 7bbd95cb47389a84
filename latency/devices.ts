import { createHash } from 'node:crypto';
import { existsSync, renameSync } from 'node:fs';
import { InputError } from '../tensor/index.js';
import { getSpace } from '../networks/index.js';
import type { SessionSettings } from '../runtime/index.js';
import { latencySpaceOf, type LatencySpace } from './space.js';
import { LatencyPredictor } from './predictor.js';
import { profileDevice, type ProfileOptions } from './profile.js';
import { checkTableFits, LOCAL_DEVICE, noTableMessage, readTable, staleReason, tablePath } from './table.js';

export { LOCAL_DEVICE };

export function latencySpaceFor(spaceId: string): LatencySpace {
  return latencySpaceOf(getSpace(spaceId).create());
}

export interface OpenPredictorOptions {
  device: string;
  space: LatencySpace;
  settings: SessionSettings;
  /** An explicit table file instead of $HBX_HOME/latency/<device>.json. */
  table?: string;
  onProgress?: ProfileOptions['onProgress'];
  /** Profile `local` when it has no table (default); false makes that an error too. */
  profileLocal?: boolean;
  /** Told why a cached `local` table is profiled again (another hbx, ONNX Runtime or host). */
  onStale?: (why: string) => void;
  /** Keep a `local` table profiled on a busy or noisy machine. */
  force?: boolean;
  /** How `local` is profiled when it must be (runs, calibration subnets). */
  profile?: Pick<ProfileOptions, 'runs' | 'calibrationSamples' | 'calibrationSeconds' | 'timing'>;
}

/**
 * The predictor for a device: its table, checked against the space and settings. The
 * `local` device is profiled on first use; any other device without a table is an error
 * that says how to get one.
 */
export async function openPredictor(o: OpenPredictorOptions): Promise<LatencyPredictor> {
  const want = { space: o.space.space, spaceOptions: o.space.spaceOptions, settings: o.settings };
  let path = o.table ?? tablePath(o.device);
  if (o.table && !existsSync(path)) throw new InputError(`--table: ${o.table} does not exist`);
  if (!o.table) {
    // One device, several spaces or settings: the others' tables sit beside the first (a missing one is profiled only on local).
    const own = deviceTablePath(o.device, want);
    if (existsSync(own) || o.device === LOCAL_DEVICE) path = own;
  }
  const stale = !o.table && o.device === LOCAL_DEVICE && existsSync(path) ? staleReason(readTable(path)) : undefined;
  if (stale) {
    // Kept beside, not overwritten: a refused re-profile must not lose it.
    renameSync(path, `${path}.stale`);
    o.onStale?.(`${path}: profiled again, ${stale} (the old table is at ${path}.stale)`);
  }
  if (!existsSync(path)) {
    if (o.device !== LOCAL_DEVICE) throw new InputError(noTableMessage(o.device, path));
    if (o.profileLocal === false && !stale) throw new InputError(`device '${o.device}': no latency table at ${path}; profile this machine first with 'hbx latency profile --device ${o.device}'`);
    await profileDevice({ ...o.profile, device: o.device, space: o.space, settings: o.settings, path, force: o.force, onProgress: o.onProgress });
  }
  const table = readTable(path);
  checkTableFits(table, path, want);
  if (!table.calibration) throw new InputError(`${path}: field 'calibration': missing (profile interrupted?); run 'hbx latency profile --device ${o.device} --resume'`);
  return new LatencyPredictor(table, o.space, path);
}

type TableWant = Parameters<typeof checkTableFits>[2];

function fits(path: string, want: TableWant): boolean {
  try {
    checkTableFits(readTable(path), path, want);
    return true;
  } catch (e) {
    if (e instanceof InputError) return false;
    throw e;
  }
}

/**
 * Where a device's table for this space and settings is written: `<device>.json` when that is
 * free or already holds them, else `<device>.<hash>.json` beside it (never over another space's table).
 */
export function deviceTablePath(device: string, want: TableWant): string {
  const path = tablePath(device);
  return !existsSync(path) || fits(path, want) ? path : variantTablePath(device, want);
}

/** `<device>.<hash>.json`: the table of a device for a space configuration and settings other than its first table's. */
export function variantTablePath(device: string, want: TableWant): string {
  const s = want.settings;
  const settings = s && { provider: s.provider, threads: s.threads, interOpThreads: s.interOpThreads, graphOptimizationLevel: s.graphOptimizationLevel };
  const hash = createHash('sha256').update(JSON.stringify([want.space, want.spaceOptions, settings])).digest('hex').slice(0, 10);
  return tablePath(device).replace(/\.json$/, `.${hash}.json`);
}
