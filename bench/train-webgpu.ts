/**
 * The webgpu backend against wasm, ofa-mbv3 Fashion-MNIST configuration (width 0.5, 28x28).
 *
 *   npx tsx bench/train-webgpu.ts --part grads
 *     gradients of the largest, smallest and one random subnet on 64 Fashion-MNIST images (batch
 *     norm in training mode), each pair of webgpu, cpu and wasm, and wasm against itself from
 *     weights moved by one ulp (what float rounding alone does): loss difference, relative L2
 *     error and cosine of the whole gradient, and the largest per-tensor error max|d| / max|g|.
 *   npx tsx bench/train-webgpu.ts --part curve [--steps 60]
 *     trainSupernet from the same weights on webgpu, on wasm, and on wasm from weights moved by
 *     one ulp (a float-rounding reference): per-step losses, appended to
 *     bench/results/train-webgpu.jsonl.
 *   npx tsx bench/train-webgpu.ts --part speed [--steps 4] [--reps 3]
 *     images per second of a sandwich step (batch 64): webgpu (whatever adapter Dawn picks:
 *     lavapipe on a machine without a GPU) against wasm on one worker and on one per core,
 *     alternating repetitions.
 */
import * as tf from '@tensorflow/tfjs-core';
import { appendFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  DEFAULT_TRAIN,
  getDataset,
  initBackend,
  loadGradients,
  loadWebgpu,
  OFAMobileNetV3,
  ofaToArch,
  quantile,
  RandomMutator,
  registerTrainingKernels,
  Rng,
  seedInit,
  subset,
  toBatch,
  trainSupernet,
  type Arch,
} from '../index.js';

const { values: flags } = parseArgs({
  options: {
    part: { type: 'string', default: 'grads' },
    steps: { type: 'string' },
    reps: { type: 'string', default: '3' },
    stride: { type: 'string', default: '2' },
    log: { type: 'string', default: 'bench/results/train-webgpu.jsonl' },
  },
});
const STEM_STRIDE = Number(flags.stride);
await initBackend('wasm');
await loadGradients();
const adapter = await loadWebgpu();
registerTrainingKernels('webgpu');
const dataset = getDataset('fashion-mnist');
const firstImages = (n: number) => subset(dataset.load('train'), Array.from({ length: n }, (_, i) => i));
const median = (xs: number[]) => quantile([...xs].sort((a, b) => a - b), 0.5);
const newModel = () => new OFAMobileNetV3({ inputChannels: 1, numClasses: 10, stemStride: STEM_STRIDE, widthMult: 0.5, resolutions: [28] });
console.log(`webgpu adapter: ${adapter.description}${adapter.software ? ' (software)' : ''}; ${cpus()[0].model}, ${availableParallelism()} cores; stem stride ${STEM_STRIDE}`);

/** Every weight times 1 + 2^-23: what float rounding alone does to a run. */
function moveByOneUlp(model: OFAMobileNetV3): void {
  tf.tidy(() => model.namedParameters().forEach(([, v]) => v.assign(tf.mul(v, 1 + 2 ** -23))));
}

async function gradients(backend: string, arch: Arch, ulp = false): Promise<{ loss: number; grads: Float32Array[] }> {
  await tf.setBackend(backend);
  seedInit(1);
  const model = newModel();
  if (ulp) moveByOneUlp(model);
  new RandomMutator(model).sampleByMask(arch);
  const { x, y } = toBatch(firstImages(64), Uint32Array.from({ length: 64 }, (_, i) => i), { mean: dataset.mean, std: dataset.std, resolution: 28 });
  const labels = tf.oneHot(y, 10);
  const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(labels, model.forward(x)) as tf.Scalar, model.parameters());
  const named = model.namedParameters().filter(([, v]) => grads[v.name]);
  const out = { loss: (await value.data())[0], grads: await Promise.all(named.map(async ([, v]) => Float32Array.from((await grads[v.name].data()) as Float32Array))) };
  tf.dispose([x, y, labels, value, ...Object.values(grads)]);
  model.dispose();
  return out;
}

function compare(a: Float32Array[], b: Float32Array[]) {
  let [dot, na, nb, diff, worst] = [0, 0, 0, 0, 0];
  a.forEach((ga, t) => {
    let [d, scale] = [0, 0];
    ga.forEach((v, i) => {
      const w = b[t][i];
      dot += v * w;
      na += v * v;
      nb += w * w;
      diff += (v - w) ** 2;
      d = Math.max(d, Math.abs(v - w));
      scale = Math.max(scale, Math.abs(v));
    });
    worst = Math.max(worst, d / Math.max(scale, 1e-30));
  });
  return { relL2: Math.sqrt(diff / na), cosine: dot / Math.sqrt(na * nb), worstTensor: worst };
}

