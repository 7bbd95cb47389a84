import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { applyPolicy, AugmentationSpace, imageAt, IDENTITY } from '../../augment/index.js';
import { permutation, readIdx, subset, loadIdxPair } from '../../datasets/index.js';
import { Conv2d, Linear, Module, RandomMutator, seedInit } from '../../space/index.js';
import { initBackend, Rng } from '../../tensor/index.js';
import { DEFAULT_DIFFERENTIABLE, searchAugmentationDifferentiable } from '../../train/index.js';
import { fixtureBatch } from '../helpers/torchvision.js';

const FIXTURE = 'test/fixtures/fashion-mnist';
beforeAll(() => initBackend('wasm'));

class TinyCnn extends Module {
  readonly conv = this.registerModule('conv', new Conv2d(1, 16, 3, { stride: 2 }));
  readonly fc = this.registerModule('fc', new Linear(16, 10));
  forward(x: tf.Tensor): tf.Tensor {
    return this.fc.forward(tf.mean(tf.relu(this.conv.forward(x)), [1, 2]));
  }
}

describe('AugmentationSpace', () => {
  it('one OperationSpace per group, identity plus op x magnitude x probability', () => {
    const space = new AugmentationSpace();
    const names = space.candidates();
    expect(Object.keys(names)).toEqual(['aug_geometry', 'aug_color', 'aug_tone']);
    // 5 ops x 3 magnitudes x 2 probabilities; tone has 3 ops without a magnitude.
    expect(names.aug_geometry.length).toBe(1 + 5 * 3 * 2);
    expect(names.aug_tone.length).toBe(1 + 2 * 3 * 2 + 3 * 2);
    expect(names.aug_geometry[0]).toBe(IDENTITY);
    expect(new RandomMutator(space).keys).toEqual(['aug_geometry', 'aug_color', 'aug_tone']);
  });

  it("a mutator's decision runs in front of a network and equals the policy it stands for", () => {
    const space = new AugmentationSpace();
    const mutator = new RandomMutator(space, { seed: 4 });
    const images = readIdx(`${FIXTURE}/t10k-1000-images-idx3-ubyte.gz`).data as Uint8Array;
    const batch = fixtureBatch(images, 8, 1);
    for (let trial = 0; trial < 5; trial++) {
      const arch = mutator.reset();
      const policy = space.policyOf(arch);
      space.seed(new Rng(trial));
      const x = tf.tensor4d(Float32Array.from(batch.data), [8, 28, 28, 1]);
      const out = space.forward(x).dataSync();
      const expected = new Rng(trial);
      // The module applies group after group to the whole batch; the policy image by image. Same draws when every group has one step.
      const steps = policy.subpolicies[0];
      let bytes = Uint8Array.from(batch.data);
      for (const step of steps) {
        const next = new Uint8Array(bytes.length);
        for (let i = 0; i < 8; i++) next.set(applyPolicy(imageAt({ ...batch, data: bytes }, i), { ...policy, subpolicies: [[step]] }, expected).data, i * 784);
        bytes = next;
      }
      if (steps[0].op !== 'Identity') expect(Array.from(out)).toEqual(Array.from(bytes));
      x.dispose();
    }
  });

  it('bad choices and options are one line naming the field', () => {
    const space = new AugmentationSpace();
    expect(() => space.policyOf({ space: 'augment', choices: { aug_geometry: 'Blur', aug_color: IDENTITY, aug_tone: IDENTITY } })).toThrow("arch choice 'aug_geometry': 'Blur' is not a candidate");
    expect(() => new AugmentationSpace({ magnitudes: [12] })).toThrow('magnitudes: expected bins in 0..9, got [12]');
    expect(() => new AugmentationSpace({ probabilities: [1.5] })).toThrow('probabilities: expected values in [0, 1], got [1.5]');
  });
});

describe('differentiable search (DADA)', () => {
  it('moves the policy logits from their start, validates each epoch, and is the same for a seed', async () => {
    const all = loadIdxPair(`${FIXTURE}/t10k-1000-images-idx3-ubyte.gz`, `${FIXTURE}/t10k-1000-labels-idx1-ubyte.gz`, 'fixture');
    const order = permutation(all.count, new Rng(1));
    const [train, val] = [subset(all, order.subarray(0, 640)), subset(all, order.subarray(640, 840))];
    const run = async () => {
      const space = new AugmentationSpace({ groups: { geometry: ['Rotate', 'TranslateX'], tone: ['Invert', 'Equalize'] } });
      seedInit(7);
      const model = new TinyCnn();
      const r = await searchAugmentationDifferentiable({ model, space, train, val, config: { ...DEFAULT_DIFFERENTIABLE, epochs: 2, batchSize: 16, lr: 0.1, mean: [0.286], std: [0.353], resolution: 28, subpolicies: 6 } });
      model.dispose();
      return r;
    };
    const a = await run();
    const b = await run();
    expect(a).toEqual(b);
    expect(a.valTop1).toHaveLength(2);
    for (const top1 of a.valTop1) expect(top1 * 200).toBe(Math.round(top1 * 200));
    for (const ranked of Object.values(a.probabilities)) {
      expect(ranked.reduce((s, c) => s + c.probability, 0)).toBeCloseTo(1, 5);
      // They start at identity 0.5 and the rest equal: the search moved them.
      const others = ranked.filter((c) => c.candidate !== IDENTITY).map((c) => c.probability);
      expect(Math.max(...others) - Math.min(...others)).toBeGreaterThan(1e-3);
      expect(Math.abs(ranked.find((c) => c.candidate === IDENTITY)!.probability - 0.5)).toBeGreaterThan(1e-4);
    }
    expect(a.policy.subpolicies).toHaveLength(6);
  }, 60_000);
});
