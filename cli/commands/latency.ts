import type { Command } from 'commander';
import { dirname, join } from 'node:path';
import {
  adaptDevice,
  describeAdaptation,
  describeCalibration,
  describeTiming,
  importResults,
  MIN_TIMINGS,
  DEFAULT_CALIBRATION_SAMPLES,
  DEFAULT_CALIBRATION_SECONDS,
  MAX_CALIBRATION_SAMPLES,
  readTimings,
  latencySpaceOf,
  listTables,
  LOCAL_DEVICE,
  openPredictor,
  profileDevice,
  readTable,
  deviceTablePath,
  validatePredictor,
  validateAgainstTimings,
  writeBundle,
  writeTable,
  type ErrorReport,
} from '../../latency/index.js';
import { readArchesFor } from '../../networks/index.js';
import { benchModel, DEFAULT_SESSION, type SessionSettings } from '../../runtime/index.js';
import { ARCH_HELP, describeRepeatability, intFlag, printJson, protocolFlags, providerFlag, PROVIDER_HELP, UsageError, type CliIO } from '../io.js';
import { progressReporter } from '../progress.js';
import { openSupernet } from './model.js';

interface RuntimeFlags {
  threads?: string;
  provider?: string;
}

function settingsFrom(flags: RuntimeFlags): SessionSettings {
  return { ...DEFAULT_SESSION, provider: providerFlag(flags.provider), threads: intFlag('--threads', flags.threads, DEFAULT_SESSION.threads, 1) };
}

function resolutionsFrom(value: string | undefined): number[] | undefined {
  if (value == null) return undefined;
  const rs = value.split(',').map((v) => Number(v.trim()));
  if (rs.length === 0 || rs.some((r) => !Number.isInteger(r) || r < 1)) {
    throw new UsageError(`--resolutions: expected a comma-separated list of integers, got '${value}'`);
  }
  return rs;
}

const spaceOptions = (c: Command) =>
  c
    .option('--space <id>', 'search space (default ofa-mbv3, or the checkpoint\'s)')
    .option('--supernet <ckpt>', 'supernet checkpoint whose configuration to use')
    .option('--threads <n>', 'intra-op threads (deployment setting)', '1')
    .option('--provider <name>', PROVIDER_HELP, 'cpu')
    .option('--table <file>', 'latency table file (default $HBX_HOME/latency/<device>.json)');

type SpaceFlags = RuntimeFlags & { space?: string; supernet?: string; table?: string; device: string; json?: boolean };

async function validateHere(
  predictor: Awaited<ReturnType<typeof openPredictor>>,
  space: ReturnType<typeof latencySpaceOf>,
  settings: SessionSettings,
  opts: { samples?: string; seed: string },
  progress: ReturnType<typeof progressReporter>,
): Promise<ErrorReport & { measuredSpread: number }> {
  const report = await validatePredictor(predictor, space, {
    samples: intFlag('--samples', opts.samples, 0, 2),
    seed: intFlag('--seed', opts.seed, 2),
    settings,
    onProgress: (d, t) => progress.update('validation', d, t),
  });
  const { rows: _rows, seed: _seed, ...summary } = report;
  return summary;
}

