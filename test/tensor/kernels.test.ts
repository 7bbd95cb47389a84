import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, loadGradients, loadWebgpu, registerTrainingKernels } from '../../tensor/index.js';
import { webgpuAvailable } from '../helpers/setup.js';

await loadGradients();
import { randomArray, relativeError, valuesOn } from '../helpers/tensors.js';

const BACKENDS = ['wasm', ...((await webgpuAvailable()) ? ['webgpu'] : [])];

type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];

interface Case {
  n: number;
  h: number;
  w: number;
  cin: number;
  /** Output channels (conv) or channel multiplier (depthwise). */
  cout: number;
  k: number;
  stride: number;
  dilation: number;
  pad: Pad;
}

const EXPLICIT: Pad = [[0, 0], [1, 2], [2, 0], [0, 0]];
const SHAPES = [
  { n: 2, h: 15, w: 15, cin: 3, cout: 4 },
  { n: 1, h: 16, w: 13, cin: 5, cout: 2 },
];

function grid(): Case[] {
  const cases: Case[] = [];
  for (const shape of SHAPES)
    for (const stride of [1, 2])
      for (const pad of ['same', 'valid', EXPLICIT] as Pad[])
        for (const k of [1, 3, 5, 7])
          for (const dilation of [1, 2]) {
            if (k === 1 && dilation > 1) continue; // a 1x1 kernel has nothing to dilate
            cases.push({ ...shape, stride, pad, k, dilation });
          }
  return cases;
}

function name(c: Case): string {
  const pad = typeof c.pad === 'string' ? c.pad : 'explicit';
  return `${c.n}x${c.h}x${c.w}x${c.cin}->${c.cout} k${c.k} s${c.stride} d${c.dilation} ${pad}`;
}

/** The dilated kernel written out densely with zeros: kd = (k - 1) * d + 1. */
function expandKernel(f: Float32Array, k: number, d: number, inner: number): Float32Array {
  const kd = (k - 1) * d + 1;
  const out = new Float32Array(kd * kd * inner);
  for (let i = 0; i < k; i++)
    for (let j = 0; j < k; j++)
      for (let c = 0; c < inner; c++) out[(i * d * kd + j * d) * inner + c] = f[(i * k + j) * inner + c];
  return out;
}

/** The taps of a dense (kd x kd) gradient that belong to the dilated kernel. */
function takeTaps(g: Float32Array, k: number, d: number, inner: number): Float32Array {
  const kd = (k - 1) * d + 1;
  const out = new Float32Array(k * k * inner);
  for (let i = 0; i < k; i++)
    for (let j = 0; j < k; j++)
      for (let c = 0; c < inner; c++) out[(i * k + j) * inner + c] = g[(i * d * kd + j * d) * inner + c];
  return out;
}

/** Shape of the forward output, so dy can be made to match. */
function outShape(c: Case, depthwise: boolean): number[] {
  const kd = (c.k - 1) * c.dilation + 1;
  const info = tf.backend_util.computeConv2DInfo([c.n, c.h, c.w, c.cin], [kd, kd, c.cin, c.cout], c.stride, 1, c.pad, undefined, depthwise);
  return info.outShape;
}

function fits(c: Case): boolean {
  return outShape(c, false).every((v) => v > 0);
}

const KERNELS = ['Conv2DBackpropFilter', 'DepthwiseConv2dNativeBackpropFilter', 'DepthwiseConv2dNativeBackpropInput'];

/**
 * The reference runs the cpu backend's kernel on the equivalent undilated problem (the
 * dilated kernel written out with zeros): the cpu kernels ignore dilation in their loops,
 * so comparing against them directly would only be valid at dilation 1. wasm lacks the three
 * kernels (hbx's are registered); webgpu has its own, which ignore dilation as cpu's do, so
 * hbx's take its dilated calls.
 */
