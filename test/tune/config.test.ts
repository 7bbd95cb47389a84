import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CmaEsSampler, GridSampler, NSGAIISampler, QMCSampler, readTuneConfig, samplerOf } from '../../tune/index.js';

const root = mkdtempSync(join(tmpdir(), 'hbx-tune-config-'));
let count = 0;

function configFile(sampler: string, extra = ''): string {
  const path = join(root, `c${count++}.yaml`);
  writeFileSync(
    path,
    `trials: 4
sampler: ${sampler}
space:
  lr: { type: float, low: 0.001, high: 0.1, log: true }
  depth: { type: int, low: 1, high: 4 }
  opt: { type: categorical, choices: [sgd, adam] }
objective: { command: "true" }
${extra}`,
  );
  return path;
}

describe('tune config: samplers', () => {
  it('builds every sampler type with its options', () => {
    expect(samplerOf(readTuneConfig(configFile('{ type: qmc, seed: 1 }')))).toBeInstanceOf(QMCSampler);
    expect(samplerOf(readTuneConfig(configFile('{ type: cmaes, seed: 1, sigma0: 0.3 }')))).toBeInstanceOf(CmaEsSampler);
    expect(samplerOf(readTuneConfig(configFile('{ type: nsga2, populationSize: 8 }')))).toBeInstanceOf(NSGAIISampler);
  });

  it('a grid takes given values and enumerates ints and categoricals itself', () => {
    const grid = samplerOf(readTuneConfig(configFile('{ type: grid, seed: 2, values: { lr: [0.001, 0.01] } }'))) as GridSampler;
    expect(grid.grid).toEqual({ lr: [0.001, 0.01], depth: [1, 2, 3, 4], opt: ['sgd', 'adam'] });
    expect(grid.size).toBe(16);
  });

  it('refuses a grid over a float without a step or values, and CMA-ES with two objectives, naming the field', () => {
    expect(() => readTuneConfig(configFile('{ type: grid }'))).toThrow(/field 'sampler\.values\.lr': expected grid values for 'lr'/);
    expect(() => readTuneConfig(configFile('{ type: cmaes }', 'directions: [minimize, maximize]'))).toThrow(/field 'sampler\.type': cmaes optimises one objective/);
  });
});

describe('tune config: augmentation policies as a training setting', () => {
  const policyConfig = (choices: string) => {
    const path = join(root, `p${count++}.yaml`);
    writeFileSync(path, `trials: 2\nspace:\n  augment: { type: categorical, choices: ${choices} }\nobjective: { builtin: train-subnet }\n`);
    return path;
  };

  it('takes policies as categorical choices', () => {
    const c = readTuneConfig(policyConfig('[none, trivial, "randaugment:2,9", "autoaugment:cifar10"]'));
    expect(c.space.augment).toMatchObject({ type: 'categorical', choices: ['none', 'trivial', 'randaugment:2,9', 'autoaugment:cifar10'] });
  });

  it('refuses a choice that is no policy, naming the field', () => {
    const path = policyConfig('[none, "randaugment:2,40"]');
    expect(() => readTuneConfig(path)).toThrow(`${path}: field 'space.augment.choices.1': augment: randaugment's M must be a bin in 0..30, got 40`);
  });
});
