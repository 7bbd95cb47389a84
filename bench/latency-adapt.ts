/**
 * A new device from 10 timings (`adaptDevice`, what `hbx latency adapt` runs) against a full
 * profile of that device, on devices that really differ from the base, all on this machine:
 * ONNX Runtime CPU with 2 intra-op threads, with graph optimisation `basic`, and ONNX Runtime's
 * WebAssembly build (onnxruntime-web in Node: other kernels). The base is
 * the deployment default (1 thread, optimisation `all`), profiled in full. ImageNet
 * configuration of ofa-mbv3 (every resolution). Each target: a full profile (its own blocks
 * and calibration, by the timing protocol with the reference model), 10 subnets spread over the base's block sums timed end to end
 * (the adaptation's only input), then 100 held-out random subnets timed end to end and
 * predicted by the adapted device, by the full profile, and by the base unadapted.
 *
 *   npx tsx bench/latency-adapt.ts [--held-out 100] [--timings 10] [--runs 30] [--targets 0,1,2]   (about 30 minutes on 2 cores)
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  adaptDevice,
  DEFAULT_SESSION,
  errorReport,
  initBackend,
  LatencyPredictor,
  measureArchs,
  profileDevice,
  referenceFor,
  resolveOFAOptions,
  sampleArchs,
  spreadArchs,
  type ErrorReport,
  type SessionSettings,
  latencySpaceOf,
  OFAMobileNetV3,
} from '../index.js';

const { values: flags } = parseArgs({
  options: {
    'held-out': { type: 'string', default: '100' },
    timings: { type: 'string', default: '10' },
    runs: { type: 'string', default: '30' },
    /** Which targets, by index: 0 = 2 threads, 1 = graph optimisation basic, 2 = onnxruntime-web (wasm). */
    targets: { type: 'string', default: '0,1,2' },
  },
});
await initBackend('wasm');
const dir = mkdtempSync(join(tmpdir(), 'hbx-bench-adapt-'));
const space = latencySpaceOf(new OFAMobileNetV3(resolveOFAOptions({})));
const supernet = space.supernet(space.resolutions);
const runs = Number(flags.runs);
const minutes = (t0: number) => ((performance.now() - t0) / 60_000).toFixed(1);

const t0 = performance.now();
const baseTable = await profileDevice({ device: 'base', space, settings: DEFAULT_SESSION, path: join(dir, 'base.json') });
const base = new LatencyPredictor(baseTable, space);
console.error(`base profiled in ${minutes(t0)} min`);
const heldOut = sampleArchs(space, space.resolutions, Number(flags['held-out']), 60413);
const fewShot = spreadArchs(space, baseTable, Number(flags.timings), 7);

const targets: { name: string; settings: SessionSettings }[] = [
  { name: 'ORT CPU, 2 threads', settings: { ...DEFAULT_SESSION, threads: 2 } },
  { name: 'ORT CPU, graph optimisation basic', settings: { ...DEFAULT_SESSION, graphOptimizationLevel: 'basic' } },
  { name: 'onnxruntime-web (wasm), 1 thread', settings: { ...DEFAULT_SESSION, provider: 'wasm' } },
].filter((_, i) => flags.targets!.split(',').map(Number).includes(i)) as { name: string; settings: SessionSettings }[];

const row = (target: string, predictor: string, r: ErrorReport) =>
  `| ${target} | ${predictor} | ${r.samples} | ${(r.within10 * 100).toFixed(0)}% | ${(r.within5 * 100).toFixed(0)}% | ${(r.mape * 100).toFixed(1)}% | ${r.spearman.toFixed(3)} |`;
const lines = ['| target device | predictor | held-out subnets | within +-10% | within +-5% | MAPE | Spearman |', '|---|---|---:|---:|---:|---:|---:|'];
for (const target of targets) {
  const t1 = performance.now();
  const full = new LatencyPredictor(await profileDevice({ device: target.name, space, settings: target.settings, path: join(dir, `${targets.indexOf(target)}.json`) }), space);
  // Timed as the target's own table was: scaled to the speed at which the reference model ran then.
  const measure = { settings: target.settings, runsPerPass: Math.ceil(runs / 3), reference: referenceFor(full.table) };
  const timed = await measureArchs(space, supernet, fewShot, measure);
  const adapted = adaptDevice(base, 'adapted', fewShot.map((arch, i) => ({ arch, ms: timed[i].ms })), 'bench');
  const adaptedPredictor = new LatencyPredictor(adapted.table, space);
  const truth = (await measureArchs(space, supernet, heldOut, measure)).map((t) => t.ms);
  const report = (p: LatencyPredictor) => errorReport(heldOut.map((a) => p.predict(a)), truth);
  lines.push(row(target.name, `adapted from the base, ${fewShot.length} timings`, report(adaptedPredictor)));
  lines.push(row(target.name, 'full profile of the target', report(full)));
  lines.push(row(target.name, 'the base, unadapted', report(base)));
  console.error(`${target.name}: ${minutes(t1)} min`);
}
console.log(lines.join('\n'));
