import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { countEmitted, makeDivisible, MBConvStack, STACK_SPACE } from '../../networks/index.js';
import { RandomMutator, seedInit, summarizeSpace, type Arch } from '../../space/index.js';
import { perturb } from '../helpers/perturb.js';
import { useWasm } from '../helpers/setup.js';
import { expectSubnetsMatchSupernet } from '../helpers/subnet_checks.js';
import { randomArray, relativeError, valuesOn } from '../helpers/tensors.js';

useWasm({ gradients: true });

const SMALL = {
  stemChannels: 8,
  blocks: [
    { out: 16, stride: 2 },
    { out: 16, stride: 1, se: true },
    { out: 24, stride: 2, act: 'hswish' as const },
  ],
};

function archOf(ks: number[], er: number[]): Arch {
  const choices: Record<string, number> = {};
  ks.forEach((k, i) => (choices[`ks_block${i + 1}`] = k));
  er.forEach((e, i) => (choices[`er_block${i + 1}`] = e));
  return { space: 'mbconv-stack', choices };
}

describe('make_divisible', () => {
  it('matches the MobileNet rule', () => {
    expect([makeDivisible(16 * 3), makeDivisible(24 * 4), makeDivisible(40 * 6), makeDivisible(3), makeDivisible(12)]).toEqual([48, 96, 240, 8, 16]);
    expect(makeDivisible(144 / 4)).toBe(40); // 36 -> 40
    expect(makeDivisible(20)).toBe(24); // 20 rounds to 24 (ties go up)
  });
});

describe('mbconv-stack', () => {
  it('describes its space: 2 decisions per block, 3 candidates each', () => {
    const s = summarizeSpace(new MBConvStack());
    expect(s.space).toBe('mbconv-stack');
    expect(s.decisions).toHaveLength(12);
    expect(s.archCount).toBe(String(3 ** 12));
  });

  it('one training step gives the same gradients on wasm and cpu', async () => {
    const x = randomArray(4 * 16 * 16 * 3, 1);
    const labels = [1, 7, 3, 0];
    const grads = () => {
      seedInit(5);
      const model = new MBConvStack({ ...SMALL, numClasses: 10 });
      new RandomMutator(model).sampleByMask(archOf([7, 5, 3], [6, 3, 4]));
      const { grads: g } = tf.variableGrads(
        () =>
          tf.losses.softmaxCrossEntropy(
            tf.oneHot(tf.tensor1d(labels, 'int32'), 10),
            model.forward(tf.tensor4d(x, [4, 16, 16, 3])),
          ) as tf.Scalar,
        model.parameters(),
      );
      const names = model.namedParameters().filter(([, v]) => g[v.name]);
      const flat = tf.concat(names.map(([, v]) => tf.reshape(g[v.name], [-1])));
      model.dispose();
      return flat;
    };
    const onWasm = await valuesOn('wasm', grads);
    const onCpu = await valuesOn('cpu', grads);
    await tf.setBackend('wasm');
    expect(onWasm.values.length).toBe(onCpu.values.length);
    expect(relativeError(onWasm.values, onCpu.values)).toBeLessThan(1e-4);
  });

  it('trains on wasm: SGD with momentum fits a fixed batch', () => {
    seedInit(3);
    const model = new MBConvStack({ ...SMALL, numClasses: 4 });
    const mutator = new RandomMutator(model, { seed: 1 });
    mutator.sampleByMask(archOf([5, 5, 5], [4, 4, 4]));
    const x = tf.tensor4d(randomArray(16 * 16 * 16 * 3, 2), [16, 16, 16, 3]);
    const y = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3], 'int32'), 4);
    const opt = tf.train.momentum(0.1, 0.9);
    const losses: number[] = [];
    for (let i = 0; i < 25; i++) {
      losses.push(
        tf.tidy(() => {
          const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, model.forward(x)) as tf.Scalar, model.parameters());
          opt.applyGradients(grads as never);
          return value.dataSync()[0];
        }),
      );
    }
    expect(losses[0]).toBeGreaterThan(1.2); // about ln 4 at the start
    expect(Math.min(...losses.slice(-5))).toBeLessThan(0.3 * losses[0]);
    model.eval();
    const accuracy = tf.mean(tf.cast(tf.equal(tf.argMax(model.forward(x), 1), tf.argMax(y, 1)), 'float32')).dataSync()[0];
    expect(accuracy).toBeGreaterThan(0.5);
  });
});

describe('mbconv-stack subnets', () => {
  it('hold only the chosen kernels and widths, compute what the supernet computes, and export the same', async () => {
    const supernet = STACK_SPACE.create({ ...SMALL, inputChannels: 1 }) as MBConvStack;
    perturb(supernet, 23);
    supernet.eval();
    const archs = [archOf([3, 3, 3], [3, 3, 3]), archOf([7, 5, 3], [6, 4, 3]), archOf([5, 7, 7], [4, 6, 6])];
    for (const arch of archs) {
      const subnet = STACK_SPACE.subnet(supernet, arch);
      expect(countEmitted(subnet as MBConvStack, 1, 32).params).toBe(subnet.numParameters());
      expect(subnet.numParameters()).toBeLessThan(supernet.numParameters());
      subnet.dispose();
    }
    const x = tf.randomNormal([2, 32, 32, 1], 0, 1, 'float32', 7) as tf.Tensor4D;
    await expectSubnetsMatchSupernet(STACK_SPACE, supernet, archs, x);
  });
});
