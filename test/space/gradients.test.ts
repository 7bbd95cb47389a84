import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Linear } from '../../space/index.js';
import { batchNormReadingVectors, batchNormWithOps } from '../../space/ops/batchnorm.js';
import { matMulTransposedWeight } from '../../space/ops/pointwise.js';
import { useWasm } from '../helpers/setup.js';
import { randomArray, relativeError, valuesOn } from '../helpers/tensors.js';

useWasm({ gradients: true });

/** Gradients of sum(y * r) for a fixed random r, flattened and concatenated. */
function gradsOf(f: (...xs: tf.Tensor[]) => tf.Tensor, inputs: () => tf.Tensor[]): () => tf.Tensor {
  return () => {
    const xs = inputs();
    const r = tf.tensor(randomArray(f(...xs).size, 99), f(...xs).shape);
    const gs = tf.grads((...args: tf.Tensor[]) => tf.sum(tf.mul(f(...args), r)))(xs);
    return tf.concat(gs.map((g) => tf.reshape(g, [-1])));
  };
}

describe('hand-written gradients equal autodiff of the plain formula', () => {
  const paths = { 'tensor ops (webgpu)': batchNormWithOps, 'vectors read (every other backend)': batchNormReadingVectors };
  for (const backend of ['cpu', 'wasm']) {
    for (const [name, path] of Object.entries(paths)) {
      it(`batch norm in training mode, ${name} on ${backend}: closed-form gradient and statistics vs autodiff of moments + batchNorm`, async () => {
        await tf.setBackend(backend);
        const shape = [6, 5, 4, 3];
        // A channel far from zero with little spread, as Fashion-MNIST's background makes them.
        const values = randomArray(360, 1).map((v, i) => (i % 3 === 2 ? 8 + 0.5 * v : v));
        const r = tf.tensor(randomArray(360, 99), shape);
        const x = tf.variable(tf.tensor(values, shape));
        const g = tf.variable(tf.tensor1d([0.5, 1.5, -2]));
        const b = tf.variable(tf.tensor1d([0.1, 0, -0.3]));
        const read = (t: ArrayLike<number> | tf.Tensor) => Array.from(t instanceof tf.Tensor ? t.dataSync() : t);
        let statistics: { mean: number[]; variance: number[]; count: number } | undefined;
        const ours = tf.variableGrads(() => {
          const out = path(x, g, b, 1e-5, undefined);
          statistics = { mean: read(out.statistics.mean), variance: read(out.statistics.variance), count: out.statistics.count };
          return tf.sum(tf.mul(out.y, r)) as tf.Scalar;
        }, [x, g, b]);
        const plain = tf.variableGrads(() => {
          const { mean, variance } = tf.moments(x, [0, 1, 2]);
          return tf.sum(tf.mul(tf.batchNorm(x, mean, variance, b, g, 1e-5), r)) as tf.Scalar;
        }, [x, g, b]);
        const moments = tf.moments(x, [0, 1, 2]);
        for (const v of [x, g, b]) expect(relativeError(ours.grads[v.name].dataSync(), plain.grads[v.name].dataSync())).toBeLessThan(1e-4);
        expect(relativeError(statistics!.mean, moments.mean.dataSync())).toBeLessThan(1e-6);
        expect(relativeError(statistics!.variance, moments.variance.dataSync())).toBeLessThan(1e-3);
        expect(statistics!.count).toBe(120);
        await tf.setBackend('wasm');
      });
    }
  }

  it('pointwise matmul (x @ w^T with untransposed-matmul gradients)', async () => {
    for (const [m, k, n] of [
      [50, 4, 9],
      [50, 9, 4],
    ]) {
      const inputs = () => [tf.tensor(randomArray(m * k, 2), [m, k]), tf.tensor(randomArray(n * k, 3), [n, k])];
      const got = await valuesOn('wasm', gradsOf((x, w) => matMulTransposedWeight(x as tf.Tensor2D, w as tf.Tensor2D), inputs));
      const want = await valuesOn('cpu', gradsOf((x, w) => tf.matMul(x, w, false, true), inputs));
      expect(relativeError(got.values, want.values)).toBeLessThan(1e-4);
    }
  });

  it('Linear gradients match on wasm and cpu', async () => {
    const fc = new Linear(7, 5);
    const inputs = () => [tf.tensor(randomArray(3 * 7, 4), [3, 7])];
    const f = (x: tf.Tensor) => fc.forward(x);
    const got = await valuesOn('wasm', gradsOf(f, inputs));
    const want = await valuesOn('cpu', gradsOf(f, inputs));
    expect(relativeError(got.values, want.values)).toBeLessThan(1e-4);
    await tf.setBackend('wasm');
  });
});
