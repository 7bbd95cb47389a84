import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { BatchNorm2d, Conv1d, Conv2d, Conv3d, Linear, seedInit, ValueSpace, withoutInit, type ConvNd } from '../../space/index.js';
import { naiveConv } from '../helpers/naive_conv.js';
import { useWasm } from '../helpers/setup.js';
import { maxAbsDiff, randomArray } from '../helpers/tensors.js';

useWasm({ gradients: true });

function pick<T extends number>(space: ValueSpace<T>, value: T): void {
  space.setMask(space.maskFor(value));
}

/** The conv's output against the naive reference run on its active weight. */
function checkAgainstNaive(conv: ConvNd, xShape: number[], opts: { cin: number; cout: number; k: number; stride: number; groups: number }) {
  const x = randomArray(xShape.reduce((a, b) => a * b), 11);
  const y = conv.forward(tf.tensor(x, xShape));
  const w = conv.activeWeight(opts.cout, opts.cin / opts.groups, opts.k);
  const want = naiveConv(x, xShape, w.dataSync() as Float32Array, w.shape, {
    stride: opts.stride,
    pad: conv.padding(opts.k),
    dilation: conv.dilation,
    groups: opts.groups,
    bias: conv.bias ? (conv.bias.dataSync() as Float32Array).slice(0, opts.cout) : undefined,
  });
  expect(y.shape).toEqual(want.shape);
  expect(maxAbsDiff(y.dataSync(), want.values)).toBeLessThan(1e-4);
}

describe('elastic Conv2d', () => {
  it('allocates the largest weight and transform matrices when searchable', () => {
    const conv = new Conv2d(new ValueSpace([8, 16]), new ValueSpace([16, 24, 32]), new ValueSpace([3, 5, 7]), { bias: true });
    expect(Object.fromEntries(conv.namedParameters().map(([n, v]) => [n, v.shape]))).toEqual({
      weight: [32, 16, 7, 7],
      bias: [32],
      transform_7to5: [25, 25],
      transform_5to3: [9, 9],
    });
  });

  it('a depthwise conv whose groups share the channels key holds one input channel per group', () => {
    const width = new ValueSpace([16, 24, 32], { key: 'mid' });
    const dw = new Conv2d(width, width, new ValueSpace([3, 5, 7]), { groups: width });
    expect(dw.weight.shape).toEqual([32, 1, 7, 7]);
    for (const c of [16, 24, 32])
      for (const k of [3, 5, 7]) {
        pick(width, c);
        pick(dw.kernelSize as ValueSpace<number>, k);
        checkAgainstNaive(dw, [2, 9, 9, c], { cin: c, cout: c, k, stride: 1, groups: c });
      }
  });

  it('every active slice matches a direct convolution (channels, kernel, stride, groups, bias)', () => {
    const cin = new ValueSpace([4, 8]);
    const cout = new ValueSpace([8, 12]);
    const ks = new ValueSpace([3, 5]);
    const stride = new ValueSpace([1, 2]);
    const groups = new ValueSpace([1, 2, 4]);
    const conv = new Conv2d(cin, cout, ks, { stride, groups, bias: true });
    for (const i of [4, 8])
      for (const o of [8, 12])
        for (const k of [3, 5])
          for (const s of [1, 2])
            for (const g of [1, 2, 4]) {
              pick(cin, i);
              pick(cout, o);
              pick(ks, k);
              pick(stride, s);
              pick(groups, g);
              checkAgainstNaive(conv, [2, 7, 6, i], { cin: i, cout: o, k, stride: s, groups: g });
            }
  });

  it('a smaller kernel is the centre crop at initialisation, then follows the learned transforms', () => {
    const ks = new ValueSpace([3, 5, 7]);
    const conv = new Conv2d(2, 3, ks);
    const full = conv.weight.arraySync() as number[][][][];
    const crop = (k: number) => full.map((o) => o.map((i) => i.slice((7 - k) / 2, (7 + k) / 2).map((r) => r.slice((7 - k) / 2, (7 + k) / 2))));
    expect(maxAbsDiff(conv.activeWeight(3, 2, 3).dataSync(), tf.tensor(crop(3)).dataSync())).toBe(0);
    expect(maxAbsDiff(conv.activeWeight(3, 2, 5).dataSync(), tf.tensor(crop(5)).dataSync())).toBe(0);

    // With a non-identity 5to3 matrix M, the 3x3 kernel is M applied to the flattened centre crop.
    const m = tf.randomNormal([9, 9], 0, 1, 'float32', 3);
    conv.transforms.get('5to3')!.assign(m);
    const want = tf.reshape(tf.matMul(tf.reshape(tf.tensor(crop(3)), [6, 9]), m, false, true), [3, 2, 3, 3]);
    expect(maxAbsDiff(conv.activeWeight(3, 2, 3).dataSync(), want.dataSync())).toBeLessThan(1e-5);
  });

  it('trains the transform matrices only when the kernel shrinks through them', () => {
    const ks = new ValueSpace([3, 5, 7]);
    const conv = new Conv2d(2, 3, ks);
    const x = tf.randomNormal([1, 6, 6, 2]);
    const gradsFor = (k: number) => {
      pick(ks, k);
      const { grads } = tf.variableGrads(() => tf.sum(tf.square(conv.forward(x))) as tf.Scalar, conv.parameters());
      const norm = (name: string) => {
        const v = conv.namedParameters().find(([n]) => n === name)![1];
        return grads[v.name] ? tf.norm(grads[v.name]).dataSync()[0] : 0;
      };
      return { weight: norm('weight'), t75: norm('transform_7to5'), t53: norm('transform_5to3') };
    };
    const k3 = gradsFor(3);
    expect(k3.weight).toBeGreaterThan(0);
    expect(k3.t75).toBeGreaterThan(0);
    expect(k3.t53).toBeGreaterThan(0);
    const k5 = gradsFor(5);
    expect(k5.t75).toBeGreaterThan(0);
    expect(k5.t53).toBe(0);
    const k7 = gradsFor(7);
    expect(k7.t75 + k7.t53).toBe(0);
  });

  it('kernelTransform: false means a plain centre crop and no matrices', () => {
    const conv = new Conv2d(2, 3, new ValueSpace([3, 5]), { kernelTransform: false });
    expect(conv.namedParameters().map(([n]) => n)).toEqual(['weight']);
  });

  it('rejects an input whose channels do not match the active arch', () => {
    const conv = new Conv2d(new ValueSpace([4, 8]), 4, 3);
    expect(() => conv.forward(tf.zeros([1, 5, 5, 4]))).toThrow(/expects 8/);
  });
});

