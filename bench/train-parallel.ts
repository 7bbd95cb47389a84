/**
 * Data-parallel supernet training (`trainSupernet` with `workers`), Fashion-MNIST, width 0.5,
 * batch 64, the default sandwich (largest, smallest and 2 random subnets, distillation).
 *
 *   npx tsx bench/train-parallel.ts --part speed [--steps 8] [--reps 3]
 *     images per second of a full training step, 1 worker against N, stem stride 1 and 2,
 *     alternating repetitions; medians of the steps after the first.
 *   npx tsx bench/train-parallel.ts --part curve [--images 14000] [--seed 3] [--split batch|subnets] [--runs '1 worker,N workers,1 worker ulp']
 *     one epoch (200 steps of 64 on 12,834 images) on 1 worker, on N workers, and on 1 worker
 *     from initial weights moved by one ulp (a float-rounding reference): the per-step losses
 *     and the trainer's validation top-1 (largest and smallest, BN recalibrated), appended to
 *     bench/results/train-parallel.jsonl.
 *   npx tsx bench/train-parallel.ts --part step-check [--at 0,25,50,100,150] [--seed 3]
 *     one step, along a one-process trajectory: from the weights after --at steps, the
 *     update of one training step (fresh optimizer) on 1 worker, on N workers and on 1 worker
 *     from weights moved by one ulp; how far the N-worker and the one-ulp updates are from the
 *     one-process update (relative L2 error, cosine, norm ratio) and the step's losses.
 */
import * as tf from '@tensorflow/tfjs-core';
import { appendFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_TRAIN, defaultWorkers, getDataset, initBackend, OFAMobileNetV3, quantile, seedInit, subset, trainSupernet, type EpochReport, type ImageDataset, type Split } from '../index.js';

