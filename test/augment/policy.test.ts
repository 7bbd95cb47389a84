import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  applyPolicy,
  augmentImage,
  cutMixBox,
  imageAt,
  mixBatch,
  mixTargets,
  parsePolicy,
  policyFile,
  randomErasingRect,
  randomResizedCropRect,
  sampleBeta,
  DEFAULT_ERASING,
} from '../../augment/index.js';
import { readIdx } from '../../datasets/index.js';
import { initBackend, isInputError, Rng } from '../../tensor/index.js';
import { fixtureBatch } from '../helpers/torchvision.js';

const images = readIdx('test/fixtures/fashion-mnist/t10k-1000-images-idx3-ubyte.gz').data as Uint8Array;
const batch = fixtureBatch(images, 200, 1);
const dir = mkdtempSync(join(tmpdir(), 'hbx-policy-'));
beforeAll(() => initBackend('cpu'));

function errorOf(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    if (isInputError(err)) return err.message;
    throw err;
  }
  throw new Error('no error');
}

function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

const sub = (steps: object[]): string => JSON.stringify(policyFile({ kind: 'subpolicies', bins: 10, range: 'standard', subpolicies: [steps as never] }));

describe('policies', () => {
  it('parses the names and files the CLI takes', () => {
    expect(parsePolicy('none')).toEqual({ kind: 'none' });
    expect(parsePolicy('trivial')).toEqual({ kind: 'trivial' });
    expect(parsePolicy('randaugment:2,9')).toEqual({ kind: 'randaugment', n: 2, m: 9 });
    const cifar = parsePolicy('autoaugment:cifar10');
    expect(cifar.kind === 'subpolicies' && [cifar.subpolicies.length, cifar.bins]).toEqual([25, 10]);
    const path = file('ok.json', sub([{ op: 'Rotate', probability: 0.5, magnitude: 3 }]));
    expect(parsePolicy(path)).toMatchObject({ kind: 'subpolicies', subpolicies: [[{ op: 'Rotate', probability: 0.5, magnitude: 3 }]] });
  });

  it('bad input names the file and the field, in one line', () => {
    const bad = [
      [file('op.json', sub([{ op: 'Blur', probability: 0.5, magnitude: 1 }])), "field 'policy.subpolicies.0.0.op'"],
      [file('mag.json', sub([{ op: 'Rotate', probability: 0.5, magnitude: 10 }])), "field 'policy.subpolicies.0.0.magnitude': expected a bin in 0..9, got 10"],
      [file('nomag.json', sub([{ op: 'Rotate', probability: 0.5 }])), "field 'policy.subpolicies.0.0.magnitude': Rotate needs a magnitude bin"],
      [file('p.json', sub([{ op: 'Invert', probability: 1.5 }])), "field 'policy.subpolicies.0.0.probability'"],
      [file('text.json', 'Rotate 0.5 3'), 'not valid JSON'],
    ];
    for (const [path, expected] of bad) {
      const message = errorOf(() => parsePolicy(path));
      expect(message).toContain(path);
      expect(message).toContain(expected);
      expect(message.split('\n')).toHaveLength(1);
    }
    expect(errorOf(() => parsePolicy('randaugment:2,31'))).toBe("--augment: randaugment's M must be a bin in 0..30, got 31");
    expect(errorOf(() => parsePolicy('autoaugment:mnist'))).toContain("unknown AutoAugment policy 'mnist'");
    expect(errorOf(() => parsePolicy('fancy'))).toContain("got 'fancy'");
  });

  it('the same seed gives the same pixels; every policy changes images', () => {
    for (const name of ['trivial', 'randaugment:2,14', 'autoaugment:cifar10', 'autoaugment:svhn']) {
      const policy = parsePolicy(name);
      const run = (seed: number): Uint8Array[] => {
        const rng = new Rng(seed);
        return Array.from({ length: 50 }, (_, i) => applyPolicy(imageAt(batch, i), policy, rng).data);
      };
      expect(run(3)).toEqual(run(3));
      const changed = run(3).filter((d, i) => d.some((v, k) => v !== imageAt(batch, i).data[k])).length;
      expect(changed, name).toBeGreaterThan(10);
    }
  });

  it('a step is applied with its probability', () => {
    const policy = parsePolicy(file('half.json', sub([{ op: 'Invert', probability: 0.3 }])));
    const rng = new Rng(11);
    const img = imageAt(batch, 0);
    let inverted = 0;
    for (let k = 0; k < 4000; k++) if (applyPolicy(img, policy, rng).data[300] !== img.data[300]) inverted++;
    expect(inverted / 4000).toBeGreaterThan(0.28);
    expect(inverted / 4000).toBeLessThan(0.32);
  });

  it("policy none keeps today's crop and flip pixel for pixel", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 199 }), (pad, seed, i) => {
        const src = imageAt(batch, i);
        const ours = augmentImage(src, { cropPadding: pad, horizontalFlip: true, cutout: 0, policy: { kind: 'none' } }, new Rng(seed)).data;
        // The rule datasets/ used before augment/ existed: dy, dx, then the flip, drawn in that order.
        const rng = new Rng(seed);
        const dy = pad ? rng.int(2 * pad + 1) - pad : 0;
        const dx = pad ? rng.int(2 * pad + 1) - pad : 0;
        const flip = rng.next() < 0.5;
        for (let y = 0; y < 28; y++)
          for (let x = 0; x < 28; x++) {
            const [sy, sx0] = [y + dy, x + dx];
            const inside = sy >= 0 && sy < 28 && sx0 >= 0 && sx0 < 28;
            expect(ours[y * 28 + x]).toBe(inside ? src.data[sy * 28 + (flip ? 27 - sx0 : sx0)] : 0);
          }
      }),
      { numRuns: 40 },
    );
  });
});

