import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { avgPoolExcludingPadding, initBackend, loadGradients } from '../../index.js';

await initBackend('wasm');
await loadGradients();

/** Largest gap between `pool`'s gradient of sum(pool(x) * w) and central differences, and the gradient's largest entry. */
function gradientGap(pool: (t: tf.Tensor4D) => tf.Tensor4D, x: tf.Tensor4D): { gap: number; scale: number } {
  const w = tf.randomNormal(pool(x).shape, 0, 1, 'float32', 4);
  const f = (t: tf.Tensor4D) => tf.sum(tf.mul(pool(t), w));
  const analytic = tf.grad(f as (t: tf.Tensor) => tf.Tensor)(x).dataSync();
  const xs = x.dataSync();
  const numeric = Array.from(xs, (_, i) => {
    const at = (d: number) => f(tf.tensor4d(Float32Array.from(xs, (v, j) => (j === i ? v + d : v)), x.shape)).dataSync()[0];
    return (at(1e-2) - at(-1e-2)) / 2e-2;
  });
  return { gap: Math.max(...numeric.map((v, i) => Math.abs(v - analytic[i]))), scale: Math.max(...numeric.map(Math.abs)) };
}

describe('avgPoolExcludingPadding', () => {
  for (const [size, stride] of [[5, 1], [6, 1], [5, 2], [8, 2]]) {
    it(`${size}x${size}, stride ${stride}: tfjs's forward, and the gradient tfjs gets wrong at the borders`, () => {
      const x = tf.randomNormal([2, size, size, 3], 0, 1, 'float32', size * 10 + stride) as tf.Tensor4D;
      const ours = (t: tf.Tensor4D) => avgPoolExcludingPadding(t, 3, stride, 1);
      const tfjs = (t: tf.Tensor4D) => tf.avgPool(t, 3, stride, 1);
      expect(tf.max(tf.abs(tf.sub(ours(x), tfjs(x)))).dataSync()[0]).toBeLessThan(1e-6);
      const mine = gradientGap(ours, x);
      expect(mine.gap).toBeLessThan(1e-3 * mine.scale + 1e-4);
      const theirs = gradientGap(tfjs, x);
      expect(theirs.gap).toBeGreaterThan(0.1 * theirs.scale);
    });
  }
});
