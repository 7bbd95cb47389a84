import type { Command } from 'commander';
import { getDataset } from '../../datasets/index.js';
import { NAS_MUTATORS, runNas, writeNasOutputs, type NasMutatorName } from '../../search/index.js';
import { DEFAULT_DIFFERENTIABLE_SEARCH } from '../../train/index.js';
import { floatFlag, intFlag, printJson, spaceOptionsFlag, UsageError, type CliIO } from '../io.js';
import { progressReporter } from '../progress.js';

interface NasFlags {
  space: string;
  spaceOptions?: string;
  mutator: string;
  dataset: string;
  epochs: string;
  warmupEpochs: string;
  batchSize: string;
  lr: string;
  archLr: string;
  images?: string;
  latencyWeight: string;
  allowNone?: boolean;
  secondOrder?: boolean;
  device: string;
  seed: string;
  out: string;
  json?: boolean;
}

function positiveNumber(name: string, value: string): number {
  const n = Number(value);
  if (!(Number.isFinite(n) && n > 0)) throw new UsageError(`${name}: expected a positive number, got '${value}'`);
  return n;
}

/** How the architecture side went this epoch: the logits' loss, or the ENAS controller's mean reward. */
function archProgress(e: { valLoss: number; meanReward?: number }): string {
  if (e.meanReward !== undefined) return Number.isNaN(e.meanReward) ? 'weights only (warm-up)' : `mean reward ${e.meanReward.toFixed(3)}`;
  return Number.isNaN(e.valLoss) ? 'weights only (warm-up)' : `arch loss ${e.valLoss.toFixed(3)}`;
}

export function registerNasCommand(program: Command, io: CliIO): void {
  program
    .command('nas')
    .description('architecture search with a mutator on a space and dataset: differentiable (DARTS, GDAS, ProxylessNAS) or ENAS\'s RL controller, hardware-aware with --latency-weight: arch file, ONNX export with the supernet\'s weights, report')
    .option('--space <id>', 'search space (nb201, darts, proxyless; enas takes any)', 'nb201')
    .option('--space-options <json>', 'space options, e.g. \'{"channels":8,"cellsPerStage":1}\' (channels, classes and image size come from the dataset)')
    .option('--mutator <name>', `how operations are chosen: ${NAS_MUTATORS.join(' or ')}`, 'darts')
    .requiredOption('--dataset <name>', 'dataset (fashion-mnist)')
    .option('--epochs <n>', 'search epochs', String(DEFAULT_DIFFERENTIABLE_SEARCH.epochs))
    .option('--warmup-epochs <n>', 'first epochs train only the weights (the logits start after)', String(DEFAULT_DIFFERENTIABLE_SEARCH.warmupEpochs))
    .option('--batch-size <b>', 'images per step (each of the two halves)', String(DEFAULT_DIFFERENTIABLE_SEARCH.batchSize))
    .option('--lr <x>', 'weights: peak SGD learning rate (cosine)', String(DEFAULT_DIFFERENTIABLE_SEARCH.lr))
    .option('--arch-lr <x>', 'architecture logits (or the ENAS controller): Adam learning rate', String(DEFAULT_DIFFERENTIABLE_SEARCH.archLr))
    .option('--latency-weight <x>', 'hardware-aware: the architecture loss gains x times the expected latency on --device (ms); for enas, the reward loses x per predicted ms', '0')
    .option('--device <name>', 'device whose latency table prices the candidates (local: this machine, profiled on first use)', 'local')
    .option('--second-order', 'darts: DARTS\' second-order architecture gradient (after a virtual weight step; about 3x the time of a step)')
    .option('--allow-none', 'the derived arch may take none where it is most probable (NB201\'s rule; by default, as DARTS, the best other operation)')
    .option('--images <n>', 'use the first n training images (half for the weights, half for the architecture); default all')
    .option('--seed <s>', 'random seed', '0')
    .option('--out <dir>', 'output folder', 'hbx-nas')
    .option('--json', 'print {"arch", "archForm", "valTop1", "macs", "params", "predictedMs" (with --latency-weight), "out"}')
    .action(async (f: NasFlags) => {
      const dataset = getDataset(f.dataset);
      const progress = progressReporter(io);
      const outcome = await runNas({
        space: f.space,
        spaceOptions: spaceOptionsFlag(f.spaceOptions),
        mutator: f.mutator as NasMutatorName,
        data: dataset.load('train'),
        images: f.images ? intFlag('--images', f.images, 0, 4) : undefined,
        mean: dataset.mean,
        std: dataset.std,
        config: {
          epochs: intFlag('--epochs', f.epochs, 1, 1),
          warmupEpochs: intFlag('--warmup-epochs', f.warmupEpochs, 0, 0),
          batchSize: intFlag('--batch-size', f.batchSize, 1, 1),
          lr: positiveNumber('--lr', f.lr),
          archLr: positiveNumber('--arch-lr', f.archLr),
          seed: intFlag('--seed', f.seed, 0),
          order: f.secondOrder ? 2 : 1,
        },
        latencyWeight: floatFlag('--latency-weight', f.latencyWeight, 0),
        allowNone: Boolean(f.allowNone),
        device: f.device,
        onProgress: (what, d, t) => progress.update(what, d, t),
        onMessage: (line) => io.err(line),
        onStep: (d, t) => progress.update(f.mutator, d, t),
        onEpoch: (e) => io.err(`epoch ${e.epoch}: loss ${e.trainLoss.toFixed(3)}, ${archProgress(e)}, derived arch val top-1 ${(e.valTop1 * 100).toFixed(2)}% (${e.seconds.toFixed(0)} s)\n`),
      });
      progress.stop();
      const files = writeNasOutputs(outcome, f.out);
      const summary = { arch: outcome.arch, archForm: outcome.archForm, valTop1: outcome.valTop1, ...outcome.cost, predictedMs: outcome.latency?.predictedMs, out: f.out };
      if (f.json) return printJson(io, summary);
      const form = Object.values(outcome.archForm).join(' ');
      io.out(`${form}\nval top-1 ${(outcome.valTop1 * 100).toFixed(2)}%; wrote ${files.arch}, ${files.onnx}, ${files.report}\n`);
    });
}
