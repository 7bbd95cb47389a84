import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../../tensor/index.js';
import { randomArray } from '../helpers/tensors.js';

await initBackend('wasm');

/** Column sums of values viewed as [rows, cols], in float64. */
function exactColumnSums(values: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const out = new Float64Array(cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c] += values[r * cols + c];
  return out;
}

/**
 * The worst error of column sums relative to the sum of the column's magnitudes, the scale
 * rounding errors grow with: summing n values one by one can be off by n ulps of it.
 */
function sumError(got: ArrayLike<number>, values: Float32Array, rows: number, cols: number, scale = 1): number {
  const want = exactColumnSums(values, rows, cols);
  const magnitude = exactColumnSums(values.map(Math.abs), rows, cols);
  let worst = 0;
  for (let c = 0; c < cols; c++) worst = Math.max(worst, Math.abs(got[c] - want[c] * scale) / (magnitude[c] * scale));
  return worst;
}

describe('wasm Sum and Mean over consecutive axes as average pooling', () => {
  const shape = [64, 14, 14, 24];
  const rows = 64 * 14 * 14;
  const cols = 24;

  // Summing 12,544 values one by one (tfjs-wasm's own kernel) was off by 1.1e-4 on the constant.
  it('equals float64 sums within 1e-5 of the magnitudes, on normal data and on a constant', async () => {
    for (const values of [randomArray(rows * cols, 21), randomArray(rows * cols, 21).map((v) => v + 3), new Float32Array(rows * cols).fill(0.3)]) {
      const x = tf.tensor4d(values, shape as [number, number, number, number]);
      const sum = tf.sum(x, [0, 1, 2]);
      const mean = tf.mean(x, [0, 1, 2]);
      expect(sum.shape).toEqual([cols]);
      expect(sumError(await sum.data(), values, rows, cols)).toBeLessThan(1e-5);
      expect(sumError(await mean.data(), values, rows, cols, 1 / rows)).toBeLessThan(1e-5);
      tf.dispose([x, sum, mean]);
    }
  });

  it('keeps dims, takes any run of axes before the last (N, H, W and H, W), and leaves the rest to the backend', async () => {
    const values = randomArray(rows * cols, 22);
    const x = tf.tensor4d(values, shape as [number, number, number, number]);
    expect(tf.sum(x, [0, 1, 2], true).shape).toEqual([1, 1, 1, cols]);
    const byBatch = tf.sum(x, 0);
    expect(byBatch.shape).toEqual([14, 14, cols]);
    expect(sumError(await byBatch.data(), values, 64, 14 * 14 * cols)).toBeLessThan(1e-5);
    const spatial = tf.mean(x, [1, 2]); // global average pooling: lead 64, rows 196, cols 24
    expect(spatial.shape).toEqual([64, cols]);
    const spatialValues = await spatial.data();
    for (const n of [0, 37]) {
      const sample = values.subarray(n * 196 * cols, (n + 1) * 196 * cols);
      expect(sumError(spatialValues.subarray(n * cols, (n + 1) * cols), sample, 196, cols, 1 / 196)).toBeLessThan(1e-5);
    }
    const inner = tf.sum(x, [2, 3]); // takes the last axis: the backend's own kernel
    expect(inner.shape).toEqual([64, 14]);
    const total = tf.sum(x);
    expect(sumError(await total.data(), values, rows * cols, 1)).toBeLessThan(1e-5);
    tf.dispose([x, byBatch, spatial, inner, total]);
  });

  it('reduces one tensor over different prefixes in turn, frees what it allocates and leaves x intact', async () => {
    const values = randomArray(rows * cols, 23);
    const x = tf.tensor4d(values, shape as [number, number, number, number]);
    const engine = tf.engine().backend;
    const before = engine.numDataIds();
    for (let round = 0; round < 3; round++) {
      for (const axes of [[0, 1, 2], [0], [0, 1]]) {
        const lead = axes.length;
        const r = shape.slice(0, lead).reduce((a, b) => a * b, 1);
        const s = tf.sum(x, axes);
        expect(sumError(await s.data(), values, r, (rows * cols) / r)).toBeLessThan(1e-5);
        s.dispose();
      }
    }
    expect(engine.numDataIds()).toBe(before);
    expect(Array.from(await x.data())).toEqual(Array.from(values));
    x.dispose();
  });

  it('sums a prime number of rows in one step', async () => {
    const values = randomArray(8209 * 2, 24);
    const x = tf.tensor2d(values, [8209, 2]);
    const s = tf.sum(x, 0);
    expect(sumError(await s.data(), values, 8209, 2)).toBeLessThan(1e-4);
    tf.dispose([x, s]);
  });
});
