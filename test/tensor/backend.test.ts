import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { activeBackend, initBackend, InputError, resolveBackendName } from '../../tensor/index.js';

describe('backend choice', () => {
  it('argument over HBX_BACKEND over the wasm default', () => {
    expect(resolveBackendName(undefined, {})).toEqual({ name: 'wasm', source: 'default' });
    expect(resolveBackendName(undefined, { HBX_BACKEND: 'cpu' })).toEqual({ name: 'cpu', source: 'HBX_BACKEND' });
    expect(resolveBackendName('wasm', { HBX_BACKEND: 'cpu' })).toEqual({ name: 'wasm', source: 'argument' });
  });

  it('an unknown name is an InputError naming where it came from', () => {
    expect(() => resolveBackendName('metal', {})).toThrow(new InputError("--backend: unknown backend 'metal', expected one of wasm, cpu, tensorflow, webgpu"));
    expect(() => resolveBackendName(undefined, { HBX_BACKEND: 'gpu' })).toThrow(/^HBX_BACKEND: unknown backend 'gpu'/);
  });

  it('tensorflow without tfjs-node says how to install it', async () => {
    await expect(initBackend('tensorflow')).rejects.toThrow(/npm install @tensorflow\/tfjs-node-gpu/);
  });

  it('initialises once; the same choice again is a no-op, another one an error', async () => {
    const info = await initBackend('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(activeBackend()).toBe(info);
    expect(await initBackend('wasm')).toBe(info);
    await expect(initBackend('cpu')).rejects.toThrow("backend already initialised as 'wasm', cannot switch to 'cpu'");
  });
});