describe('elastic Conv1d and Conv3d', () => {
  it('Conv1d matches a direct convolution, with and without groups and stride', () => {
    const ks = new ValueSpace([3, 5]);
    const conv = new Conv1d(4, new ValueSpace([6, 8]), ks, { groups: 2, stride: new ValueSpace([1, 2]), bias: true });
    expect(conv.weight.shape).toEqual([8, 2, 5]);
    for (const k of [3, 5]) {
      pick(ks, k);
      checkAgainstNaive(conv, [2, 11, 4], { cin: 4, cout: 8, k, stride: 2, groups: 2 });
    }
  });

  it('Conv3d matches a direct convolution', () => {
    const ks = new ValueSpace([1, 3]);
    const conv = new Conv3d(3, 4, ks, { groups: 1, bias: true, kernelTransform: true });
    expect(conv.transforms.get('3to1')!.shape).toEqual([1, 1]);
    for (const k of [1, 3]) {
      pick(ks, k);
      checkAgainstNaive(conv, [1, 5, 4, 6, 3], { cin: 3, cout: 4, k, stride: 1, groups: 1 });
    }
    const grouped = new Conv3d(4, 6, 3, { groups: 2, stride: 2 });
    checkAgainstNaive(grouped, [2, 5, 5, 5, 4], { cin: 4, cout: 6, k: 3, stride: 2, groups: 2 });
  });
});

describe('elastic Linear', () => {
  it('uses the first out x in block of the weight', () => {
    const inF = new ValueSpace([6, 10]);
    const outF = new ValueSpace([3, 5]);
    const fc = new Linear(inF, outF);
    pick(inF, 6);
    pick(outF, 3);
    const x = tf.randomNormal([4, 6]);
    const w = tf.slice(fc.weight, [0, 0], [3, 6]);
    const want = tf.add(tf.matMul(x, w, false, true), tf.slice(fc.bias!, [0], [3]));
    expect(maxAbsDiff(fc.forward(x).dataSync(), want.dataSync())).toBeLessThan(1e-5);
    expect(fc.forward(tf.zeros([2, 7, 6])).shape).toEqual([2, 7, 3]);
  });
});

