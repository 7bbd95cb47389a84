/**
 * ms per training step (forward + backward + SGD-momentum update) of the mbconv-stack
 * space (6 inverted-residual blocks), batch 32, 32x32x3 input, on each backend.
 *
 *   npm run bench                      # wasm and cpu, largest and smallest subnet
 *   npm run bench -- --backends wasm --steps 20
 */
import * as tf from '@tensorflow/tfjs-core';
import { parseArgs } from 'node:util';
import { initBackend, loadGradients, MBConvStack, RandomMutator, seedInit, type Arch } from '../index.js';

const { values: flags } = parseArgs({
  options: {
    backends: { type: 'string', default: 'wasm,cpu' },
    steps: { type: 'string', default: '10' },
    'cpu-steps': { type: 'string', default: '2' },
    batch: { type: 'string', default: '32' },
  },
});

const BATCH = Number(flags.batch);
const SIZE = 32;

function subnet(ks: number, er: number): Arch {
  const choices: Record<string, number> = {};
  for (let i = 1; i <= 6; i++) Object.assign(choices, { [`ks_block${i}`]: ks, [`er_block${i}`]: er });
  return { space: 'mbconv-stack', choices };
}

async function timeSteps(backend: string, arch: Arch, steps: number): Promise<number[]> {
  await tf.setBackend(backend);
  seedInit(1);
  const model = new MBConvStack();
  new RandomMutator(model).sampleByMask(arch);
  const optimizer = tf.train.momentum(0.05, 0.9);
  const x = tf.randomNormal([BATCH, SIZE, SIZE, 3], 0, 1, 'float32', 2);
  const labels = tf.oneHot(tf.randomUniform([BATCH], 0, 10, 'int32', 3) as tf.Tensor1D, 10);
  const step = () =>
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(
        () => tf.losses.softmaxCrossEntropy(labels, model.forward(x)) as tf.Scalar,
        model.parameters(),
      );
      optimizer.applyGradients(grads as tf.NamedTensorMap as never);
      return value.dataSync()[0];
    });
  step(); // warm-up: kernel set-up, XNNPACK operator creation
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    step();
    times.push(performance.now() - t0);
  }
  model.dispose();
  return times;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

await loadGradients();
await initBackend('wasm'); // registers the training kernels; the cpu backend is switched to per run
const backends = flags.backends!.split(',');
const archs = { 'largest (k7 e6)': subnet(7, 6), 'smallest (k3 e3)': subnet(3, 3) };
const medians: Record<string, Record<string, number>> = {};
for (const [name, arch] of Object.entries(archs)) {
  medians[name] = {};
  for (const backend of backends) {
    const steps = backend === 'cpu' ? Number(flags['cpu-steps']) : Number(flags.steps);
    const times = await timeSteps(backend, arch, steps);
    medians[name][backend] = median(times);
    process.stderr.write(`${name} on ${backend}: ${times.map((t) => t.toFixed(0)).join(', ')} ms\n`);
  }
}
const both = backends.includes('wasm') && backends.includes('cpu');
console.log(`training step (forward + backward + SGD momentum), mbconv-stack, batch ${BATCH}, ${SIZE}x${SIZE}x3, median ms`);
console.log(`| subnet | ${backends.join(' | ')} |${both ? ' cpu / wasm |' : ''}`);
console.log(`|---|${backends.map(() => '---:').join('|')}|${both ? '---:|' : ''}`);
for (const [name, m] of Object.entries(medians)) {
  const ratio = both ? ` ${(m.cpu / m.wasm).toFixed(1)}x |` : '';
  console.log(`| ${name} | ${backends.map((b) => m[b].toFixed(0)).join(' | ')} |${ratio}`);
}
