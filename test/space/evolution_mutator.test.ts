import type * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { EvolutionMutator, Module, OperationSpace, RandomMutator, ValueSpace, type Arch } from '../../space/index.js';
import { useWasm } from '../helpers/setup.js';

useWasm();

const OPTIONS = [0, 1, 2, 3];

class Pass extends Module {
  forward(x: tf.Tensor): tf.Tensor {
    return x;
  }
}

/** Twelve value decisions of four options each (16.7 million archs) and one operation decision. */
class Toy extends Pass {
  readonly spaceId = 'toy';
  readonly values = Array.from({ length: 12 }, (_, i) => this.registerModule(`v${i}`, new ValueSpace(OPTIONS, { key: `v${i}` })));
  readonly op = this.registerModule('op', new OperationSpace({ a: new Pass(), b: new Pass() }, { key: 'op' }));
}

/** A fitness with one optimum: the sum of the chosen values, plus 1 for operation b. */
const score = (arch: Arch) => Object.entries(arch.choices).reduce<number>((n, [key, c]) => n + (key === 'op' ? (c === 'b' ? 1 : 0) : (c as number)), 0);
const valueSum = (arch: Arch) => Object.entries(arch.choices).reduce<number>((n, [key, c]) => n + (key === 'op' ? 0 : (c as number)), 0);

function evolve(m: EvolutionMutator, evaluations: number): number[] {
  const seen = [];
  for (let i = 0; i < evaluations; i++) {
    const arch = m.reset();
    seen.push(score(arch));
    m.tell(score(arch));
  }
  return seen;
}

describe('EvolutionMutator (aging evolution, ask and tell)', () => {
  it('applies each proposal to the model; beats random sampling on the same budget, for every seed tried', () => {
    for (const seed of [0, 1, 2]) {
      const model = new Toy();
      const m = new EvolutionMutator(model, { population: 20, sampleSize: 5, seed });
      const arch = m.reset();
      expect(model.values.map((v) => v.value)).toEqual(model.values.map((v) => arch.choices[v.key]));
      m.tell(score(arch));
      evolve(m, 299);
      const random = new RandomMutator(model, { seed });
      const randomBest = Math.max(...Array.from({ length: 300 }, () => score(random.reset())));
      expect(m.history).toHaveLength(300);
      expect(m.best()!.fitness).toBeGreaterThan(randomBest + 2);
      expect(m.best()!.fitness).toBeGreaterThanOrEqual(35); // the optimum is 37
    }
  });

  it('every proposal satisfies the constraints; the best sits on the bound', () => {
    const m = new EvolutionMutator(new Toy(), { population: 20, sampleSize: 5, seed: 4, constraints: [{ name: 'sum', cost: valueSum, max: 15 }] });
    evolve(m, 300);
    for (const r of m.history) {
      expect(r.costs.sum).toBe(valueSum(r.arch));
      expect(r.costs.sum).toBeLessThanOrEqual(15);
    }
    expect(m.best()!.costs.sum).toBe(15);
    expect(m.best()!.arch.choices.op).toBe('b');
  });

  it('the same seed gives the same proposals', () => {
    const run = () => {
      const m = new EvolutionMutator(new Toy(), { population: 10, sampleSize: 3, seed: 9 });
      evolve(m, 60);
      return m.history.map((r) => r.arch);
    };
    expect(run()).toEqual(run());
  });

  it('misuse and impossible constraints: clear errors', () => {
    const m = new EvolutionMutator(new Toy(), { seed: 1 });
    expect(() => m.tell(1)).toThrow('tell() without an arch from reset()');
    m.reset();
    expect(() => m.reset()).toThrow('tell() the fitness of the last arch before asking for another');
    expect(() => m.tell(NaN)).toThrow('fitness must be a finite number, got NaN');
    expect(() => new EvolutionMutator(new Toy(), { population: 4, sampleSize: 5 })).toThrow('sampleSize 5 must be between 1 and the population (4)');
    const impossible = new EvolutionMutator(new Toy(), { maxTries: 50, constraints: [{ name: 'sum', cost: valueSum, max: -1 }] });
    expect(() => impossible.reset()).toThrow('EvolutionMutator: no arch satisfies sum <= -1 after 50 draws; relax the constraints');
  });
});