describe('erasing and mixing', () => {
  it('random erasing draws rectangles within its area and aspect bounds', () => {
    const rng = new Rng(5);
    let found = 0;
    for (let k = 0; k < 500; k++) {
      const r = randomErasingRect(28, 28, DEFAULT_ERASING, rng);
      if (!r) continue;
      found++;
      expect(r.top + r.height).toBeLessThanOrEqual(28);
      expect(r.left + r.width).toBeLessThanOrEqual(28);
      // Rounding the sides moves the area and ratio a little past the drawn ones.
      expect((r.height * r.width) / 784).toBeLessThan(0.33 * 1.25);
      expect(r.height / r.width).toBeGreaterThan(0.3 / 2);
      expect(r.height / r.width).toBeLessThan(3.3 * 2);
    }
    expect(found).toBeGreaterThan(450);
  });

  it('random resized crops: area and aspect within bounds, back to the image size', () => {
    const rng = new Rng(8);
    for (let k = 0; k < 300; k++) {
      const r = randomResizedCropRect(28, 28, [0.35, 1], [3 / 4, 4 / 3], rng);
      expect(r.top + r.height).toBeLessThanOrEqual(28);
      expect(r.left + r.width).toBeLessThanOrEqual(28);
      expect((r.height * r.width) / 784).toBeGreaterThan(0.35 * 0.85);
      expect(r.width / r.height).toBeGreaterThan((3 / 4) * 0.85);
      expect(r.width / r.height).toBeLessThan((4 / 3) / 0.85);
    }
    // Nothing fits a 0.999-1 share at a 3:1 ratio: the centre crop clipped to the ratio.
    expect(randomResizedCropRect(28, 28, [0.999, 1], [3, 3.5], new Rng(1))).toEqual({ top: 9, left: 0, height: 9, width: 28 });
    const out = augmentImage(imageAt(batch, 3), { cropPadding: 0, horizontalFlip: false, cutout: 0, resizedCrop: [0.35, 1] }, new Rng(2));
    expect([out.height, out.width, out.data.length]).toEqual([28, 28, 784]);
  });

  it('Beta draws have the Beta mean and variance', () => {
    const rng = new Rng(9);
    for (const [a, b] of [[2, 2], [0.4, 0.4], [1, 3]]) {
      const xs = Array.from({ length: 20000 }, () => sampleBeta(a, b, rng));
      const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
      const variance = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length;
      expect(mean).toBeCloseTo(a / (a + b), 2);
      expect(variance).toBeCloseTo((a * b) / ((a + b) ** 2 * (a + b + 1)), 2);
    }
  });

  it('MixUp blends each image with its neighbour; CutMix pastes a box and weighs the labels by its area', () => {
    const x = tf.randomUniform([4, 6, 5, 1], 0, 1, 'float32', 1) as tf.Tensor4D;
    const targets = tf.oneHot(tf.tensor1d([0, 1, 2, 3], 'int32'), 4);
    const up = mixBatch(x, { kind: 'mixup', alpha: 1 }, new Rng(2));
    expect(Array.from(up.partner)).toEqual([3, 0, 1, 2]);
    const xs = x.arraySync();
    const mixed = up.x.arraySync();
    expect(mixed[1][2][3][0]).toBeCloseTo(up.lambda * xs[1][2][3][0] + (1 - up.lambda) * xs[0][2][3][0], 6);
    const t = mixTargets(targets, up).arraySync() as number[][];
    expect(t[1][1]).toBeCloseTo(up.lambda, 6);
    expect(t[1][0]).toBeCloseTo(1 - up.lambda, 6);

    const cut = mixBatch(x, { kind: 'cutmix', alpha: 1 }, new Rng(7));
    const same = new Rng(7);
    const box = cutMixBox(6, 5, sampleBeta(1, 1, same), same);
    expect(cut.lambda).toBeCloseTo(1 - ((box.bottom - box.top) * (box.right - box.left)) / 30, 9);
    const c = cut.x.arraySync();
    for (let y = 0; y < 6; y++)
      for (let xx = 0; xx < 5; xx++) {
        const inBox = y >= box.top && y < box.bottom && xx >= box.left && xx < box.right;
        expect(c[2][y][xx][0]).toBe(inBox ? xs[1][y][xx][0] : xs[2][y][xx][0]);
      }
    tf.dispose([x, targets, up.x, cut.x]);
  });
});

