import * as tf from '@tensorflow/tfjs-core';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_TRAIN, getDataset, initBackend, InputError, resolveWasmThreads } from '../../index.js';
import { fashionMnistData } from '../helpers/fixture_data.js';
import { trainTinySupernet } from '../helpers/tiny_training.js';

// This file's process runs tfjs-wasm's threaded build (vitest gives each file its own process).
const info = await initBackend('wasm', { wasmThreads: 2 });

describe('resolveWasmThreads', () => {
  it('takes the flag, then HBX_WASM_THREADS, then 1', () => {
    expect(resolveWasmThreads('3', { HBX_WASM_THREADS: '2' })).toBe(3);
    expect(resolveWasmThreads(undefined, { HBX_WASM_THREADS: '2' })).toBe(2);
    expect(resolveWasmThreads(undefined, {})).toBe(1);
  });

  it('refuses what is not a whole number from 1 to 8, naming where it came from', () => {
    for (const bad of ['0', '9', '1.5', 'two', '-1']) {
      expect(() => resolveWasmThreads(bad, {})).toThrow(InputError);
      expect(() => resolveWasmThreads(bad, {})).toThrow(`--wasm-threads: expected a whole number of threads from 1 to 8, got '${bad}'`);
    }
    expect(() => resolveWasmThreads(undefined, { HBX_WASM_THREADS: 'x' })).toThrow(/^HBX_WASM_THREADS: expected a whole number/);
  });
});

describe('the threaded wasm build', () => {
  it('runs XNNPACK on the threads asked for, and will not switch in the same process', async () => {
    expect(info.wasmThreads).toBe(2);
    expect(getThreadsCount()).toBe(2);
    await expect(initBackend('wasm', { wasmThreads: 1 })).rejects.toThrow('wasm backend already initialised with 2 thread(s), cannot switch to 1');
  });

  it('computes what the cpu backend computes (convolution, depthwise, matmul, elementwise)', async () => {
    const compute = () =>
      tf.tidy(() => {
        const x = tf.randomNormal([8, 14, 14, 16], 0, 1, 'float32', 3) as tf.Tensor4D;
        const w = tf.randomNormal([3, 3, 16, 32], 0, 0.2, 'float32', 4) as tf.Tensor4D;
        const d = tf.randomNormal([5, 5, 32, 1], 0, 0.2, 'float32', 5) as tf.Tensor4D;
        const y = tf.relu6(tf.depthwiseConv2d(tf.conv2d(x, w, 1, 'same'), d, 2, 'same'));
        return tf.matMul(tf.reshape(y, [8, -1]), tf.randomNormal([7 * 7 * 32, 10], 0, 0.05, 'float32', 6));
      });
    const threaded = await compute().data();
    await tf.setBackend('cpu');
    const reference = await compute().data();
    await tf.setBackend('wasm');
    const scale = Math.max(...reference.map(Math.abs));
    expect(scale).toBeGreaterThan(0.1);
    for (let i = 0; i < reference.length; i++) expect(Math.abs(threaded[i] - reference[i])).toBeLessThan(1e-4 * scale);
  });
});

describe('trainSupernet with another engine than the active one', () => {
  it('trains on a one-thread engine on a worker: the same losses, to the last bit, as two threads here', async () => {
    const root = mkdtempSync(join(tmpdir(), 'hbx-wasm-threads-test-'));
    process.env.HBX_DATA = fashionMnistData(root, 120);
    const dataset = getDataset('fashion-mnist');
    const config = { ...DEFAULT_TRAIN, dataset: dataset.name, mean: dataset.mean, std: dataset.std, epochs: 1, batchSize: 16, subnetsPerStep: 1, valFraction: 0.1, maxSteps: 3, seed: 5 };
    const run = async (wasmThreads: number) => (await trainTinySupernet({ config, train: dataset.load('train'), out: join(root, `t${wasmThreads}`), wasmThreads })).steps.map((s) => s.loss);
    const [here, onWorker] = [await run(2), await run(1)];
    expect(here).toHaveLength(3);
    // XNNPACK splits work between threads by output tiles, each computed as on one thread.
    expect(onWorker).toEqual(here);
  }, 120_000);
});
