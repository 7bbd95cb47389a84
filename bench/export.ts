/**
 * Export time and ONNX Runtime latency (CPU, 1 thread, batch 1) of the largest and smallest
 * ofa-mbv3 ImageNet subnets at 224 and 128.
 *
 *   npx tsx bench/export.ts [--runs 100]
 */
import * as tf from '@tensorflow/tfjs-core';
import ort from 'onnxruntime-node';
import { parseArgs } from 'node:util';
import { buildSubnet, exportOnnx, initBackend, OFAMobileNetV3, ofaToArch } from '../index.js';

const { values: flags } = parseArgs({ options: { runs: { type: 'string', default: '100' }, warmup: { type: 'string', default: '20' } } });
const RUNS = Number(flags.runs);
const WARMUP = Number(flags.warmup);

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};

await initBackend('wasm');
const supernet = new OFAMobileNetV3();
const cases = [
  ['largest (k7 e6 d4)', 7, 6, 4, 224],
  ['largest (k7 e6 d4)', 7, 6, 4, 128],
  ['smallest (k3 e3 d2)', 3, 3, 2, 224],
  ['smallest (k3 e3 d2)', 3, 3, 2, 128],
] as const;

const sessions: { name: string; r: number; exportMs: number; session: ort.InferenceSession; feed: ort.Tensor; times: number[] }[] = [];
for (const [name, ks, e, d, r] of cases) {
  const arch = ofaToArch({ ks: Array(20).fill(ks), e: Array(20).fill(e), d: Array(5).fill(d), r });
  const exportTimes: number[] = [];
  let bytes: Uint8Array = new Uint8Array();
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const subnet = buildSubnet(supernet, arch);
    bytes = exportOnnx(subnet, { batch: 1 });
    exportTimes.push(performance.now() - t0);
    subnet.dispose();
  }
  const session = await ort.InferenceSession.create(bytes, {
    executionProviders: ['cpu'],
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const feed = new ort.Tensor('float32', tf.randomNormal([3 * r * r]).dataSync() as Float32Array, [1, 3, r, r]);
  for (let i = 0; i < WARMUP; i++) await session.run({ input: feed });
  sessions.push({ name, r, exportMs: quantile(exportTimes, 0.5), session, feed, times: [] });
}
// Interleave the models run by run, so machine noise hits them alike.
for (let i = 0; i < RUNS; i++) {
  for (const s of sessions) {
    const t0 = performance.now();
    await s.session.run({ input: s.feed });
    s.times.push(performance.now() - t0);
  }
}
console.log(`ofa-mbv3 ImageNet subnets, onnxruntime-node ${ort.env.versions.common}, CPU provider, 1 thread, batch 1, ${RUNS} runs after ${WARMUP} warm-up`);
console.log('| subnet | resolution | build + export (ms) | ORT median (ms) | ORT p90 (ms) |');
console.log('|---|---:|---:|---:|---:|');
for (const s of sessions) {
  console.log(`| ${s.name} | ${s.r} | ${s.exportMs.toFixed(0)} | ${quantile(s.times, 0.5).toFixed(2)} | ${quantile(s.times, 0.9).toFixed(2)} |`);
}
