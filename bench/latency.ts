/**
 * Latency stage figures: the time a full profile of the ofa-mbv3 ImageNet space takes on
 * this machine (every distinct block at all 25 resolutions, then the calibration), and the
 * predictor's throughput.
 *
 *   npx tsx bench/latency.ts [--resolutions 128,176,224] [--predictions 200000]
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  DEFAULT_SESSION,
  initBackend,
  LatencyPredictor,
  OFA_IMAGENET,
  profileDevice,
  sampleArchs,
  latencySpaceOf,
  OFAMobileNetV3,
} from '../index.js';

const { values: flags } = parseArgs({ options: { resolutions: { type: 'string' }, predictions: { type: 'string', default: '200000' } } });
await initBackend('wasm');
const space = latencySpaceOf(new OFAMobileNetV3(OFA_IMAGENET));
const resolutions = flags.resolutions ? flags.resolutions.split(',').map(Number) : OFA_IMAGENET.resolutions;
const path = join(mkdtempSync(join(tmpdir(), 'hbx-bench-')), 'local.json');

let t0 = performance.now();
let calibrationStart = 0;
const table = await profileDevice({
  device: 'local',
  space,
  resolutions,
  settings: DEFAULT_SESSION,
  path,
  onProgress: (phase) => {
    if (phase === 'calibration' && !calibrationStart) calibrationStart = performance.now();
  },
});
const total = (performance.now() - t0) / 1000;
const blocksSeconds = ((calibrationStart || performance.now()) - t0) / 1000;

const predictor = new LatencyPredictor(table, space);
const archs = sampleArchs(space, resolutions, 1000, 7);
const n = Number(flags.predictions);
let sink = 0;
for (let i = 0; i < 10_000; i++) sink += predictor.predict(archs[i % archs.length]); // JIT warm-up
t0 = performance.now();
for (let i = 0; i < n; i++) sink += predictor.predict(archs[i % archs.length]);
const perSecond = n / ((performance.now() - t0) / 1000);

console.log(`ofa-mbv3 ImageNet space, ${resolutions.length} resolutions, onnxruntime-node CPU, 1 thread`);
console.log('| measure | value |');
console.log('|---|---:|');
console.log(`| distinct blocks | ${Object.keys(table.entries).length} |`);
console.log(`| profile: blocks (s) | ${blocksSeconds.toFixed(1)} |`);
console.log(`| profile: total with calibration (s) | ${total.toFixed(1)} |`);
console.log(`| predictions per second | ${Math.round(perSecond).toLocaleString('en-US')} |`);
console.log(`| 50,000 predictions (ms) | ${((50_000 / perSecond) * 1000).toFixed(1)} |`);
if (sink === 42) console.log(''); // keeps the loop from being optimised away
