/**
 * Does pruning pay? The same study twice, side by side in time: train-subnet (a subnet trained
 * from scratch on a proxy split of Fashion-MNIST's training set, validation top-1 after each
 * epoch), TPE with the same seed, once without a pruner and once with ASHA. Prints the best
 * validation top-1 of each, the epochs each trained in all, and when the ASHA study first came
 * within noise (one binomial standard error of the validation set) of the unpruned study's best.
 *
 *   npx tsx bench/tune-pruning.ts [--trials 20] [--epochs 6] [--seed 0] [--train-images 2000] [--val-images 500] [--arch smallest]
 */
import { cpus } from 'node:os';
import {
  createStudy,
  floatDistribution,
  categoricalDistribution,
  lastStep,
  NopPruner,
  SuccessiveHalvingPruner,
  TPESampler,
  trainSubnetObjective,
  type FrozenTrial,
  type Pruner,
} from '../tune/index.js';
import { FIRST_SUPERNET } from '../networks/index.js';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const TRIALS = Number(arg('trials', '20'));
const EPOCHS = Number(arg('epochs', '6'));
const SEED = Number(arg('seed', '0'));
const TRAIN_IMAGES = Number(arg('train-images', '2000'));
const VAL_IMAGES = Number(arg('val-images', '500'));
const ARCH = arg('arch', 'smallest');

const space = {
  lr: floatDistribution('lr', 1e-3, 1, { log: true }),
  weightDecay: floatDistribution('weightDecay', 1e-6, 1e-2, { log: true }),
  labelSmoothing: floatDistribution('labelSmoothing', 0, 0.3),
  batchSize: categoricalDistribution('batchSize', [32, 64, 128]),
};

async function run(pruner: Pruner): Promise<{ trials: readonly FrozenTrial[]; seconds: number }> {
  const objective = trainSubnetObjective({
    dataset: 'fashion-mnist',
    trainImages: TRAIN_IMAGES,
    valImages: VAL_IMAGES,
    supernet: FIRST_SUPERNET,
    init: 'scratch',
    arch: ARCH,
    seed: SEED,
    settings: { epochs: EPOCHS },
    space,
  });
  const study = await createStudy({ direction: 'maximize', sampler: new TPESampler({ seed: SEED }), pruner });
  const started = Date.now();
  await study.optimize(objective, { nTrials: TRIALS });
  return { trials: study.trials, seconds: (Date.now() - started) / 1000 };
}

/** Epochs trained in all, and the running epoch count at which the best value first reached `target`. */
function accounting(trials: readonly FrozenTrial[], target: number): { epochs: number; best: number; reachedAt: number | null } {
  let epochs = 0;
  let best = -Infinity;
  let reachedAt: number | null = null;
  for (const t of trials) {
    epochs += lastStep(t) ?? 0;
    if (t.state === 'complete') best = Math.max(best, t.values![0]);
    if (reachedAt == null && best >= target) reachedAt = epochs;
  }
  return { epochs, best, reachedAt };
}

async function main(): Promise<void> {
  console.log(`machine: ${cpus()[0].model}, ${cpus().length} cores; train-subnet ${ARCH} from scratch, ${TRAIN_IMAGES} training / ${VAL_IMAGES} validation images, ${EPOCHS} epochs, ${TRIALS} trials, TPE seed ${SEED}`);
  const plain = await run(new NopPruner());
  const asha = await run(new SuccessiveHalvingPruner({ minResource: 1, reductionFactor: 3 }));
  const plainBest = Math.max(...plain.trials.filter((t) => t.state === 'complete').map((t) => t.values![0]));
  const noise = Math.sqrt((plainBest * (1 - plainBest)) / VAL_IMAGES);
  const a = accounting(plain.trials, plainBest);
  const b = accounting(asha.trials, plainBest - noise);
  const pruned = asha.trials.filter((t) => t.state === 'pruned').length;
  console.log('\n| study | best val top-1 | epochs trained | epochs until within noise of the unpruned best | pruned trials | seconds |');
  console.log('|---|---:|---:|---:|---:|---:|');
  console.log(`| no pruner | ${(a.best * 100).toFixed(1)}% | ${a.epochs} | ${a.reachedAt} | 0 | ${plain.seconds.toFixed(0)} |`);
  console.log(`| ASHA (min 1 epoch, factor 3) | ${(b.best * 100).toFixed(1)}% | ${b.epochs} (${((100 * b.epochs) / a.epochs).toFixed(0)}%) | ${b.reachedAt ?? 'never'} | ${pruned} | ${asha.seconds.toFixed(0)} |`);
  console.log(`noise: one standard error of ${(plainBest * 100).toFixed(1)}% on ${VAL_IMAGES} images = ${(noise * 100).toFixed(1)} points`);
}

await main();
