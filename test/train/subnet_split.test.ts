import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { assignArchs, checkSubnetSplit, initBackend, InputError, OFAMobileNetV3, resolveSplit, trainSupernet } from '../../index.js';
import { cosineAndNormRatio } from '../helpers/tensors.js';
import { tinyTrainingSetup, trainTinySupernet } from '../helpers/tiny_training.js';

await initBackend('wasm');

describe('assignArchs', () => {
  it('balances a step\'s subnets by MACs: the largest on worker 0, the rest dearest first to the least loaded', () => {
    // MACs of largest, smallest, 2 random; a pass costs 3x, the targets a forward of the largest.
    expect(assignArchs([10, 2, 5, 4], 2, true)).toEqual([0, 0, 1, 1]);
    // Without distillation nobody pays for the targets.
    expect(assignArchs([10, 2, 5, 4], 2, false)).toEqual([0, 1, 1, 1]);
    // A subnet that is the largest itself needs no forward for the targets.
    expect(assignArchs([10, 10], 2, true, (i) => i === 1)).toEqual([0, 1]);
    expect(assignArchs([10, 1, 1, 1, 1], 3, true)).toEqual([0, 1, 2, 1, 2]);
  });

  it('property: every subnet has one worker, the largest worker 0, and no move of one subnet lowers the largest load by much', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 100 }), { minLength: 2, maxLength: 8 }), fc.integer({ min: 2, max: 4 }), (draw, workers) => {
        fc.pre(draw.length >= workers);
        // The first subnet of a step is the largest.
        const macs = [Math.max(...draw), ...draw.slice(1)];
        const owner = assignArchs(macs, workers, false);
        expect(owner).toHaveLength(macs.length);
        expect(owner[0]).toBe(0);
        const load = (o: number[]) => Math.max(...Array.from({ length: workers }, (_, w) => o.reduce((n, ow, i) => n + (ow === w ? macs[i] : 0), 0)));
        // Longest processing time first is within 4/3 of the best assignment; one move never beats it by more.
        for (let i = 1; i < macs.length; i++) for (let w = 0; w < workers; w++) expect(load(owner) * 3).toBeLessThanOrEqual(4 * load(owner.map((o, j) => (j === i ? w : o))) + 1e-9);
      }),
    );
  });

  it('refuses more workers than subnets per step as an input error', () => {
    expect(() => checkSubnetSplit(2, 3)).toThrow(InputError);
    expect(() => checkSubnetSplit(2, 3)).toThrow('--split subnets: 3 workers need at least 3 subnets per step, this run trains 2');
    expect(() => checkSubnetSplit(3, 3)).not.toThrow();
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
  const { root, train, config } = tinyTrainingSetup('hbx-split-');

  const run = (workers: number, split: 'batch' | 'subnets', out: string) => trainTinySupernet({ config, train, out: join(root, out), workers, split });

  it('equals one process: the same first loss to the bit, the same update and running statistics up to float rounding', async () => {
    // A step of 3 subnets (largest, smallest, 1 random) on 2 workers: the first takes the
    // largest, the second the others (balanced by MACs) and recomputes the largest's forward.
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
