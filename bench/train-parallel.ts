/**
 * Data-parallel supernet training (`trainSupernet` with `workers`), Fashion-MNIST, width 0.5,
 * batch 64, the default sandwich (largest, smallest and 2 random subnets, distillation).
 *
 *   npx tsx bench/train-parallel.ts --part speed [--steps 8] [--reps 3]
 *     images per second of a full training step, 1 worker against N, stem stride 1 and 2,
 *     alternating repetitions; medians of the steps after the first.
 *   npx tsx bench/train-parallel.ts --part curve [--images 14000] [--seed 3] [--runs '1 worker,N workers,1 worker ulp']
 *     one epoch (200 steps of 64 on 12,834 images) on 1 worker, on N workers, and on 1 worker
 *     from initial weights moved by one ulp (a float-rounding reference): the per-step losses
 *     and the trainer's validation top-1 (largest and smallest, BN recalibrated), appended to
 *     bench/results/train-parallel.jsonl.
 */
import * as tf from '@tensorflow/tfjs-core';
import { appendFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_TRAIN, defaultWorkers, getDataset, initBackend, OFAMobileNetV3, quantile, seedInit, subset, trainSupernet, type EpochReport, type ImageDataset } from '../index.js';

const { values: flags } = parseArgs({
  options: {
    part: { type: 'string', default: 'speed' },
    steps: { type: 'string', default: '8' },
    reps: { type: 'string', default: '3' },
    images: { type: 'string', default: '14000' },
    workers: { type: 'string', default: String(defaultWorkers()) },
    log: { type: 'string', default: 'bench/results/train-parallel.jsonl' },
    seed: { type: 'string', default: '3' },
    runs: { type: 'string', default: '1 worker,N workers,1 worker ulp' },
  },
});
const WORKERS = Number(flags.workers);
await initBackend('wasm');
const dataset = getDataset('fashion-mnist');
const full = dataset.load('train');
const firstImages = (n: number) => subset(full, Array.from({ length: n }, (_, i) => i));
const median = (xs: number[]) => quantile([...xs].sort((a, b) => a - b), 0.5);

interface Run {
  losses: number[];
  imagesPerSecond: number[];
  epoch?: EpochReport;
  minutes: number;
}

async function train(o: { workers: number; stemStride: number; train: ImageDataset; maxSteps: number; ulp?: boolean }): Promise<Run> {
  seedInit(7 + Number(flags.seed) - 3); // seed 3 (the default) keeps the first runs' initial weights
  const model = new OFAMobileNetV3({ inputChannels: 1, numClasses: 10, stemStride: o.stemStride, widthMult: 0.5, resolutions: [28] });
  if (o.ulp) tf.tidy(() => model.namedParameters().forEach(([, v]) => v.assign(tf.mul(v, 1 + 2 ** -23))));
  const run: Run = { losses: [], imagesPerSecond: [], minutes: 0 };
  const started = performance.now();
  await trainSupernet(model, {
    config: { ...DEFAULT_TRAIN, dataset: dataset.name, mean: dataset.mean, std: dataset.std, epochs: 1, seed: Number(flags.seed), maxSteps: o.maxSteps },
    train: o.train,
    out: mkdtempSync(join(tmpdir(), 'hbx-bench-parallel-')),
    workers: o.workers,
    onStep: (r) => {
      run.losses.push(r.loss);
      run.imagesPerSecond.push(r.imagesPerSecond);
    },
    onEpoch: (r) => (run.epoch = r),
  });
  run.minutes = (performance.now() - started) / 60_000;
  model.dispose();
  return run;
}

if (flags.part === 'speed') {
  const steps = Number(flags.steps);
  console.log(`| stem stride | 1 worker, img/s | ${WORKERS} workers, img/s | speed-up |`);
  console.log('|---:|---:|---:|---:|');
  for (const stemStride of [1, 2]) {
    const perWorkers = new Map<number, number[]>([[1, []], [WORKERS, []]]);
    for (let rep = 0; rep < Number(flags.reps); rep++) {
      for (const workers of [1, WORKERS]) {
        const r = await train({ workers, stemStride, train: firstImages(64 * (steps + 2)), maxSteps: steps });
        perWorkers.get(workers)!.push(median(r.imagesPerSecond.slice(1)));
      }
    }
    const [one, many] = [median(perWorkers.get(1)!), median(perWorkers.get(WORKERS)!)];
    console.log(`| ${stemStride} | ${one.toFixed(1)} | ${many.toFixed(1)} | ${(many / one).toFixed(2)}x |`);
  }
} else {
  const data = firstImages(Number(flags.images));
  mkdirSync('bench/results', { recursive: true });
  const runs: Record<string, Run> = {};
  const chosen = new Set(flags.runs!.split(','));
  for (const [key, name, o] of [
    ['1 worker', '1 worker', { workers: 1 }],
    ['N workers', `${WORKERS} workers`, { workers: WORKERS }],
    ['1 worker ulp', '1 worker, weights moved by 1 ulp', { workers: 1, ulp: true }],
  ] as const) {
    if (!chosen.has(key)) continue;
    runs[name] = await train({ ...o, stemStride: 2, train: data, maxSteps: 0 });
    appendFileSync(flags.log!, `${JSON.stringify({ run: name, seed: Number(flags.seed), images: data.count, ...runs[name] })}\n`);
    console.error(`${name}: ${runs[name].minutes.toFixed(1)} min`);
  }
  const base = runs['1 worker'].losses;
  console.log('| run | steps | loss step 1 | max abs loss diff vs 1 worker: steps 1-10 | steps 1-200 | mean loss last 50 | val top-1 largest | smallest | minutes |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const [name, r] of Object.entries(runs)) {
    const diff = (to: number) => Math.max(...r.losses.slice(0, to).map((l, i) => Math.abs(l - base[i])));
    const last = r.losses.slice(-50);
    console.log(
      `| ${name} | ${r.losses.length} | ${r.losses[0].toFixed(5)} | ${diff(10).toExponential(1)} | ${diff(r.losses.length).toFixed(3)} | ${(last.reduce((a, b) => a + b, 0) / last.length).toFixed(4)} | ${(r.epoch!.valTop1Largest * 100).toFixed(2)} | ${(r.epoch!.valTop1Smallest * 100).toFixed(2)} | ${r.minutes.toFixed(1)} |`,
    );
  }
}