const { values: flags } = parseArgs({
  options: {
    part: { type: 'string', default: 'speed' },
    steps: { type: 'string', default: '8' },
    reps: { type: 'string', default: '3' },
    images: { type: 'string', default: '14000' },
    workers: { type: 'string', default: String(defaultWorkers()) },
    // The README's figures split each step by batch rows (hbx's default before --split existed).
    split: { type: 'string', default: 'batch' },
    log: { type: 'string', default: 'bench/results/train-parallel.jsonl' },
    seed: { type: 'string', default: '3' },
    runs: { type: 'string', default: '1 worker,N workers,1 worker ulp' },
    at: { type: 'string', default: '0,25,50,100,150' },
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

type Weights = Map<string, Float32Array>;
const weightsOf = (model: OFAMobileNetV3): Weights => new Map(model.namedParameters().map(([path, v]) => [path, v.dataSync().slice() as Float32Array]));

interface TrainRun {
  workers: number;
  stemStride: number;
  train: ImageDataset;
  maxSteps: number;
  ulp?: boolean;
  /** Start from these weights instead of the seed's initial ones. */
  from?: Weights;
  /** Called before the first step (-1) and after each step with the model (one worker only: it trains in this thread). */
  afterStep?: (step: number, model: OFAMobileNetV3) => void;
}

async function train(o: TrainRun): Promise<Run & { model: OFAMobileNetV3 }> {
  seedInit(7 + Number(flags.seed) - 3); // seed 3 (the default) keeps the first runs' initial weights
  const model = new OFAMobileNetV3({ inputChannels: 1, numClasses: 10, stemStride: o.stemStride, widthMult: 0.5, resolutions: [28] });
  if (o.from) tf.tidy(() => model.namedParameters().forEach(([path, v]) => v.assign(tf.tensor(o.from!.get(path)!, v.shape))));
  if (o.ulp) tf.tidy(() => model.namedParameters().forEach(([, v]) => v.assign(tf.mul(v, 1 + 2 ** -23))));
  const run: Run = { losses: [], imagesPerSecond: [], minutes: 0 };
  o.afterStep?.(-1, model);
  const started = performance.now();
  await trainSupernet(model, {
    config: { ...DEFAULT_TRAIN, dataset: dataset.name, mean: dataset.mean, std: dataset.std, epochs: 1, seed: Number(flags.seed), maxSteps: o.maxSteps },
    train: o.train,
    out: mkdtempSync(join(tmpdir(), 'hbx-bench-parallel-')),
    workers: o.workers,
    split: flags.split as Split,
    onStep: (r) => {
      run.losses.push(r.loss);
      run.imagesPerSecond.push(r.imagesPerSecond);
      o.afterStep?.(r.step, model);
    },
    onEpoch: (r) => (run.epoch = r),
  });
  run.minutes = (performance.now() - started) / 60_000;
  return { ...run, model };
}

/** Relative L2 distance, cosine and norm ratio of update `b` against update `a`, over every parameter. */
function compareUpdates(start: Weights, a: Weights, b: Weights): { relative: number; cosine: number; normRatio: number } {
  let [dot, aa, bb, diff] = [0, 0, 0, 0];
  for (const [path, s] of start) {
    const [x, y] = [a.get(path)!, b.get(path)!];
    for (let i = 0; i < s.length; i++) {
      const [da, db] = [x[i] - s[i], y[i] - s[i]];
      dot += da * db;
      aa += da * da;
      bb += db * db;
      diff += (da - db) ** 2;
    }
  }
  return { relative: Math.sqrt(diff / aa), cosine: dot / Math.sqrt(aa * bb), normRatio: Math.sqrt(bb / aa) };
}

async function stepCheck(): Promise<void> {
  const at = flags.at!.split(',').map(Number);
  const data = firstImages(Number(flags.images));
  const snapshots = new Map<number, Weights>();
  const trajectory = await train({ workers: 1, stemStride: 2, train: data, maxSteps: Math.max(...at, 1), afterStep: (step, model) => at.includes(step + 1) && snapshots.set(step + 1, weightsOf(model)) });
  trajectory.model.dispose();
  console.log(`| steps done | ${WORKERS} workers vs 1: rel. L2 error of the update | cosine - 1 | norm ratio - 1 | 1 ulp vs 1: rel. L2 error | cosine - 1 | norm ratio - 1 | loss 1 worker | ${WORKERS} workers | 1 ulp |`);
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const [done, start] of snapshots) {
    const one = await train({ workers: 1, stemStride: 2, train: data, maxSteps: 1, from: start });
    const many = await train({ workers: WORKERS, stemStride: 2, train: data, maxSteps: 1, from: start });
    const ulp = await train({ workers: 1, stemStride: 2, train: data, maxSteps: 1, from: start, ulp: true });
    const [w1, wn, wu] = [one, many, ulp].map((r) => weightsOf(r.model));
    for (const r of [one, many, ulp]) r.model.dispose();
    const [n, u] = [compareUpdates(start, w1, wn), compareUpdates(start, w1, wu)];
    const row = { stepsDone: done, workers: WORKERS, many: n, ulp: u, losses: [one.losses[0], many.losses[0], ulp.losses[0]] };
    appendFileSync(flags.log!, `${JSON.stringify({ part: 'step-check', seed: Number(flags.seed), ...row })}\n`);
    const f = (c: { relative: number; cosine: number; normRatio: number }) => `${c.relative.toExponential(1)} | ${(c.cosine - 1).toExponential(1)} | ${(c.normRatio - 1).toExponential(1)}`;
    console.log(`| ${done} | ${f(n)} | ${f(u)} | ${row.losses.map((l) => l.toFixed(5)).join(' | ')} |`);
  }
}

if (flags.part === 'step-check') {
  mkdirSync('bench/results', { recursive: true });
  await stepCheck();
} else if (flags.part === 'speed') {
  const steps = Number(flags.steps);
  console.log(`| stem stride | 1 worker, img/s | ${WORKERS} workers, img/s | speed-up |`);
  console.log('|---:|---:|---:|---:|');
  for (const stemStride of [1, 2]) {
    const perWorkers = new Map<number, number[]>([[1, []], [WORKERS, []]]);
    for (let rep = 0; rep < Number(flags.reps); rep++) {
      for (const workers of [1, WORKERS]) {
        const r = await train({ workers, stemStride, train: firstImages(64 * (steps + 2)), maxSteps: steps });
        r.model.dispose();
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
    ['N workers', `${WORKERS} workers${flags.split === 'batch' ? '' : `, split by ${flags.split}`}`, { workers: WORKERS }],
    ['1 worker ulp', '1 worker, weights moved by 1 ulp', { workers: 1, ulp: true }],
  ] as const) {
    if (!chosen.has(key)) continue;
    const { model, ...run } = await train({ ...o, stemStride: 2, train: data, maxSteps: 0 });
    model.dispose();
    runs[name] = run;
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