async function trainRun(backend: string, o: { steps: number; subnetsPerStep?: number; ulp?: boolean; workers?: number; images: number }) {
  await tf.setBackend(backend);
  seedInit(7);
  const model = newModel();
  if (o.ulp) moveByOneUlp(model);
  const losses: number[] = [];
  const rates: number[] = [];
  const started = performance.now();
  await trainSupernet(model, {
    config: { ...DEFAULT_TRAIN, dataset: dataset.name, mean: dataset.mean, std: dataset.std, epochs: 1, seed: 3, valFraction: 0, maxSteps: o.steps, subnetsPerStep: o.subnetsPerStep ?? DEFAULT_TRAIN.subnetsPerStep },
    train: firstImages(o.images),
    out: mkdtempSync(join(tmpdir(), 'hbx-bench-webgpu-')),
    workers: o.workers ?? 1,
    onStep: (r) => {
      losses.push(r.loss);
      rates.push(r.imagesPerSecond);
    },
  });
  model.dispose();
  await tf.setBackend('wasm');
  return { losses, rates, minutes: (performance.now() - started) / 60_000 };
}

if (flags.part === 'grads') {
  const pick = (ks: number, e: number, d: number) => ofaToArch({ ks: Array(20).fill(ks), e: Array(20).fill(e), d: Array(5).fill(d), r: 28 });
  const rng = new Rng(5);
  const random = ofaToArch({ ks: Array.from({ length: 20 }, () => [3, 5, 7][rng.int(3)]), e: Array.from({ length: 20 }, () => [3, 4, 6][rng.int(3)]), d: Array.from({ length: 5 }, () => [2, 3, 4][rng.int(3)]), r: 28 });
  console.log('| subnet | backends | loss diff | gradient rel. L2 error | cosine - 1 | worst tensor max abs diff / max abs |');
  console.log('|---|---|---:|---:|---:|---:|');
  for (const [name, arch] of [['largest', pick(7, 6, 4)], ['smallest', pick(3, 3, 2)], ['random', random]] as const) {
    const on = { wasm: await gradients('wasm', arch), webgpu: await gradients('webgpu', arch), cpu: await gradients('cpu', arch), 'wasm, weights moved by 1 ulp': await gradients('wasm', arch, true) };
    for (const [a, b] of [['webgpu', 'wasm'], ['cpu', 'wasm'], ['webgpu', 'cpu'], ['wasm, weights moved by 1 ulp', 'wasm']] as const) {
      const c = compare(on[b].grads, on[a].grads);
      console.log(`| ${name} | ${a} vs ${b} | ${Math.abs(on[a].loss - on[b].loss).toExponential(1)} | ${c.relL2.toExponential(1)} | ${(c.cosine - 1).toExponential(1)} | ${c.worstTensor.toExponential(1)} |`);
    }
  }
  await tf.setBackend('wasm');
} else if (flags.part === 'curve') {
  const steps = Number(flags.steps ?? 60);
  mkdirSync('bench/results', { recursive: true });
  const runs: Record<string, Awaited<ReturnType<typeof trainRun>>> = {};
  for (const [name, backend, ulp] of [['wasm', 'wasm', false], ['webgpu', 'webgpu', false], ['wasm, weights moved by 1 ulp', 'wasm', true]] as const) {
    runs[name] = await trainRun(backend, { steps, ulp, images: 64 * steps });
    appendFileSync(flags.log!, `${JSON.stringify({ run: name, adapter: adapter.description, stemStride: STEM_STRIDE, steps, losses: runs[name].losses, minutes: runs[name].minutes })}\n`);
    console.error(`${name}: ${runs[name].minutes.toFixed(1)} min`);
  }
  const base = runs.wasm.losses;
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  console.log(`| run | steps | loss step 1 | max abs loss diff vs wasm: steps 1-10 | steps 1-${steps} | mean loss first 10 | mean loss last 20 | minutes |`);
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const [name, r] of Object.entries(runs)) {
    const diff = (to: number) => Math.max(...r.losses.slice(0, to).map((l, i) => Math.abs(l - base[i])));
    console.log(`| ${name} | ${r.losses.length} | ${r.losses[0].toFixed(5)} | ${diff(10).toExponential(1)} | ${diff(steps).toFixed(3)} | ${mean(r.losses.slice(0, 10)).toFixed(4)} | ${mean(r.losses.slice(-20)).toFixed(4)} | ${r.minutes.toFixed(1)} |`);
  }
} else {
  const steps = Number(flags.steps ?? 4);
  const cores = availableParallelism();
  const figures: Record<string, number[]> = { webgpu: [], 'wasm, 1 worker': [], [`wasm, ${cores} workers`]: [] };
  for (let rep = 0; rep < Number(flags.reps); rep++) {
    for (const [name, backend, workers] of [['webgpu', 'webgpu', 1], ['wasm, 1 worker', 'wasm', 1], [`wasm, ${cores} workers`, 'wasm', cores]] as const) {
      const r = await trainRun(backend, { steps: steps + 1, workers, images: 64 * (steps + 2) });
      figures[name].push(median(r.rates.slice(1)));
      console.error(`${name} rep ${rep}: ${r.rates.map((v) => v.toFixed(1)).join(', ')} img/s`);
    }
  }
  console.log(`| sandwich step, stem stride ${STEM_STRIDE} | img/s (median of ${flags.reps}) | vs wasm on 1 worker |`);
  console.log('|---|---:|---:|');
  const one = median(figures['wasm, 1 worker']);
  for (const [name, xs] of Object.entries(figures)) console.log(`| ${name} | ${median(xs).toFixed(1)} | ${(median(xs) / one).toFixed(2)}x |`);
}
