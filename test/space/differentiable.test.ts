import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DartsMutator, GdasMutator, Module, OperationSpace, ProxylessMutator, ValueSpace, Conv2d } from '../../space/index.js';
import { InputError, loadGradients } from '../../tensor/index.js';
import { useWasm } from '../helpers/setup.js';

useWasm();

/** Candidate k multiplies its input by SCALES[k]: the mixed output is known in closed form. */
const SCALES = [1, 2, 0, -1];
class Scale extends Module<[tf.Tensor], tf.Tensor> {
  constructor(readonly factor: number) {
    super();
  }
  forward(x: tf.Tensor): tf.Tensor {
    return tf.mul(x, this.factor);
  }
}

/** Two operation spaces sharing one key, in sequence, and a second decision. */
class Toy extends Module<[tf.Tensor], tf.Tensor> {
  readonly spaceId = 'toy';
  readonly a = this.registerModule('a', new OperationSpace(SCALES.map((f) => new Scale(f)), { key: 'op' }));
  readonly b = this.registerModule('b', new OperationSpace(SCALES.map((f) => new Scale(f)), { key: 'op' }));
  readonly c = this.registerModule('c', new OperationSpace([new Scale(3), new Scale(5)], { key: 'other' }));
  forward(x: tf.Tensor): tf.Tensor {
    return this.c.forward(this.b.forward(this.a.forward(x) as tf.Tensor) as tf.Tensor) as tf.Tensor;
  }
}

const softmax = (l: number[]) => {
  const e = l.map((v) => Math.exp(v - Math.max(...l)));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};

describe('DartsMutator', () => {
  it('mixes every candidate by the softmax of its logits, and its logit gradient is the analytic one', async () => {
    await loadGradients();
    const toy = new Toy();
    const m = new DartsMutator(toy, { seed: 1, initScale: 1 });
    const p = softmax(Array.from(m.logits.get('op')!.dataSync()));
    const q = softmax(Array.from(m.logits.get('other')!.dataSync()));
    const mean = SCALES.reduce((s, f, i) => s + f * p[i], 0);
    const otherMean = 3 * q[0] + 5 * q[1];
    const x = tf.ones([1, 2, 2, 1]);
    // y = x * mean^2 * otherMean (the shared key applies the same mix twice); loss = sum(y) = 4 mean^2 otherMean.
    const { value, grads } = tf.variableGrads(() => {
      m.sampleDifferentiable();
      return tf.sum(toy.forward(x)) as tf.Scalar;
    }, m.archParameters());
    expect(value.dataSync()[0]).toBeCloseTo(4 * mean * mean * otherMean, 4);
    const g = Array.from(grads[m.logits.get('op')!.name].dataSync());
    // d mean / d logit_j = p_j (f_j - mean); d loss = 8 mean otherMean d mean.
    g.forEach((gj, j) => expect(gj).toBeCloseTo(8 * mean * otherMean * p[j] * (SCALES[j] - mean), 4));
    m.dispose();
  });

  it('derives the most probable candidate of every decision', () => {
    const toy = new Toy();
    const m = new DartsMutator(toy);
    m.logits.get('op')!.assign(tf.tensor1d([0, 0, 3, 1]));
    m.logits.get('other')!.assign(tf.tensor1d([2, 1]));
    expect(m.derive().choices).toEqual({ op: '2', other: '0' });
    // After deriving, forward follows the hard choice: x * 0 * 0 * 3.
    expect(tf.sum(toy.forward(tf.ones([1, 1, 1, 1]))).dataSync()[0]).toBe(0);
  });

  it('derives around excluded candidates where a decision has others (DARTS leaves out none)', () => {
    const toy = new Toy();
    const m = new DartsMutator(toy, { deriveExcluding: ['2', '1'] });
    m.logits.get('op')!.assign(tf.tensor1d([0, 5, 3, 1]));
    m.logits.get('other')!.assign(tf.tensor1d([2, 1]));
    expect(m.derive().choices).toEqual({ op: '3', other: '0' });
  });

  it('a space without operation choices is refused with a line saying why', () => {
    class Values extends Module<[tf.Tensor], tf.Tensor> {
      readonly conv = this.registerModule('conv', new Conv2d(1, 1, new ValueSpace([1, 3], { key: 'k' })));
      forward(x: tf.Tensor): tf.Tensor {
        return this.conv.forward(x);
      }
    }
    expect(() => new DartsMutator(new Values())).toThrow(InputError);
    expect(() => new DartsMutator(new Values())).toThrow(/no operation choices \(OperationSpace\) to weigh/);
  });
});