describe.each(BACKENDS)('%s training kernels match the cpu backend', (backend) => {
  beforeAll(async () => {
    await initBackend('wasm');
    if (backend === 'wasm') {
      expect(registerTrainingKernels('wasm')).toEqual([]); // initBackend registered them; a second call adds nothing
    } else {
      await loadWebgpu();
      expect(registerTrainingKernels('webgpu')).toEqual(KERNELS.map((k) => `${k} (dilated)`));
      expect(registerTrainingKernels('webgpu')).toEqual([]);
    }
  });

  it.runIf(backend === 'wasm')('initBackend registered the three kernels and the faster Slice, Identity, depthwise conv, Sum and Mean', async () => {
    expect((await initBackend('wasm')).addedKernels.sort()).toEqual([...KERNELS, 'DepthwiseConv2dNative (tiled)', 'Identity (shared)', 'Mean (pooled)', 'Slice (in place)', 'Sum (pooled)'].sort());
  });

  const cases = grid().filter(fits);

  it('covers the whole grid', () => {
    expect(cases.length).toBeGreaterThan(70);
  });

  it.each(cases.map((c) => [name(c), c] as const))('Conv2DBackpropFilter %s', async (_, c) => {
    const x = randomArray(c.n * c.h * c.w * c.cin, 1);
    const dyShape = outShape(c, false);
    const dy = randomArray(dyShape.reduce((a, b) => a * b), 2);
    const kd = (c.k - 1) * c.dilation + 1;
    const attrs = { strides: c.stride, pad: c.pad, dataFormat: 'NHWC' };
    const run = (backend: string, filterShape: number[], dilations: number) =>
      valuesOn(backend, () =>
        tf.engine().runKernel(
          'Conv2DBackpropFilter',
          { x: tf.tensor4d(x, [c.n, c.h, c.w, c.cin]), dy: tf.tensor(dy, dyShape) },
          { ...attrs, filterShape, dilations },
        ) as tf.Tensor,
      );
    const got = await run(backend, [c.k, c.k, c.cin, c.cout], c.dilation);
    const dense = await run('cpu', [kd, kd, c.cin, c.cout], 1);
    expect(got.shape).toEqual([c.k, c.k, c.cin, c.cout]);
    expect(relativeError(got.values, takeTaps(dense.values, c.k, c.dilation, c.cin * c.cout))).toBeLessThanOrEqual(1e-4);
  });

  const depthwiseCases = cases.filter((c) => c.stride === 1 || c.dilation === 1); // tfjs allows one or the other

  it.each(depthwiseCases.map((c) => [name(c), c] as const))('DepthwiseConv2dNativeBackpropFilter %s', async (_, c) => {
    const x = randomArray(c.n * c.h * c.w * c.cin, 3);
    const dyShape = outShape(c, true);
    const dy = randomArray(dyShape.reduce((a, b) => a * b), 4);
    const kd = (c.k - 1) * c.dilation + 1;
    const run = (backend: string, filterShape: number[], dilations: number) =>
      valuesOn(backend, () =>
        tf.engine().runKernel(
          'DepthwiseConv2dNativeBackpropFilter',
          { x: tf.tensor4d(x, [c.n, c.h, c.w, c.cin]), dy: tf.tensor(dy, dyShape) },
          { strides: c.stride, pad: c.pad, dilations, filterShape },
        ) as tf.Tensor,
      );
    const got = await run(backend, [c.k, c.k, c.cin, c.cout], c.dilation);
    const dense = await run('cpu', [kd, kd, c.cin, c.cout], 1);
    expect(got.shape).toEqual([c.k, c.k, c.cin, c.cout]);
    expect(relativeError(got.values, takeTaps(dense.values, c.k, c.dilation, c.cin * c.cout))).toBeLessThanOrEqual(1e-4);
  });

  it.each(depthwiseCases.map((c) => [name(c), c] as const))('DepthwiseConv2dNativeBackpropInput %s', async (_, c) => {
    const filter = randomArray(c.k * c.k * c.cin * c.cout, 5);
    const dyShape = outShape(c, true);
    const dy = randomArray(dyShape.reduce((a, b) => a * b), 6);
    const kd = (c.k - 1) * c.dilation + 1;
    const inputShape = [c.n, c.h, c.w, c.cin];
    const run = (backend: string, f: Float32Array, k: number, dilations: number) =>
      valuesOn(backend, () =>
        tf.engine().runKernel(
          'DepthwiseConv2dNativeBackpropInput',
          { dy: tf.tensor(dy, dyShape), filter: tf.tensor4d(f, [k, k, c.cin, c.cout]) },
          { strides: c.stride, pad: c.pad, dilations, inputShape },
        ) as tf.Tensor,
      );
    const got = await run(backend, filter, c.k, c.dilation);
    const want = await run('cpu', expandKernel(filter, c.k, c.dilation, c.cin * c.cout), kd, 1);
    expect(got.shape).toEqual(inputShape);
    expect(relativeError(got.values, want.values)).toBeLessThanOrEqual(1e-4);
  });

  // Forward depthwise at every filter size wasm tiles (2, 4, 6, 7), against cpu's dense kernel.
  const tiledCases = grid()
    .flatMap((c) => (c.k === 7 ? [2, 4, 6, 7].map((k) => ({ ...c, k })) : []))
    .filter((c) => fits(c) && (c.stride === 1 || c.dilation === 1));

  it.each(tiledCases.map((c) => [name(c), c] as const))('DepthwiseConv2dNative %s', async (_, c) => {
    const x = randomArray(c.n * c.h * c.w * c.cin, 12);
    const filter = randomArray(c.k * c.k * c.cin * c.cout, 13);
    const kd = (c.k - 1) * c.dilation + 1;
    const run = (backend: string, f: Float32Array, k: number, dilations: number) =>
      valuesOn(backend, () => tf.depthwiseConv2d(tf.tensor4d(x, [c.n, c.h, c.w, c.cin]), tf.tensor4d(f, [k, k, c.cin, c.cout]), c.stride, c.pad, 'NHWC', dilations));
    const got = await run(backend, filter, c.k, c.dilation);
    const want = await run('cpu', expandKernel(filter, c.k, c.dilation, c.cin * c.cout), kd, 1);
    expect(got.shape).toEqual(want.shape);
    expect(relativeError(got.values, want.values)).toBeLessThanOrEqual(1e-5);
  });

  it('frees every intermediate it allocates', async () => {
    await tf.setBackend(backend);
    const engine = tf.engine().backend;
    const x = tf.tensor4d(randomArray(2 * 9 * 9 * 4, 7), [2, 9, 9, 4]);
    const dy = tf.tensor4d(randomArray(2 * 5 * 5 * 8, 8), [2, 5, 5, 8]);
    const dyDilated = tf.tensor4d(randomArray(2 * 9 * 9 * 8, 8), [2, 9, 9, 8]);
    const filter = tf.ones([3, 3, 4, 2]);
    const filter7 = tf.ones([7, 7, 4, 2]);
    const before = engine.numDataIds();
    for (const [kernel, inputs, attrs] of [
      ['Conv2DBackpropFilter', { x, dy }, { strides: 2, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 4, 8] }],
      ['Conv2DBackpropFilter', { x, dy: dyDilated }, { strides: 1, pad: 'same', dataFormat: 'NHWC', dilations: 2, filterShape: [3, 3, 4, 8] }],
      ['DepthwiseConv2dNativeBackpropFilter', { x, dy }, { strides: 2, pad: 'same', dilations: 1, filterShape: [3, 3, 4, 2] }],
      ['DepthwiseConv2dNativeBackpropFilter', { x, dy: dyDilated }, { strides: 1, pad: 'same', dilations: 2, filterShape: [3, 3, 4, 2] }],
      ['DepthwiseConv2dNativeBackpropInput', { dy, filter }, { strides: 2, pad: 'same', dilations: 1, inputShape: [2, 9, 9, 4] }],
      ['DepthwiseConv2dNativeBackpropInput', { dy: dyDilated, filter }, { strides: 1, pad: 'same', dilations: 2, inputShape: [2, 9, 9, 4] }],
      ['DepthwiseConv2dNative', { x, filter: filter7 }, { strides: 1, pad: 'same', dilations: 1, dataFormat: 'NHWC' }],
    ] as const) {
      const out = tf.engine().runKernel(kernel, inputs, attrs as never) as tf.Tensor;
      out.dispose();
    }
    expect(engine.numDataIds()).toBe(before);
    tf.dispose([x, dy, dyDilated, filter, filter7]);
  });

  it('tf.grad of conv2d and depthwiseConv2d agrees across backends', async () => {
    const x = randomArray(2 * 12 * 12 * 6, 9);
    const f = randomArray(3 * 3 * 6 * 8, 10);
    const df = randomArray(5 * 5 * 8, 11);
    const loss = () => {
      const xt = tf.tensor4d(x, [2, 12, 12, 6]);
      const [gx, gf, gd] = tf.grads((a: tf.Tensor, b: tf.Tensor, d: tf.Tensor) => {
        const y = tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, [[0, 0], [1, 1], [1, 1], [0, 0]]);
        const z = tf.depthwiseConv2d(y, tf.reshape(d, [5, 5, 8, 1]) as tf.Tensor4D, 1, 'same');
        return tf.sum(tf.square(z));
      })([xt, tf.tensor4d(f, [3, 3, 6, 8]), tf.tensor(df.slice(0, 200), [200])]);
      return tf.concat([gx, gf, gd].map((g) => tf.reshape(g, [-1])));
    };
    const got = await valuesOn(backend, loss);
    const want = await valuesOn('cpu', loss);
    expect(relativeError(got.values, want.values)).toBeLessThanOrEqual(1e-4);
  });
});

