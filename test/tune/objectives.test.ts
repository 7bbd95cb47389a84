import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../../tensor/index.js';
import { applyTrainParams, DEFAULT_TRAIN, readTrainParams } from '../../train/index.js';
import { FIRST_SUPERNET, getSpace, saveSupernet, type TrainableSupernet } from '../../index.js';
import {
  createStudy,
  directionsOf,
  objectiveOf,
  floatDistribution,
  GridSampler,
  readTuneConfig,
  ThresholdPruner,
  trainSubnetObjective,
  trainSupernetObjective,
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
  supernet: FIRST_SUPERNET,
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

describe('objectives on a space other than ofa-mbv3', () => {
  const nb201 = { channels: 4, cellsPerStage: 1 };

  it('train-subnet trains a subnet of an nb201 supernet, from its weights or fresh', async () => {
    const dir = join(root, 'nb201-supernet');
    saveSupernet(getSpace('nb201').create({ ...nb201, inputChannels: 1, numClasses: 10, resolution: 28 }) as TrainableSupernet, dir);
    const values: number[] = [];
    for (const init of ['supernet', 'scratch'] as const) {
      const study = await createStudy({ direction: 'maximize', sampler: new GridSampler({ lr: [0.05] }) });
      await study.optimize(trainSubnetObjective({ ...base, supernet: dir, init, arch: 'largest', settings: { epochs: 1, batchSize: 32 } }), { nTrials: 1 });
      expect(study.trials[0].state).toBe('complete');
      values.push(study.trials[0].values![0]);
    }
    // 64 validation images: multiples of 1/64, above chance after an epoch on 96 images is not asked.
    for (const v of values) expect(Number.isInteger(v * 64) && v >= 0 && v <= 1).toBe(true);
  }, 60_000);

  it('train-supernet trains an nb201 supernet from spaceOptions (on 2 worker threads), and refuses bad options once, before any trial', async () => {
    const objective = trainSupernetObjective({ ...base, supernetSpace: 'nb201', spaceOptions: nb201, objectives: 'mean', workers: 2, settings: { epochs: 1, batchSize: 32 }, out: join(root, 'nb201-tune') });
    const study = await createStudy({ direction: 'maximize', sampler: new GridSampler({ lr: [0.05] }) });
    await study.optimize(objective, { nTrials: 1 });
    expect(study.trials[0].state).toBe('complete');
    expect([...study.trials[0].intermediate.keys()]).toEqual([1]);
    expect(() => trainSupernetObjective({ ...base, supernetSpace: 'nb201', spaceOptions: { channels: -4 }, objectives: 'mean', out: root })).toThrow(/spaceOptions: field 'options\.channels'/);
  }, 60_000);

  it('a trial on worker threads pruned after its first epoch is a pruned trial, and the study goes on', async () => {
    // The pruner throws from the epoch callback, which worker threads call from a message handler.
    const objective = trainSupernetObjective({ ...base, supernetSpace: 'nb201', spaceOptions: nb201, objectives: 'mean', workers: 2, settings: { epochs: 2, batchSize: 32 }, out: join(root, 'nb201-pruned') });
    const study = await createStudy({ direction: 'maximize', sampler: new GridSampler({ lr: [0.05, 0.01] }), pruner: new ThresholdPruner({ lower: 0.99 }) });
    await study.optimize(objective, { nTrials: 2 });
    expect(study.trials.map((t) => t.state)).toEqual(['pruned', 'pruned']);
    expect(study.trials.map((t) => [...t.intermediate.keys()])).toEqual([[1], [1]]);
  }, 60_000);
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

  it('train-supernet on another space: refuses an unknown space, ofa-mbv3 flags and options the space refuses, naming the file and field', () => {
    const f = file('s.yaml', `trials: 2\n${space}objective: { builtin: train-supernet, supernetSpace: nb202 }\n`);
    expect(() => readTuneConfig(f)).toThrow(new RegExp(`^${f}: field 'objective\\.supernetSpace': unknown space 'nb202', expected one of ofa-mbv3, `));
    expect(() => readTuneConfig(file('w.yaml', `trials: 2\n${space}objective: { builtin: train-supernet, supernetSpace: nb201, width: 0.5 }\n`))).toThrow(/field 'objective\.width': an option of ofa-mbv3; for 'nb201' give spaceOptions/);
    expect(() => readTuneConfig(file('k.yaml', `trials: 2\n${space}objective: { builtin: train-supernet, workers: 0 }\n`))).toThrow(/field 'objective\.workers': /);
    const bad = file('o.yaml', `trials: 2\n${space}objective: { builtin: train-supernet, supernetSpace: nb201, trainImages: 96, valImages: 64, spaceOptions: { cellsPerStage: 0 } }\n`);
    expect(() => objectiveOf(readTuneConfig(bad))).toThrow(new RegExp(`^${bad}: objective\\.spaceOptions: field 'options\\.cellsPerStage'`));
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
