import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_TRAIN, getDataset, initBackend, InputError, OFAMobileNetV3, ownedArchs, resolveSplit, trainSupernet } from '../../index.js';
import { fashionMnistData } from '../helpers/fixture_data.js';
import { cosineAndNormRatio } from '../helpers/tensors.js';
import { trainTinySupernet } from '../helpers/tiny_training.js';

await initBackend('wasm');

describe('ownedArchs', () => {
  it('deals the step\'s subnets round robin, and refuses more workers than subnets', () => {
    expect(ownedArchs(4, { rank: 0, size: 2 })).toEqual([0, 2]);
    expect(ownedArchs(4, { rank: 1, size: 2 })).toEqual([1, 3]);
    expect(ownedArchs(5, { rank: 2, size: 3 })).toEqual([2]);
    expect(() => ownedArchs(2, { rank: 0, size: 3 })).toThrow(InputError);
    expect(() => ownedArchs(2, { rank: 0, size: 3 })).toThrow('--split subnets: 3 workers need at least 3 subnets per step, this run trains 2');
  });
});

describe('resolveSplit', () => {
  it('auto: by subnet where the step has a subnet for every worker, by batch rows otherwise; an explicit choice stays', () => {
    expect(resolveSplit('auto', 4, 2)).toBe('subnets');
    expect(resolveSplit(undefined, 2, 2)).toBe('subnets');
    expect(resolveSplit('auto', 1, 2)).toBe('batch');
    expect(resolveSplit('batch', 4, 2)).toBe('batch');
    expect(resolveSplit('subnets', 1, 2)).toBe('subnets');
  });
});

describe('trainSupernet split by subnet', () => {
  const root = mkdtempSync(join(tmpdir(), 'hbx-split-'));
  process.env.HBX_DATA = fashionMnistData(root, 120);
  const dataset = getDataset('fashion-mnist');
  const train = dataset.load('train');
  const config = { ...DEFAULT_TRAIN, dataset: dataset.name, mean: dataset.mean, std: dataset.std, epochs: 1, batchSize: 15, subnetsPerStep: 1, valFraction: 0.1, maxSteps: 1, seed: 5 };

  const run = (workers: number, split: 'batch' | 'subnets', out: string) => trainTinySupernet({ config, train, out: join(root, out), workers, split });

  it('equals one process: the same first loss to the bit, the same update and running statistics up to float rounding', async () => {
    // A step of 3 subnets (largest, smallest, 1 random) on 2 workers: the first takes the
    // largest and the random one, the second the smallest and recomputes the largest's forward.
    const [one, two] = [await run(1, 'batch', 'one'), await run(2, 'subnets', 'two')];
    // The largest's pass runs on one replica over the whole batch, as in one process.
    expect(two.steps[0].loss).toBe(one.steps[0].loss);
    expect(two.steps[0].accuracy).toBe(one.steps[0].accuracy);
    // Gradients summed in another order (per replica, then across): rounding only.
    const { cosine, normRatio } = cosineAndNormRatio(one.update, two.update);
    expect(cosine).toBeGreaterThan(1 - 1e-6);
    expect(Math.abs(normRatio - 1)).toBeLessThan(1e-4);
    // Every subnet's batch statistics blended in sandwich order, sent as float32.
    expect(two.running).toHaveLength(one.running.length);
    const worst = Math.max(...one.running.map((v, i) => Math.abs(v - two.running[i]) / Math.max(1, Math.abs(v))));
    expect(worst).toBeLessThan(1e-5);
    expect(Math.max(...one.running.map((v, i) => Math.abs(v - (i % 2 ? 1 : 0))))).toBeGreaterThan(1e-3); // they did move
  }, 120_000);

  it('a replica whose subnet is the largest takes the distillation targets from its own pass, and still equals one process', async () => {
    // A space of one subnet: the sandwich is that subnet twice, so the second worker's subnet is
    // the largest and it runs no forward of its own for the targets.
    const single = { kernelSizes: [3], expandRatios: [3], depths: [2] };
    const once = (workers: number, split: 'batch' | 'subnets', out: string) => trainTinySupernet({ config: { ...config, subnetsPerStep: 0 }, train, out: join(root, out), workers, split }, single);
    const [one, two] = [await once(1, 'batch', 'single-one'), await once(2, 'subnets', 'single-two')];
    expect(two.steps[0].loss).toBe(one.steps[0].loss);
    const { cosine, normRatio } = cosineAndNormRatio(one.update, two.update);
    expect(cosine).toBeGreaterThan(1 - 1e-6);
    expect(Math.abs(normRatio - 1)).toBeLessThan(1e-4);
    const worst = Math.max(...one.running.map((v, i) => Math.abs(v - two.running[i]) / Math.max(1, Math.abs(v))));
    expect(worst).toBeLessThan(1e-5);
  }, 120_000);

  it('refuses more workers than subnets per step as an input error', async () => {
    const model = new OFAMobileNetV3({ inputChannels: 1, numClasses: 10, widthMult: 0.25, resolutions: [28] });
    const three = trainSupernet(model, { config: { ...config, subnetsPerStep: 0 }, train, out: join(root, 'bad'), workers: 3, split: 'subnets' });
    await expect(three).rejects.toThrow(InputError);
    await expect(three).rejects.toThrow('--split subnets: 3 workers need at least 3 subnets per step, this run trains 2');
    model.dispose();
  }, 60_000);
});
