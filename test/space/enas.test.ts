import type * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { EnasMutator, InputSpace, Module, ValueSpace, type Arch } from '../../space/index.js';
import { loadGradients } from '../../tensor/index.js';
import { useWasm } from '../helpers/setup.js';

useWasm();
await loadGradients();

class Pass extends Module {
  forward(x: tf.Tensor): tf.Tensor {
    return x;
  }
}

/** Six value decisions of four options and an input decision choosing 2 of 4 (6 subsets): 24,576 archs. */
class Toy extends Pass {
  readonly spaceId = 'toy';
  readonly values = Array.from({ length: 6 }, (_, i) => this.registerModule(`v${i}`, new ValueSpace([0, 1, 2, 3], { key: `v${i}` })));
  readonly inputs = this.registerModule('pick', new InputSpace({ nCandidates: 4, nChosen: 2, key: 'pick' }));
}

const TARGET: Arch['choices'] = { v0: 3, v1: 0, v2: 2, v3: 1, v4: 3, v5: 0, pick: [1, 3] };
/** The share of decisions that match the target: the one best arch scores 1. */
const reward = (arch: Arch) => Object.keys(TARGET).filter((k) => JSON.stringify(arch.choices[k]) === JSON.stringify(TARGET[k])).length / 7;

function train(seed: number, steps: number) {
  const model = new Toy();
  const m = new EnasMutator(model, { seed, lr: 0.02, hidden: 32 });
  const rewards: number[] = [];
  for (let i = 0; i < steps; i++) {
    const arch = m.reset();
    rewards.push(reward(arch));
    m.reinforce(reward(arch));
  }
  return { m, model, rewards };
}

describe('EnasMutator (LSTM controller, REINFORCE with a moving baseline)', () => {
  it('learns the arch that earns the most reward: its greedy arch is the target, and sampled rewards rise', () => {
    const { m, model, rewards } = train(0, 400);
    const arch = m.derive();
    expect(arch.choices).toEqual(TARGET);
    expect(model.values.map((v) => v.value)).toEqual([3, 0, 2, 1, 3, 0]); // derive applies the arch
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(rewards.slice(0, 20))).toBeLessThan(0.5); // by chance, 0.24 of the decisions match
    expect(mean(rewards.slice(-50))).toBeGreaterThan(0.8);
    expect(m.baseline.value).toBeGreaterThan(0.6);
    const p = m.probabilities();
    expect(p.pick).toHaveLength(6);
    expect(m.actionNames().pick).toEqual(['[0,1]', '[0,2]', '[1,2]', '[0,3]', '[1,3]', '[2,3]']);
    m.dispose();
  });

  it('the same seed gives the same samples and updates', () => {
    expect(train(3, 30).rewards).toEqual(train(3, 30).rewards);
  });

  it('misuse: clear errors', () => {
    const m = new EnasMutator(new Toy(), { seed: 1 });
    expect(() => m.reinforce(1)).toThrow('reinforce() without an arch from reset()');
    m.reset();
    expect(() => m.reinforce(Number.NaN)).toThrow('reward must be a finite number, got NaN');
    expect(() => new EnasMutator(new Pass())).toThrow('EnasMutator: the model has no searchable decisions');
    m.dispose();
  });
});
