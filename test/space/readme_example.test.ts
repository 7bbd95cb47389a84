import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { BatchNorm2d, Conv2d, Module, OperationSpace, RandomMutator, ValueSpace } from '../../space/index.js';
import { useWasm } from '../helpers/setup.js';

useWasm();

// The library example of the README, kept true.
class Cell extends Module {
  readonly expand = new ValueSpace([3, 4, 6], { key: 'expand' });
  readonly mid = this.expand.times(16);
  readonly up = this.registerModule('up', new Conv2d(16, this.mid, 1));
  readonly bn = this.registerModule('bn', new BatchNorm2d(this.mid));
  readonly op = this.registerModule(
    'op',
    new OperationSpace(
      { dw3: new Conv2d(this.mid, this.mid, 3, { groups: this.mid }), dw5: new Conv2d(this.mid, this.mid, 5, { groups: this.mid }) },
      { key: 'op' },
    ),
  );
  forward(x: tf.Tensor) {
    return this.op.forward(tf.relu(this.bn.forward(this.up.forward(x)))) as tf.Tensor;
  }
}

it('README library example', () => {
  const cell = new Cell();
  const mutator = new RandomMutator(cell, { seed: 1 });
  const arch = mutator.reset();
  expect(Object.keys(arch.choices).sort()).toEqual(['expand', 'op']);
  expect(cell.forward(tf.zeros([1, 8, 8, 16])).shape).toEqual([1, 8, 8, 16 * (arch.choices.expand as number)]);
  mutator.sampleByMask({ expand: [1, 0, 0], op: [1, 0] });
  expect(mutator.export()).toEqual({ space: 'custom', choices: { expand: 3, op: 'dw3' } });
  expect(cell.forward(tf.zeros([2, 8, 8, 16])).shape).toEqual([2, 8, 8, 48]);
});