export function registerLatencyCommands(program: Command, io: CliIO): void {
  const latency = program.command('latency').description('per-block latency tables, prediction, measurement, validation');

  spaceOptions(latency.command('profile').description('time every block of the space on this machine and write the device table'))
    .requiredOption('--device <name>', 'device name (local = this machine)')
    .option('--resolutions <list>', 'comma-separated resolutions to profile (default: all of the space)')
    .option('--runs <n>', "timed runs per block, spread over the timing protocol's passes", '60')
    .option('--calibration-seconds <s>', `time for calibration subnets beyond the first ${DEFAULT_CALIBRATION_SAMPLES} (up to ${MAX_CALIBRATION_SAMPLES})`, String(DEFAULT_CALIBRATION_SECONDS))
    .option('--resume', 'continue an interrupted profile')
    .option('--force', 'keep a local table whose timings did not repeat or that was taken while other processes were busy')
    .option('--json', 'print a summary as JSON')
    .action(async (opts: SpaceFlags & { resolutions?: string; runs: string; calibrationSeconds: string; resume?: boolean; force?: boolean }) => {
      const space = latencySpaceOf(openSupernet(opts, io, { warnRandom: false }));
      const settings = settingsFrom(opts);
      const path = opts.table ?? deviceTablePath(opts.device, { space: space.space, spaceOptions: space.spaceOptions, settings });
      const progress = progressReporter(io);
      const started = performance.now();
      const table = await profileDevice({
        device: opts.device,
        space,
        resolutions: resolutionsFrom(opts.resolutions),
        settings,
        runs: intFlag('--runs', opts.runs, 60, 5),
        calibrationSeconds: intFlag('--calibration-seconds', opts.calibrationSeconds, DEFAULT_CALIBRATION_SECONDS),
        resume: opts.resume,
        force: opts.force,
        path,
        onProgress: progress.update,
      });
      progress.stop();
      const summary = {
        device: table.device,
        path,
        entries: Object.keys(table.entries).length,
        resolutions: table.resolutions,
        calibration: table.calibration,
        timing: table.timing,
        seconds: (performance.now() - started) / 1000,
      };
      if (opts.json) return printJson(io, summary);
      const repeat = table.timing ? `; ${describeTiming(table.timing)}` : '';
      io.err(`wrote ${path}: ${summary.entries} blocks at ${table.resolutions.length} resolution${table.resolutions.length === 1 ? '' : 's'} in ${summary.seconds.toFixed(0)} s${repeat}\n`);
    });

  spaceOptions(latency.command('predict').description('predicted latency of an arch on a device'))
    .requiredOption('--device <name>', 'device name')
    .requiredOption('--arch <file>', `${ARCH_HELP}, or a JSON array of archs`)
    .option('--json', 'print {"ms"} (for an array of archs, an array of {"ms"} is printed either way)')
    .action(async (opts: SpaceFlags & { arch: string }) => {
      const supernet = openSupernet(opts, io, { warnRandom: false });
      const { archs, array } = readArchesFor(opts.arch, supernet);
      const progress = progressReporter(io);
      const predictor = await openPredictor({ device: opts.device, space: latencySpaceOf(supernet), settings: settingsFrom(opts), table: opts.table, onProgress: progress.update, onStale: (why) => io.err(`${why}\n`) });
      progress.stop();
      const predictions = archs.map((arch) => ({ ms: predictor.predict(arch) }));
      if (array) return printJson(io, predictions);
      if (opts.json) return printJson(io, predictions[0]);
      const adapted = predictor.table.adapted;
      io.out(`${predictions[0].ms.toFixed(3)} ms on ${opts.device}${adapted ? ` (${describeAdaptation(adapted)})` : ''}\n`);
    });

  spaceOptions(latency.command('adapt').description("a new device from a base device's table and a few end-to-end timings taken on it"))
    .requiredOption('--device <name>', 'name of the new device')
    .requiredOption('--from <base>', 'base device whose table gives the blocks (e.g. local)')
    .requiredOption('--timings <file>', `JSON array of { "arch", "ms" } measured on the device (at least ${MIN_TIMINGS})`)
    .option('--json', 'print {"path", "device", "from", "timings", "calibration", "fit"}')
    .action(async (opts: Omit<SpaceFlags, 'device'> & { device: string; from: string; timings: string }) => {
      if (opts.device === opts.from) throw new UsageError(`--device: '${opts.device}' is the base device itself; name the new device`);
      if (opts.device === LOCAL_DEVICE) throw new UsageError(`--device: '${LOCAL_DEVICE}' is this machine, profiled with 'hbx latency profile'; name the new device`);
      const supernet = openSupernet(opts, io, { warnRandom: false });
      const space = latencySpaceOf(supernet);
      const timings = readTimings(opts.timings, supernet);
      const settings = settingsFrom(opts);
      const base = await openPredictor({ device: opts.from, space, settings, profileLocal: false, onStale: (why) => io.err(`${why}\n`) });
      const { table, fit } = adaptDevice(base, opts.device, timings, opts.timings);
      const path = opts.table ?? deviceTablePath(opts.device, { space: space.space, spaceOptions: space.spaceOptions, settings });
      writeTable(path, table);
      const summary = { path, device: opts.device, from: opts.from, timings: timings.length, calibration: table.calibration, fit };
      if (opts.json) return printJson(io, summary);
      const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
      io.err(
        `wrote ${path}: '${opts.device}' ${describeAdaptation(table.adapted!)}: ${describeCalibration(table.calibration!)}; ` +
          `on those timings MAPE ${pct(fit.mape)}, Spearman ${fit.spearman.toFixed(3)} (fitted on them: check with held-out timings)\n`,
      );
    });

  latency
    .command('measure')
    .description('end-to-end latency of an ONNX model on this machine')
    .argument('<model>', 'ONNX file')
    .option('--threads <n>', 'intra-op threads', '1')
    .option('--provider <name>', PROVIDER_HELP, 'cpu')
    .option('--runs <n>', 'timed runs, spread over the protocol\'s passes (more for sub-millisecond models)', '100')
    .option('--warmup <n>', 'warm-up runs', '10')
    .option('--json', 'print {"ms", "spread", "passes", "medianMs", "p90Ms", "runs"}')
    .action(async (model: string, opts: RuntimeFlags & { runs: string; warmup: string; json?: boolean }) => {
      const t = await benchModel(model, { settings: settingsFrom(opts), ...protocolFlags(opts) });
      if (opts.json) return printJson(io, { ms: t.ms, spread: t.spread, passes: t.passes, medianMs: t.medianMs, p90Ms: t.p90Ms, runs: t.runs });
      io.out(`${t.ms.toFixed(3)} ms (${describeRepeatability(t)}); median ${t.medianMs.toFixed(3)} ms, p90 ${t.p90Ms.toFixed(3)} ms over ${t.runs} runs\n`);
    });

  spaceOptions(latency.command('validate').description('predicted vs measured latency: held-out random subnets timed on this machine, or given timings'))
    .option('--device <name>', 'device whose table to check (must be this machine unless --timings)', LOCAL_DEVICE)
    .option('--samples <n>', 'how many subnets to sample and time here')
    .option('--timings <file>', 'JSON array of { "arch", "ms" } measured on the device (instead of timing here)')
    .option('--seed <s>', 'sampling seed (calibration uses seed 1)', '2')
    .option('--json', 'print {"samples", "within5", "within10", "mape", "bias", "spearman"} (timed here: and "measuredSpread")')
    .action(async (opts: SpaceFlags & { samples?: string; timings?: string; seed: string }) => {
      if ((opts.samples == null) === (opts.timings == null)) throw new UsageError('give --samples N (time subnets here) or --timings FILE (timings taken on the device), not both');
      const supernet = openSupernet(opts, io, { warnRandom: false });
      const space = latencySpaceOf(supernet);
      const settings = settingsFrom(opts);
      const timings = opts.timings ? readTimings(opts.timings, supernet, 1) : undefined;
      const progress = progressReporter(io);
      const predictor = await openPredictor({ device: opts.device, space, settings, table: opts.table, onProgress: progress.update, profileLocal: !timings, onStale: (why) => io.err(`${why}\n`) });
      const summary: ErrorReport & { measuredSpread?: number } = timings ? validateAgainstTimings(predictor, timings) : await validateHere(predictor, space, settings, opts, progress);
      progress.stop();
      if (opts.json) return printJson(io, summary);
      const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
      const adapted = predictor.table.adapted;
      const note = adapted ? ` ('${opts.device}' ${describeAdaptation(adapted)})` : '';
      const repeat = summary.measuredSpread !== undefined ? `; measured by the protocol, passes ${pct(summary.measuredSpread)} apart (median)` : '';
      io.out(
        `${summary.samples} subnets: ${pct(summary.within5)} within +-5%, ${pct(summary.within10)} within +-10%, MAPE ${pct(summary.mape)}, ` +
          `bias ${summary.bias >= 0 ? '+' : ''}${pct(summary.bias)}, Spearman ${summary.spearman.toFixed(4)}${note}${repeat}\n`,
      );
    });

  latency
    .command('list')
    .description('devices with a latency table')
    .option('--json', 'machine-readable output')
    .action((opts: { json?: boolean }) => {
      const rows = listTables().map(({ device, path }) => {
        try {
          const t = readTable(path);
          return { device, path, space: t.space, entries: Object.keys(t.entries).length, resolutions: t.resolutions, threads: t.runtime.threads, calibrated: Boolean(t.calibration), adapted: t.adapted, createdAt: t.createdAt };
        } catch (err) {
          return { device, path, error: (err as Error).message };
        }
      });
      if (opts.json) return printJson(io, rows);
      if (rows.length === 0) io.err('no latency tables yet (hbx latency profile --device local)\n');
      for (const r of rows) {
        io.out('error' in r ? `${r.device}: unreadable (${r.error})\n` : `${r.device.padEnd(12)} ${r.space} ${r.entries} blocks, resolutions ${r.resolutions.join(',')}, ${r.threads} thread(s)${r.calibrated ? '' : ', not calibrated'}${r.adapted ? `, ${describeAdaptation(r.adapted)}` : ''}\n`);
      }
    });

  spaceOptions(latency.command('bundle').description('block models, calibration subnets and a stand-alone runner for another device'))
    .requiredOption('--out <dir>', 'bundle folder')
    .option('--resolutions <list>', 'comma-separated resolutions (default: all of the space)')
    .option('--calibration <n>', 'calibration subnets', '20')
    .option('--subnets <k>', `a few-shot bundle: K subnets (at least ${MIN_TIMINGS}) and no blocks; its results adapt a base device (import --from BASE)`)
    .action((opts: SpaceFlags & { out: string; resolutions?: string; calibration: string; subnets?: string }) => {
      const space = latencySpaceOf(openSupernet(opts, io, { warnRandom: false }));
      const subnets = opts.subnets != null ? intFlag('--subnets', opts.subnets, 10, MIN_TIMINGS) : undefined;
      const m = writeBundle({ space, resolutions: resolutionsFrom(opts.resolutions), settings: settingsFrom(opts), out: opts.out, calibrationSamples: intFlag('--calibration', opts.calibration, 20, 2), subnets });
      const blocks = m.groups.reduce((n, g) => n + g.blocks.length, 0);
      const then = `hbx latency import ${join(opts.out, 'results.json')} --device NAME${subnets ? ' --from BASE' : ''}`;
      const what = subnets ? `${m.calibration.files.length} subnets (few-shot, no blocks)` : `${blocks} blocks, ${m.calibration.files.length} calibration subnets`;
      io.err(`wrote ${opts.out}: ${what}. On the device: cd into it, npm install, node run.mjs; then here: ${then}\n`);
    });

  spaceOptions(latency.command('import').description("turn a bundle's results.json into a device table"))
    .argument('<results>', 'results.json written by the bundle runner')
    .requiredOption('--device <name>', 'device name')
    .option('--manifest <file>', 'the bundle manifest (default: manifest.json beside the results)')
    .option('--from <base>', "for a few-shot bundle: the device whose table its timings adapt (e.g. local)")
    .action(async (results: string, opts: SpaceFlags & { manifest?: string; from?: string }) => {
      const space = latencySpaceOf(openSupernet(opts, io, { warnRandom: false }));
      const base = opts.from ? await openPredictor({ device: opts.from, space, settings: settingsFrom(opts), profileLocal: false, onStale: (why) => io.err(`${why}\n`) }) : undefined;
      const table = importResults(results, opts.manifest ?? join(dirname(results), 'manifest.json'), opts.device, space, base);
      const path = opts.table ?? deviceTablePath(opts.device, { space: space.space, spaceOptions: space.spaceOptions, settings: table.runtime });
      writeTable(path, table);
      const what = table.adapted ? describeAdaptation(table.adapted) : `${Object.keys(table.entries).length} blocks`;
      io.err(`wrote ${path}: ${what}, calibration ${describeCalibration(table.calibration!)}\n`);
    });
}