describe('elastic BatchNorm2d', () => {
  it('normalises with batch statistics in training and updates the first c running entries', () => {
    const width = new ValueSpace([2, 4]);
    const bn = new BatchNorm2d(width, { momentum: 0.5 });
    pick(width, 2);
    const x = tf.add(tf.mul(tf.randomNormal([8, 3, 3, 2], 0, 1, 'float32', 5), 3), 10);
    const y = bn.forward(x);
    const { mean, variance } = tf.moments(y, [0, 1, 2]);
    expect(maxAbsDiff(mean.dataSync(), [0, 0])).toBeLessThan(1e-4);
    expect(maxAbsDiff(variance.dataSync(), [1, 1])).toBeLessThan(1e-3);

    const batch = tf.moments(x, [0, 1, 2]);
    const n = 8 * 3 * 3;
    const wantMean = [...batch.mean.dataSync()].map((m) => 0.5 * m);
    const wantVar = [...batch.variance.dataSync()].map((v) => 0.5 + 0.5 * v * (n / (n - 1)));
    const runMean = bn.runningMean.dataSync();
    const runVar = bn.runningVar.dataSync();
    expect(maxAbsDiff(runMean.slice(0, 2), wantMean)).toBeLessThan(1e-4);
    expect(maxAbsDiff(runVar.slice(0, 2), wantVar)).toBeLessThan(1e-3);
    expect([...runMean.slice(2)]).toEqual([0, 0]);
    expect([...runVar.slice(2)]).toEqual([1, 1]);

    bn.eval();
    const z = bn.forward(x);
    const expected = tf.batchNorm(x, tf.slice(bn.runningMean, [0], [2]), tf.slice(bn.runningVar, [0], [2]), undefined, undefined, 1e-5);
    expect(maxAbsDiff(z.dataSync(), expected.dataSync())).toBeLessThan(1e-4);
  });
});

describe('elastic BatchNorm1d and BatchNorm3d', () => {
  it('normalise over every axis but the channels, on the ranks they accept', async () => {
    const { BatchNorm1d, BatchNorm3d } = await import('../../index.js');
    const bn1 = new BatchNorm1d(new ValueSpace([3, 5]));
    for (const shape of [
      [16, 5],
      [4, 6, 5],
    ]) {
      const { mean, variance } = tf.moments(bn1.forward(tf.randomNormal(shape, 4, 2)), shape.slice(0, -1).map((_, i) => i));
      expect(maxAbsDiff(mean.dataSync(), new Array(5).fill(0))).toBeLessThan(1e-4);
      expect(maxAbsDiff(variance.dataSync(), new Array(5).fill(1))).toBeLessThan(1e-2);
    }
    expect(() => bn1.forward(tf.zeros([2, 2, 2, 5]))).toThrow(/expected input rank 2 or 3/);
    const bn3 = new BatchNorm3d(4);
    expect(bn3.forward(tf.randomNormal([2, 3, 3, 3, 4])).shape).toEqual([2, 3, 3, 3, 4]);
  });
});

describe('withoutInit', () => {
  const weightsOf = (m: Conv2d | Linear) => [...m.weight.dataSync(), ...(m.bias?.dataSync() ?? [])];

  it('builds zero-filled weights and leaves the init generator where it was', () => {
    seedInit(7);
    const first = new Conv2d(3, 8, 3, { bias: true });
    const second = new Linear(8, 4);
    seedInit(7);
    const a = new Conv2d(3, 8, 3, { bias: true });
    const skipped = withoutInit(() => withoutInit(() => new Linear(16, 16)) && new Conv2d(8, 8, 5, { bias: true }));
    const b = new Linear(8, 4);
    expect(weightsOf(skipped).every((v) => v === 0)).toBe(true);
    expect(weightsOf(a)).toEqual(weightsOf(first));
    expect(weightsOf(b)).toEqual(weightsOf(second)); // drawn as if nothing had been built in between
    expect(weightsOf(b).some((v) => v !== 0)).toBe(true); // and initialised again once outside
  });

  it('ends with the build even when it throws', () => {
    expect(() => withoutInit(() => new Conv2d(3, 8, new ValueSpace([3, 4])))).toThrow(/odd or all even/);
    expect(weightsOf(new Linear(4, 4)).some((v) => v !== 0)).toBe(true);
  });
});
