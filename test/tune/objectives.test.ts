import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../../tensor/index.js';
import { applyTrainParams, DEFAULT_TRAIN, readTrainParams } from '../../train/index.js';
import {
  createStudy,
  directionsOf,
  floatDistribution,
  GridSampler,
  readTuneConfig,
  SHIPPED_SUPERNET,
  ThresholdPruner,
  trainSubnetObjective,
  type TrainSubnetObjectiveOptions,
} from '../../tune/index.js';
import { fashionMnistData } from '../helpers/fixture_data.js';

await initBackend('wasm');
const root = mkdtempSync(join(tmpdir(), 'hbx-tune-objectives-'));
process.env.HBX_DATA = fashionMnistData(root, 160);

const base: TrainSubnetObjectiveOptions = {
  dataset: 'fashion-mnist',
  trainImages: 96,
  valImages: 64,
  supernet: SHIPPED_SUPERNET,
  init: 'supernet',
  arch: 'smallest',
  seed: 1,
  settings: { epochs: 2, batchSize: 32 },
  space: { lr: floatDistribution('lr', 0.001, 0.1, { log: true }) },
};

describe('train-subnet objective', () => {
  it('reports validation top-1 per epoch; inherited weights beat a fresh start; the same settings give the same numbers', async () => {
    const run = async (init: 'supernet' | 'scratch') => {
      const study = await createStudy({ direction: 'maximize', sampler: new GridSampler({ lr: [0.01] }) });
      await study.optimize(trainSubnetObjective({ ...base, init }), { nTrials: 1 });
      return study.trials[0];
    };
    const inherited = await run('supernet');
    const fresh = await run('scratch');
    expect(inherited.state).toBe('complete');
    expect([...inherited.intermediate.keys()]).toEqual([1, 2]);
    expect(inherited.values![0]).toBe(inherited.intermediate.get(2)![0]);
    // 64 validation images: top-1 is a multiple of 1/64.
    expect(Number.isInteger(inherited.values![0] * 64)).toBe(true);
    expect(inherited.values![0]).toBeGreaterThan(0.6);
    expect(fresh.values![0]).toBeLessThan(inherited.values![0] - 0.2);
    expect((await run('supernet')).values).toEqual(inherited.values);
  });

  it('a pruner stops a trial after the epoch it falls short', async () => {
    const study = await createStudy({ direction: 'maximize', sampler: new GridSampler({ lr: [0.01] }), pruner: new ThresholdPruner({ lower: 0.99 }) });
    await study.optimize(trainSubnetObjective(base), { nTrials: 1 });
    expect(study.trials[0].state).toBe('pruned');
    expect([...study.trials[0].intermediate.keys()]).toEqual([1]);
  });
});

describe('tune config: built-in objectives', () => {
  const file = (name: string, body: string) => {
    const path = join(root, name);
    writeFileSync(path, body);
    return path;
  };
  const space = 'space:\n  lr: { type: float, low: 0.001, high: 0.1, log: true }\n';

  it('defaults to maximize (two objectives for train-supernet with objectives: both)', () => {
    expect(directionsOf(readTuneConfig(file('a.yaml', `trials: 2\n${space}objective: { builtin: train-subnet }\n`)))).toEqual(['maximize']);
    expect(directionsOf(readTuneConfig(file('b.yaml', `trials: 2\n${space}objective: { builtin: train-supernet, objectives: both }\n`)))).toEqual(['maximize', 'maximize']);
  });

  it('refuses a parameter it cannot tune, a minimised top-1 and an unknown builtin, naming the field', () => {
    expect(() => readTuneConfig(file('c.yaml', `trials: 2\nspace:\n  dropout: { type: float, low: 0, high: 1 }\nobjective: { builtin: train-subnet }\n`))).toThrow(/field 'space\.dropout': train-subnet tunes lr, weightDecay/);
    expect(() => readTuneConfig(file('d.yaml', `trials: 2\ndirection: minimize\n${space}objective: { builtin: train-subnet }\n`))).toThrow(/field 'direction': train-subnet reports validation top-1: expected maximize/);
    expect(() => readTuneConfig(file('e.yaml', `trials: 2\n${space}objective: { builtin: train-everything }\n`))).toThrow(/field 'objective\.builtin': expected builtin 'train-subnet' or 'train-supernet'/);
  });
});

describe('best-params file for hbx train', () => {
  it('applies tuned settings, augmentation ones inside augment', () => {
    const path = join(root, 'best-params.json');
    writeFileSync(path, JSON.stringify({ lr: 0.02, weightDecay: 1e-4, cutout: 8, batchSize: 128 }));
    const config = applyTrainParams(DEFAULT_TRAIN, readTrainParams(path));
    expect(config).toMatchObject({ lr: 0.02, weightDecay: 1e-4, batchSize: 128, augment: { cropPadding: 2, horizontalFlip: true, cutout: 8 } });
    expect(DEFAULT_TRAIN.lr).toBe(0.05);
  });

  it('refuses an unknown name or a bad value, naming the file and field', () => {
    const path = join(root, 'bad-params.json');
    writeFileSync(path, JSON.stringify({ lr: -1 }));
    expect(() => readTrainParams(path)).toThrow(new RegExp(`${path}: field 'lr'`));
    writeFileSync(path, JSON.stringify({ dropout: 0.1 }));
    expect(() => readTrainParams(path)).toThrow(/dropout/);
    expect(readFileSync(path, 'utf8')).toContain('dropout');
  });
});
