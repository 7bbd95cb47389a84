import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { DartsMutator, initBackend, Linear, loadGradients, Module, NB201Network, OperationSpace, seedInit, softmaxCrossEntropy } from '../../index.js';
import { unrolledArchGradients } from '../../train/unrolled.js';

await initBackend('cpu');
await loadGradients();

/** A smooth supernet (no ReLU, no batch norm, whose kinks make the unrolled loss jump): two layers choosing tanh or sine of a linear map, a linear head. */
class Smooth extends Module<[tf.Tensor], tf.Tensor> {
  readonly spaceId = 'smooth';
  readonly layers: OperationSpace[];
  readonly head: Linear;

  constructor() {
    super();
    const act = (f: (t: tf.Tensor) => tf.Tensor) =>
      new (class extends Module<[tf.Tensor], tf.Tensor> {
        readonly fc = this.registerModule('fc', new Linear(4, 4));
        forward(x: tf.Tensor): tf.Tensor {
          return f(this.fc.forward(x));
        }
      })();
    this.layers = [0, 1].map((i) => this.registerModule(`l${i}`, new OperationSpace({ tanh: act(tf.tanh), sin: act(tf.sin), square: act(tf.square) }, { key: `l${i}` })));
    this.head = this.registerModule('head', new Linear(4, 3));
  }

  forward(x: tf.Tensor): tf.Tensor {
    return this.head.forward(this.layers.reduce((y, l) => l.forward(y) as tf.Tensor, x));
  }
}

/** A supernet, a DARTS mutator over it, and the losses on two fixed batches. */
function setup(model: Module<[tf.Tensor], tf.Tensor>, shape: number[]) {
  const mutator = new DartsMutator(model, { seed: 2, initScale: 0.5 });
  const labels = tf.tensor1d(Array.from({ length: shape[0] }, (_, i) => i % 3), 'int32');
  const batch = (seed: number) => ({ x: tf.randomNormal(shape, 0, 1, 'float32', seed), targets: tf.oneHot(labels, 3) });
  const [train, val] = [batch(1), batch(2)];
  const lossOn = (b: typeof train) => () => {
    mutator.sampleDifferentiable();
    return softmaxCrossEntropy(b.targets, model.forward(b.x) as tf.Tensor) as tf.Scalar;
  };
  return { model, mutator, archParams: mutator.archParameters(), trainLoss: lossOn(train), valLoss: lossOn(val) };
}

const values = (ts: tf.Tensor[]) => ts.flatMap((t) => [...(t.dataSync() as Float32Array)]);

describe('unrolledArchGradients (second-order DARTS)', () => {
  it('matches a numerical derivative of the validation loss after the virtual weight step', () => {
    seedInit(3);
    const s = setup(new Smooth(), [12, 4]);
    const xi = 0.5;
    const { grads } = unrolledArchGradients({ ...s, xi, weightDecay: 0 });
    const analytic = values(grads);
    // L_val(w - xi dL_train(w, a)/dw, a) as a function of each logit of the first layer, by central differences.
    const weights = s.model.parameters();
    const unrolledLoss = () => {
      const before = weights.map((w) => tf.clone(w));
      const g = tf.variableGrads(s.trainLoss, weights);
      weights.forEach((w) => w.assign(tf.sub(w, tf.mul(xi, g.grads[w.name]))));
      const loss = tf.tidy(() => s.valLoss().dataSync()[0]);
      weights.forEach((w, i) => w.assign(before[i]));
      tf.dispose([g.value, ...Object.values(g.grads), ...before]);
      return loss;
    };
    const logits = s.archParams[0];
    const h = 1e-3;
    const numeric: number[] = [];
    for (let j = 0; j < logits.size; j++) {
      const at = (d: number) => {
        const v = Float32Array.from(logits.dataSync() as Float32Array);
        v[j] += d;
        logits.assign(tf.tensor(v, logits.shape));
        const loss = unrolledLoss();
        v[j] -= d;
        logits.assign(tf.tensor(v, logits.shape));
        return loss;
      };
      numeric.push((at(h) - at(-h)) / (2 * h));
    }
    const first = analytic.slice(0, logits.size);
    const scale = Math.max(...numeric.map(Math.abs));
    expect(scale).toBeGreaterThan(1e-3);
    for (let j = 0; j < numeric.length; j++) expect(Math.abs(first[j] - numeric[j])).toBeLessThan(0.02 * scale);
    // The second-order term matters here: the first-order gradient misses the numerical one by more.
    const plain = tf.variableGrads(s.valLoss, s.archParams);
    const firstOrder = [...(plain.grads[logits.name].dataSync() as Float32Array)];
    const miss = (g: number[]) => Math.max(...g.map((v, j) => Math.abs(v - numeric[j])));
    expect(miss(firstOrder)).toBeGreaterThan(2 * miss(first));
  }, 60_000);

  it('with xi = 0 is the first-order gradient, and leaves weights and batch-norm statistics as they were', () => {
    seedInit(3);
    const s = setup(new NB201Network({ channels: 4, cellsPerStage: 1, inputChannels: 1, numClasses: 3, resolution: 8 }), [6, 8, 8, 1]);
    const before = s.model.stateDict();
    const snapshot = Object.fromEntries(Object.entries(before).map(([k, v]) => [k, Float32Array.from(v.dataSync() as Float32Array)]));
    const { grads, value } = unrolledArchGradients({ ...s, xi: 0, weightDecay: 3e-4 });
    for (const [k, v] of Object.entries(s.model.stateDict())) expect([...(v.dataSync() as Float32Array)]).toEqual([...snapshot[k]]);
    const plain = tf.variableGrads(s.valLoss, s.archParams);
    const expected = values(s.archParams.map((a) => plain.grads[a.name]));
    const got = values(grads);
    expect(got.length).toBe(expected.length);
    for (let i = 0; i < got.length; i++) expect(got[i]).toBeCloseTo(expected[i], 6);
    expect(value).toBeCloseTo(plain.value.dataSync()[0], 6);
  });
});
