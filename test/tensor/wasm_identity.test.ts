import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { initBackend, loadGradients } from '../../tensor/index.js';

await initBackend('wasm');
await loadGradients();
const dataBuffers = () => tf.engine().backend.numDataIds();

describe('Identity on wasm shares the data (no copy)', () => {
  it('a clone reads the same values, outlives its source, and frees the data with the last reference', () => {
    const before = dataBuffers();
    const x = tf.tensor2d([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const y = tf.clone(x);
    expect(y.dataId).toBe(x.dataId);
    expect(dataBuffers() - before).toBe(1);
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3, 4, 5, 6]);
    y.dispose();
    expect(dataBuffers()).toBe(before);
  });

  it('tensors the tape saves for the backward pass (cloned there) give the analytic gradient, and nothing leaks', () => {
    const before = [tf.memory().numTensors, dataBuffers()];
    const x = tf.tidy(() => tf.variable(tf.tensor1d([0.5, -1.5, 2])));
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(tf.exp(x), tf.square(x))), [x]);
    // d/dx e^x x^2 = e^x (x^2 + 2x)
    const expected = [0.5, -1.5, 2].map((v) => Math.exp(v) * (v * v + 2 * v));
    const got = Array.from(grads[x.name].dataSync());
    got.forEach((g, i) => expect(g).toBeCloseTo(expected[i], 5));
    tf.dispose([value, grads[x.name], x]);
    expect([tf.memory().numTensors, dataBuffers()]).toEqual(before);
  });
});
