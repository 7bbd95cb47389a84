import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import {
  Conv2d,
  InputSpace,
  Linear,
  Module,
  OperationSpace,
  parseArch,
  RandomMutator,
  ValueSpace,
} from '../../space/index.js';
import { useWasm } from '../helpers/setup.js';

useWasm();

/** The examples of the original Hyperbox introduction, in TypeScript. */
describe('Hyperbox introduction examples', () => {
  it('OperationSpace with mask [1, 0, 0] runs the 3x3 conv only', () => {
    const convs = [3, 5, 7].map((k) => new Conv2d(3, 16, k));
    const calls = [0, 0, 0];
    convs.forEach((c, i) => {
      const forward = c.forward.bind(c);
      c.forward = (x: tf.Tensor) => {
        calls[i]++;
        return forward(x);
      };
    });
    const op = new OperationSpace(convs, { mask: [1, 0, 0] });
    const x = tf.randomNormal([2, 8, 8, 3]);
    const y = op.forward(x) as tf.Tensor;
    expect(calls).toEqual([1, 0, 0]);
    expect(y.shape).toEqual([2, 8, 8, 16]);
    expect(tf.max(tf.abs(tf.sub(y, convs[0].forward(x)))).dataSync()[0]).toBe(0);
    // Only the chosen candidate's weights are held.
    expect(op.parameters()).toHaveLength(1);
    expect(op.parameters()[0].shape).toEqual([16, 3, 3, 3]);
  });

  it('InputSpace({ nCandidates: 3, nChosen: 1, mask: [0, 1, 0] }) returns the second tensor itself', () => {
    const inputs = [tf.ones([2, 2]), tf.zeros([2, 2]), tf.fill([2, 2], 7)];
    const choice = new InputSpace({ nCandidates: 3, nChosen: 1, mask: [0, 1, 0] });
    expect(choice.forward(inputs)).toBe(inputs[1]);
  });

  it('Conv2d with ks and cout fixed by masks allocates one 32x3x5x5 weight', () => {
    const ks = new ValueSpace([3, 5, 7], { mask: [0, 1, 0] });
    const cout = new ValueSpace([16, 32, 64], { mask: [0, 1, 0] });
    const conv = new Conv2d(3, cout, ks, { stride: 1, bias: false });
    const params = conv.namedParameters();
    expect(params.map(([n]) => n)).toEqual(['weight']);
    expect(params[0][1].shape).toEqual([32, 3, 5, 5]); // [out, in, kh, kw]
    expect((conv.forward(tf.randomNormal([1, 9, 9, 3])) as tf.Tensor).shape).toEqual([1, 9, 9, 32]);
  });

  it('Linear(10, ValueSpace([10, 100]), { bias: ValueSpace([0, 1]) }) allocates 100x10 and a bias only when chosen', () => {
    const withBias = new Linear(10, new ValueSpace([10, 100], { mask: [0, 1] }), {
      bias: new ValueSpace([0, 1], { mask: [0, 1] }),
    });
    expect(Object.fromEntries(withBias.namedParameters().map(([n, v]) => [n, v.shape]))).toEqual({
      weight: [100, 10],
      bias: [100],
    });
    const noBias = new Linear(10, new ValueSpace([10, 100], { mask: [0, 1] }), {
      bias: new ValueSpace([0, 1], { mask: [1, 0] }),
    });
    expect(noBias.namedParameters().map(([n]) => n)).toEqual(['weight']);
    expect(noBias.forward(tf.ones([4, 10])).shape).toEqual([4, 100]);
  });

  it('RandomMutator gives mutables sharing a key the same decision; reset() round-trips through JSON', () => {
    class Net extends Module {
      readonly a = new ValueSpace([8, 16, 24], { key: 'width' });
      readonly b = new ValueSpace([8, 16, 24], { key: 'width' });
      readonly c1 = this.registerModule('c1', new Conv2d(3, this.a, 3));
      readonly c2 = this.registerModule('c2', new Conv2d(this.b, 4, 3));
      forward(x: tf.Tensor) {
        return this.c2.forward(this.c1.forward(x));
      }
    }
    const net = new Net();
    const mutator = new RandomMutator(net, { seed: 7 });
    expect(mutator.keys).toEqual(['width']);
    const seen = new Set<number>();
    for (let i = 0; i < 30; i++) {
      const arch = mutator.reset();
      expect(net.a.value).toBe(net.b.value);
      seen.add(net.a.value);
      const parsed = parseArch(JSON.parse(JSON.stringify(arch)));
      expect(parsed).toEqual({ form: 'choices', arch });
      expect(net.forward(tf.zeros([1, 6, 6, 3])).shape).toEqual([1, 6, 6, 4]);
    }
    expect(seen).toEqual(new Set([8, 16, 24]));
  });
});