describe('the gradient of a dilated depthwise conv (tfjs-core refuses dilation; hbx registers its own)', () => {
  it('equals, on wasm, the gradient of the dense conv whose kernel is the dilated one written out with zeros', async () => {
    await initBackend('wasm');
    const [n, h, c, k, d] = [2, 11, 4, 3, 2];
    const kd = (k - 1) * d + 1;
    const x = randomArray(n * h * h * c, 14);
    const f = randomArray(k * k * c, 15);
    const r = randomArray(n * h * h * c, 16);
    const grads = (filter: Float32Array, size: number, dilation: number) =>
      valuesOn('wasm', () => {
        const [gx, gf] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
          tf.sum(tf.mul(tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same', 'NHWC', dilation), tf.tensor4d(r, [n, h, h, c]))),
        )([tf.tensor4d(x, [n, h, h, c]), tf.tensor4d(filter, [size, size, c, 1])]);
        return tf.concat([tf.reshape(gx, [-1]), tf.reshape(gf, [-1])]);
      });
    const dilated = await grads(f, k, d);
    const dense = await grads(expandKernel(f, k, d, c), kd, 1);
    const xSize = n * h * h * c;
    expect(relativeError(dilated.values.subarray(0, xSize), dense.values.subarray(0, xSize))).toBeLessThanOrEqual(1e-5);
    expect(relativeError(dilated.values.subarray(xSize), takeTaps(dense.values.subarray(xSize), k, d, c))).toBeLessThanOrEqual(1e-5);
  });
});
