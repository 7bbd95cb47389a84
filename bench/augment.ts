/**
 * Augmentation: fidelity to torchvision and what it costs a training step.
 *
 *   npx tsx bench/augment.ts             # ms per batch of 64 for each policy against a training step
 *                                        # of the shipped supernet's largest subnet, interleaved
 *   npx tsx bench/augment.ts --fidelity  # per op, the largest pixel difference from torchvision 0.14
 *                                        # over 100 images at three magnitudes (needs python3-torchvision)
 */
import * as tf from '@tensorflow/tfjs-core';
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { parsePolicy } from '../augment/index.js';
import { getDataset, permutation, readIdx } from '../datasets/index.js';
import { buildSubnet, extremeArch, loadSupernet, OFAMobileNetV3, FIRST_SUPERNET } from '../networks/index.js';
import { initBackend, loadGradients, Rng } from '../tensor/index.js';
import { DEFAULT_TRAIN, NO_DECAY_BN_AND_BIAS, Sgd, softmaxCrossEntropy, trainingBatch, type TrainConfig } from '../train/index.js';
import { compareWithTorchvision } from '../test/helpers/augment_fidelity.js';
import { fixtureBatch, pythonWithTorchvision } from '../test/helpers/torchvision.js';

const { values: flags } = parseArgs({ options: { fidelity: { type: 'boolean' }, reps: { type: 'string', default: '5' }, batches: { type: 'string', default: '20' } } });

async function fidelity(): Promise<void> {
  const python = await pythonWithTorchvision();
  if (!python) throw new Error('needs python3-torchvision (apt-get install python3-torchvision)');
  const images = readIdx('test/fixtures/fashion-mnist/t10k-1000-images-idx3-ubyte.gz').data as Uint8Array;
  const [gray, rgb] = [await compareWithTorchvision(python, fixtureBatch(images, 100, 1)), await compareWithTorchvision(python, fixtureBatch(images, 100, 3))];
  console.log('hbx against torchvision 0.14 (uint8 tensors, nearest for geometry), 100 Fashion-MNIST images; RGB images stack three images as channels');
  console.log('| op | magnitudes | largest difference, grayscale | RGB | bytes differing (gray / RGB) |');
  console.log('|---|---|---:|---:|---:|');
  const ops = [...new Set(gray.map((g) => g.op))];
  for (const op of ops) {
    const rows = gray.flatMap((g, k) => (g.op === op ? [{ g, c: rgb[k] }] : []));
    const share = (xs: number[]) => `${(Math.max(...xs) * 100).toFixed(2)}%`;
    const most = (xs: number[]) => Math.max(...xs);
    console.log(`| ${op} | ${rows.map((r) => r.g.magnitude).join('; ')} | ${most(rows.map((r) => r.g.maxDiff))} | ${most(rows.map((r) => r.c.maxDiff))} | ${share(rows.map((r) => r.g.differing))} / ${share(rows.map((r) => r.c.differing))} |`);
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function speed(): Promise<void> {
  await initBackend('wasm');
  await loadGradients();
  const supernet = loadSupernet(FIRST_SUPERNET);
  const arch = extremeArch(supernet, 'largest');
  const model = buildSubnet(supernet as OFAMobileNetV3, arch);
  const resolution = arch.choices.resolution as number;
  const dataset = getDataset('fashion-mnist');
  const train = dataset.load('train');
  const base = { ...DEFAULT_TRAIN, mean: dataset.mean, std: dataset.std };
  const configs: Record<string, Pick<TrainConfig, 'mean' | 'std' | 'augment' | 'labelSmoothing'>> = {};
  for (const spec of ['none', 'trivial', 'randaugment:2,9', 'autoaugment:cifar10']) configs[spec] = { ...base, augment: { ...base.augment, policy: parsePolicy(spec) } };
  configs['trivial + erasing 0.5 + cutmix'] = { ...base, augment: { ...base.augment, policy: { kind: 'trivial' }, erasing: 0.5, mix: { kind: 'cutmix', alpha: 1 } } };
  const order = permutation(train.count, new Rng(1));
  const batchAt = (k: number) => order.subarray(k * 64, (k + 1) * 64);
  const sgd = new Sgd({ momentum: 0.9, nesterov: true, weightDecay: 3e-5, noDecay: NO_DECAY_BN_AND_BIAS });
  const params = model.namedParameters();
  const pathOf = new Map(params.map(([path, v]) => [v.name, path]));
  const step = (k: number): void => {
    const { x, y, targets } = trainingBatch(train, batchAt(k), configs.none, resolution, new Rng(k));
    const { value, grads } = tf.variableGrads(() => softmaxCrossEntropy(targets, model.forward(x) as tf.Tensor));
    const byPath = new Map(Object.entries(grads).map(([name, g]) => [pathOf.get(name)!, g]));
    sgd.step(params, byPath, 0.01);
    tf.dispose([x, y, targets, value, ...byPath.values()]);
  };
  model.train();
  step(0);
  const batches = Number(flags.batches);
  const perBatch: Record<string, number[]> = Object.fromEntries(Object.keys(configs).map((k) => [k, []]));
  const steps: number[] = [];
  for (let rep = 0; rep < Number(flags.reps); rep++) {
    for (const [name, c] of Object.entries(configs)) {
      const t0 = performance.now();
      for (let k = 0; k < batches; k++) tf.dispose(Object.values(trainingBatch(train, batchAt(k), c, resolution, new Rng(k))));
      perBatch[name].push((performance.now() - t0) / batches);
    }
    const t0 = performance.now();
    for (let k = 0; k < 3; k++) step(k);
    steps.push((performance.now() - t0) / 3);
  }
  const stepMs = median(steps);
  console.log(`batch 64, Fashion-MNIST 28x28, largest subnet of ${relative(process.cwd(), FIRST_SUPERNET)} at resolution ${resolution}; medians of ${flags.reps} interleaved repetitions`);
  console.log(`training step (batch, forward, backward, SGD): ${stepMs.toFixed(0)} ms`);
  console.log('| augmentation | ms per batch (bytes to normalised tensor) | added to a step |');
  console.log('|---|---:|---:|');
  const none = median(perBatch.none);
  for (const [name, times] of Object.entries(perBatch)) console.log(`| ${name} | ${median(times).toFixed(2)} | ${name === 'none' ? '(crop + flip)' : `${(((median(times) - none) / stepMs) * 100).toFixed(2)}%`} |`);
}

await (flags.fidelity ? fidelity() : speed());
