/**
 * Where a training step's time goes on wasm, and why: the kernels of one forward and backward
 * pass of the largest ofa-mbv3 Fashion-MNIST subnet (width 0.5, stem stride 1, batch 64) by
 * share of kernel time (`tf.profile`), and the speed of depthwise convolution on wasm by kernel
 * size at [64, 14, 14, 96] (with the kernels initBackend registers: sizes other than 4, 9 and 25
 * taps run tiled, see tensor/kernels/depthwise_tiled.ts).
 *
 *   npx tsx bench/depthwise.ts
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, loadGradients, OFAMobileNetV3, ofaToArch, RandomMutator } from '../index.js';

await initBackend('wasm');
await loadGradients();

const net = new OFAMobileNetV3({ inputChannels: 1, numClasses: 10, stemStride: 1, widthMult: 0.5, resolutions: [28] });
new RandomMutator(net).sampleByMask(ofaToArch({ ks: Array(20).fill(7), e: Array(20).fill(6), d: Array(5).fill(4), r: 28 }));
const x = tf.randomNormal([64, 28, 28, 1]);
const y = tf.oneHot(tf.randomUniform([64], 0, 10, 'int32') as tf.Tensor1D, 10);
const pass = () =>
  tf.tidy(() => {
    tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, net.forward(x)) as tf.Scalar, net.parameters());
  });
pass();
const profile = await tf.profile(pass);
const byKernel = new Map<string, number>();
for (const k of profile.kernels) byKernel.set(k.name, (byKernel.get(k.name) ?? 0) + (k.kernelTimeMs as number));
const total = [...byKernel.values()].reduce((a, b) => a + b, 0);
console.log(`largest subnet, stem stride 1, batch 64: one forward + backward pass, ${total.toFixed(0)} ms of kernel time`);
console.log('| kernel | ms | share |');
console.log('|---|---:|---:|');
for (const [name, ms] of [...byKernel].sort((a, b) => b[1] - a[1]).slice(0, 8)) console.log(`| ${name} | ${ms.toFixed(0)} | ${((100 * ms) / total).toFixed(1)}% |`);

const input = tf.randomNormal([64, 14, 14, 96]) as tf.Tensor4D;
console.log('\ndepthwise conv at [64, 14, 14, 96], stride 1, same padding, median of 5 after a warm-up');
console.log('| kernel | taps | ms | GMAC/s |');
console.log('|---|---:|---:|---:|');
for (const [kh, kw] of [[2, 2], [3, 3], [4, 4], [5, 5], [3, 5], [6, 6], [7, 7]]) {
  const w = tf.randomNormal([kh, kw, 96, 1]) as tf.Tensor4D;
  const times: number[] = [];
  for (let i = 0; i < 6; i++) {
    const t0 = performance.now();
    tf.depthwiseConv2d(input, w, 1, 'same').dispose();
    if (i > 0) times.push(performance.now() - t0);
  }
  const ms = times.sort((a, b) => a - b)[2];
  console.log(`| ${kh}x${kw} | ${kh * kw} | ${ms.toFixed(1)} | ${((64 * 14 * 14 * 96 * kh * kw) / ms / 1e6).toFixed(2)} |`);
  w.dispose();
}
const dy = tf.randomNormal([64, 14, 14, 96]);
for (const k of [3, 7]) {
  const times: number[] = [];
  for (let i = 0; i < 6; i++) {
    const t0 = performance.now();
    (tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x: input, dy }, { strides: 1, pad: 'same', dilations: 1, filterShape: [k, k, 96, 1] }) as tf.Tensor).dispose();
    if (i > 0) times.push(performance.now() - t0);
  }
  console.log(`filter gradient of the ${k}x${k} layer (hbx's, a depthwise conv with a 14x14 filter): ${times.sort((a, b) => a - b)[2].toFixed(1)} ms`);
}
