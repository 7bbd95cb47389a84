/**
 * Supernet training throughput on the wasm backend: images per second of one sandwich
 * step (largest + smallest + 2 random subnets, gradients summed, SGD update) and of the
 * largest and smallest subnets alone, ofa-mbv3 for Fashion-MNIST (1 channel, 10 classes,
 * width 0.5, 28x28), stem stride 1 and 2.
 *
 *   npx tsx bench/train-supernet.ts [--steps 5] [--batch 64]
 */
import * as tf from '@tensorflow/tfjs-core';
import { parseArgs } from 'node:util';
import { initBackend, loadGradients, OFAMobileNetV3, ofaToArch, RandomMutator, sandwich, allowedChoices, ALL_ELASTIC, Rng, type Arch } from '../index.js';

const { values: flags } = parseArgs({ options: { steps: { type: 'string', default: '5' }, batch: { type: 'string', default: '64' } } });
const STEPS = Number(flags.steps);
const B = Number(flags.batch);
await initBackend('wasm');
await loadGradients();

function timeArchs(net: OFAMobileNetV3, archsFor: (i: number) => Arch[]): number {
  const m = new RandomMutator(net);
  const x = tf.randomNormal([B, 28, 28, 1], 0, 1, 'float32', 1);
  const y = tf.oneHot(tf.randomUniform([B], 0, 10, 'int32', 2) as tf.Tensor1D, 10);
  const run = (i: number) =>
    tf.tidy(() => {
      for (const arch of archsFor(i)) {
        m.sampleByMask(arch);
        const { grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, net.forward(x)) as tf.Scalar, net.parameters());
        for (const p of net.parameters()) if (grads[p.name]) p.assign(tf.sub(p, tf.mul(grads[p.name], 1e-4)));
      }
    });
  run(0);
  const t0 = performance.now();
  for (let i = 1; i <= STEPS; i++) run(i);
  return (B * STEPS * 1000) / (performance.now() - t0);
}

const full = (ks: number, e: number, d: number): Arch => ofaToArch({ ks: Array(20).fill(ks), e: Array(20).fill(e), d: Array(5).fill(d), r: 28 });
console.log(`ofa-mbv3 Fashion-MNIST configuration (width 0.5, 28x28, 1 channel), batch ${B}, wasm backend, images/s`);
console.log('| stem stride | largest subnet | smallest subnet | sandwich step (4 subnets) |');
console.log('|---:|---:|---:|---:|');
for (const stemStride of [1, 2]) {
  const net = new OFAMobileNetV3({ inputChannels: 1, numClasses: 10, stemStride, widthMult: 0.5, resolutions: [28] });
  const allowed = allowedChoices(new RandomMutator(net), ALL_ELASTIC[0]);
  const largest = timeArchs(net, () => [full(7, 6, 4)]);
  const smallest = timeArchs(net, () => [full(3, 3, 2)]);
  const step = timeArchs(net, (i) => sandwich('ofa-mbv3', allowed, 2, new Rng(i), 28));
  console.log(`| ${stemStride} | ${largest.toFixed(1)} | ${smallest.toFixed(1)} | ${step.toFixed(1)} |`);
  net.dispose();
}
