import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { BatchNorm2d, Conv2d, Linear, Module } from '../../space/index.js';
import { InputError } from '../../tensor/index.js';
import { useWasm } from '../helpers/setup.js';

useWasm();

class Small extends Module {
  readonly conv = this.registerModule('conv', new Conv2d(1, 4, 3, { bias: true }));
  readonly bn = this.registerModule('bn', new BatchNorm2d(4));
  readonly fc = this.registerModule('fc', new Linear(4, 2));
  forward(x: tf.Tensor) {
    const y = tf.relu(this.bn.forward(this.conv.forward(x)));
    return this.fc.forward(tf.mean(y, [1, 2]));
  }
}

describe('Module', () => {
  it('names parameters and buffers by module path', () => {
    const m = new Small();
    expect(m.namedParameters().map(([n]) => n)).toEqual(['conv.weight', 'conv.bias', 'bn.weight', 'bn.bias', 'fc.weight', 'fc.bias']);
    expect(m.namedBuffers().map(([n]) => n)).toEqual(['bn.running_mean', 'bn.running_var']);
    expect(m.numParameters()).toBe(4 * 9 + 4 + 4 + 4 + 8 + 2);
    expect(m.parameters().every((p) => p.trainable)).toBe(true);
    expect(m.namedBuffers().every(([, b]) => !b.trainable)).toBe(true);
  });

  it('train()/eval() reach every descendant', () => {
    const m = new Small().eval();
    expect(m.namedModules().every(([, c]) => !c.training)).toBe(true);
    m.train();
    expect(m.bn.training).toBe(true);
  });

  it('stateDict -> loadStateDict reproduces the outputs of another model', () => {
    const a = new Small();
    const b = new Small();
    a.train();
    a.forward(tf.randomNormal([4, 5, 5, 1])); // moves the running statistics
    a.eval();
    b.eval();
    const x = tf.randomNormal([2, 5, 5, 1]);
    expect(tf.max(tf.abs(tf.sub(a.forward(x), b.forward(x)))).dataSync()[0]).toBeGreaterThan(0);
    b.loadStateDict(a.stateDict());
    expect(tf.max(tf.abs(tf.sub(a.forward(x), b.forward(x)))).dataSync()[0]).toBe(0);
  });

  it('loadStateDict names the entry that does not fit and changes nothing', () => {
    const m = new Small();
    const before = m.fc.weight.dataSync().slice();
    const state: Record<string, tf.Tensor> = { ...new Small().stateDict() };
    state['conv.weight'] = tf.zeros([4, 1, 5, 5]);
    expect(() => m.loadStateDict(state, { source: 'ckpt.safetensors' })).toThrow(
      new InputError("ckpt.safetensors: tensor 'conv.weight' has shape [4,1,5,5], expected [4,1,3,3]"),
    );
    expect(m.fc.weight.dataSync()).toEqual(before);
    const { ['bn.running_var']: _, ...missing } = new Small().stateDict();
    expect(() => m.loadStateDict(missing)).toThrow(/missing tensor 'bn.running_var'/);
    expect(() => m.loadStateDict({ ...new Small().stateDict(), extra: tf.zeros([1]) })).toThrow(/unexpected tensor 'extra'/);
  });
});