describe('GdasMutator', () => {
  it('computes exactly one candidate, yet every logit of the decision gets a gradient', async () => {
    await loadGradients();
    const toy = new Toy();
    const m = new GdasMutator(toy, { seed: 4, initScale: 1 });
    const x = tf.ones([1, 1, 1, 1]);
    const { value, grads } = tf.variableGrads(() => {
      m.sampleDifferentiable();
      return tf.sum(toy.forward(x)) as tf.Scalar;
    }, m.archParameters());
    const products = SCALES.flatMap((f) => SCALES.map((g) => f * g)).flatMap((fg) => [3 * fg, 5 * fg]);
    expect(products.some((v) => Math.abs(v - value.dataSync()[0]) < 1e-5)).toBe(true);
    const g = Array.from(grads[m.logits.get('op')!.name].dataSync());
    expect(g.filter((v) => v !== 0).length).toBeGreaterThanOrEqual(3);
    m.dispose();
  });

  it('Gumbel-argmax draws each candidate with the softmax probability of its logits (law, 4000 draws)', () => {
    fc.assert(
      fc.property(fc.array(fc.float({ min: -2, max: 2, noNaN: true }), { minLength: 4, maxLength: 4 }), fc.integer({ min: 1, max: 1000 }), (logits, seed) => {
        const toy = new Toy();
        const m = new GdasMutator(toy, { seed });
        m.logits.get('op')!.assign(tf.tensor1d(logits));
        const counts = [0, 0, 0, 0];
        for (let i = 0; i < 4000; i++) {
          tf.tidy(() => m.sampleDifferentiable());
          counts[Number(toy.a.choiceFor([0, 0, 0, 0].map((_, k) => (k === activeOf(toy.a) ? 1 : 0))))]++;
        }
        const p = softmax(logits);
        counts.forEach((c, k) => expect(Math.abs(c / 4000 - p[k])).toBeLessThan(0.035));
        m.dispose();
      }),
      { numRuns: 5 },
    );
  });

  it('the temperature falls linearly from the first to the second value', () => {
    const m = new GdasMutator(new Toy(), { temperature: [10, 0.1] });
    m.setProgress(0.5);
    expect(m.temperature).toBeCloseTo(5.05, 10);
    m.setProgress(1);
    expect(m.temperature).toBeCloseTo(0.1, 10);
  });
});

describe('ProxylessMutator', () => {
  it('computes two candidates and gates one on: the output is that one, the gradient reaches exactly the pair', async () => {
    await loadGradients();
    const toy = new Toy();
    const m = new ProxylessMutator(toy, { seed: 8, initScale: 1 });
    const x = tf.ones([1, 1, 1, 1]);
    for (let trial = 0; trial < 5; trial++) {
      const { value, grads } = tf.variableGrads(() => {
        m.sampleDifferentiable();
        return tf.sum(toy.forward(x)) as tf.Scalar;
      }, m.archParameters());
      const active = (toy.a as unknown as { soft: { active: number[] } }).soft.active;
      expect(active).toHaveLength(2);
      const products = SCALES.flatMap((f) => SCALES.map((g) => f * g)).flatMap((fg) => [3 * fg, 5 * fg]);
      expect(products.some((v) => Math.abs(v - value.dataSync()[0]) < 1e-5)).toBe(true);
      const gOp = Array.from(grads[m.logits.get('op')!.name].dataSync());
      gOp.forEach((v, k) => (active.includes(k) ? undefined : expect(v).toBe(0)));
      const g = Array.from(grads[m.logits.get('other')!.name].dataSync());
      // 'other' has two candidates: both are the pair, and their gradients cancel (a softmax over two).
      expect(g[0] + g[1]).toBeCloseTo(0, 5);
      m.clearWeights();
      tf.dispose([value, ...Object.values(grads)]);
    }
    m.dispose();
  });

  it('the expected-latency penalty: softmax . costs, its gradient p_i (c_i - E[c]) times the weight (law)', async () => {
    await loadGradients();
    fc.assert(
      fc.property(fc.array(fc.float({ min: -2, max: 2, noNaN: true }), { minLength: 4, maxLength: 4 }), fc.array(fc.float({ min: 0, max: 5, noNaN: true }), { minLength: 4, maxLength: 4 }), (logits, costs) => {
        const m = new ProxylessMutator(new Toy(), { costs: { op: costs }, latencyWeight: 2 });
        m.logits.get('op')!.assign(tf.tensor1d(logits));
        const p = softmax(logits);
        const expected = p.reduce((s, pi, i) => s + pi * costs[i], 0);
        const { value, grads } = tf.variableGrads(() => m.archPenalty()!, [m.logits.get('op')!]);
        expect(value.dataSync()[0]).toBeCloseTo(2 * expected, 4);
        Array.from(grads[m.logits.get('op')!.name].dataSync()).forEach((g, i) => expect(g).toBeCloseTo(2 * p[i] * (costs[i] - expected), 4));
        m.dispose();
      }),
      { numRuns: 20 },
    );
  });

  it('costs that do not fit the space are refused', () => {
    expect(() => new ProxylessMutator(new Toy(), { costs: { op: [1, 2] } })).toThrow("latency costs: decision 'op' has 4 candidates, got 2 costs");
    expect(() => new ProxylessMutator(new Toy(), { costs: { nope: [1] } })).toThrow("latency costs: decision 'nope' is not in the space");
  });
});

/** The candidate an operation space computes under GDAS weights. */
function activeOf(op: OperationSpace): number {
  return (op as unknown as { soft: { active: number[] } }).soft.active[0];
}
