import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AugmentationSpace, defaultGroups, policyFile, type AugmentSpaceOptions, type Policy } from '../../augment/index.js';
import { loadSupernet, SHIPPED_SUPERNET } from '../../networks/index.js';
import { writeFileAtomic } from '../../space/index.js';
import { activeBackend, initBackend } from '../../tensor/index.js';
import { DEFAULT_DIFFERENTIABLE, searchAugmentationDifferentiable } from '../../train/index.js';
import { SuccessiveHalvingPruner } from '../pruners/index.js';
import { TPESampler } from '../samplers/index.js';
import { createStudy } from '../study.js';
import type { Trial } from '../trial.js';
import { proxyData, subnetToTrain, trainSubnetObjective, type DataOptions } from './train.js';

export interface AugmentSearchOptions extends DataOptions {
  method: 'differentiable' | 'tpe';
  /** What TPE searches: the augmentation space's groups, or RandAugment's N (0: crop and flip alone) and M. */
  tpeSpace?: 'groups' | 'randaugment';
  supernet?: string;
  /** 'largest', 'smallest' or an arch file: the network trained while the policy is searched. */
  arch: string;
  init: 'supernet' | 'scratch';
  epochs: number;
  /** TPE trials (each a short training run, pruned by ASHA). */
  trials: number;
  seed: number;
  space?: AugmentSpaceOptions;
  /** Where policy.json and search.json go (and TPE's journal). */
  out: string;
  onProgress?: (line: string) => void;
}

export interface AugmentSearchResult {
  policy: Policy;
  /** Validation top-1 of the network trained with the found policy (TPE: the best trial's; DADA: the search's own, last epoch). */
  valTop1: number;
  minutes: number;
  files: { policy: string; search: string };
}

/** N = 0 is in RandAugment's search space so that the search can find that extra augmentation does not pay. */
const randAugmentOrNone = (n: number, m: number): Policy => (n === 0 ? { kind: 'none' } : { kind: 'randaugment', n, m });

function networkFor(o: AugmentSearchOptions): ReturnType<typeof subnetToTrain> {
  const supernet = loadSupernet(o.supernet ?? SHIPPED_SUPERNET);
  try {
    return subnetToTrain(supernet, o.arch, o.init);
  } finally {
    supernet.dispose();
  }
}

/**
 * Searches an augmentation policy on a proxy split of the training set and writes it as a
 * policy file (`hbx train --augment <out>/policy.json`) with a record of the search.
 */
export async function searchAugmentation(o: AugmentSearchOptions): Promise<AugmentSearchResult> {
  if (!activeBackend()) await initBackend();
  const started = performance.now();
  const data = proxyData(o);
  const space = new AugmentationSpace({ groups: defaultGroups(data.train.channels), ...o.space });
  mkdirSync(o.out, { recursive: true });
  const files = { policy: join(o.out, 'policy.json'), search: join(o.out, 'search.json') };
  let policy: Policy;
  let valTop1: number;
  let record: object;
  if (o.method === 'differentiable') {
    const { model, resolution } = networkFor(o);
    try {
      const config = { ...DEFAULT_DIFFERENTIABLE, epochs: o.epochs, seed: o.seed, mean: data.mean, std: data.std, resolution };
      const r = await searchAugmentationDifferentiable({ model, space, train: data.train, val: data.val, config, onEpoch: (e, r) => o.onProgress?.(`epoch ${e}/${o.epochs}: val top-1 ${(r.valTop1.at(-1)! * 100).toFixed(2)}%`) });
      [policy, valTop1, record] = [r.policy, r.valTop1.at(-1)!, { method: 'differentiable', config, valTop1: r.valTop1, probabilities: r.probabilities }];
    } finally {
      model.dispose();
    }
  } else {
    const policyOf = (trial: Trial): Policy =>
      o.tpeSpace === 'randaugment'
        ? randAugmentOrNone(trial.suggestInt('n', 0, 3), trial.suggestInt('m', 0, 30))
        : space.policyOf({ space: space.spaceId, choices: Object.fromEntries(Object.entries(space.candidates()).map(([key, names]) => [key, trial.suggestCategorical(key, names)])) });
    const objective = trainSubnetObjective({ ...o, supernet: o.supernet ?? SHIPPED_SUPERNET, settings: { epochs: o.epochs }, space: {}, policyOf });
    const study = await createStudy({
      studyName: 'augment',
      direction: 'maximize',
      sampler: new TPESampler({ seed: o.seed }),
      pruner: new SuccessiveHalvingPruner({ minResource: 1, reductionFactor: 3 }),
      storage: join(o.out, 'journal.jsonl'),
      loadIfExists: true,
    });
    try {
      await study.optimize(objective, { nTrials: o.trials, callbacks: [(s, t) => o.onProgress?.(`trial ${t.number}: ${t.state}${t.values ? ` ${(t.values[0] * 100).toFixed(2)}%` : ''}`)] });
      const best = study.bestTrial;
      const params = best.params as Record<string, string | number>;
      policy = o.tpeSpace === 'randaugment' ? randAugmentOrNone(Number(params.n), Number(params.m)) : space.policyOf({ space: space.spaceId, choices: params }, 'tpe');
      valTop1 = best.values![0];
      record = { method: 'tpe', tpeSpace: o.tpeSpace ?? 'groups', trials: study.trials.map((t) => ({ number: t.number, state: t.state, value: t.values?.[0], params: t.params })) };
    } finally {
      await study.storage.close();
    }
  }
  const minutes = (performance.now() - started) / 60_000;
  writeFileAtomic(files.policy, `${JSON.stringify(policyFile(policy), null, 2)}\n`);
  writeFileSync(files.search, `${JSON.stringify({ ...record, dataset: data.name, trainImages: o.trainImages, valImages: o.valImages, arch: o.arch, init: o.init, epochs: o.epochs, seed: o.seed, valTop1, minutes }, null, 2)}\n`);
  return { policy, valTop1, minutes, files };
}
