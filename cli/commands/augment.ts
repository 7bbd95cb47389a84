import type { Command } from 'commander';
import { augmentationGrid, describePolicy, parsePolicy, writePng } from '../../augment/index.js';
import { getDataset } from '../../datasets/index.js';
import { DEFAULT_TRAIN } from '../../train/index.js';
import { searchAugmentation } from '../../tune/index.js';
import { ARCH_HELP, intFlag, printJson, UsageError, type CliIO } from '../io.js';
import { DEFAULT_SUPERNET } from '../defaults.js';

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`${flag}: expected ${allowed.join(' or ')}, got '${value}'`);
  return value as T;
}

export function registerAugmentCommands(program: Command, io: CliIO): void {
  const augment = program.command('augment').description('automatic data augmentation: see what a policy does, search for one');

  augment
    .command('show')
    .description('a PNG grid of augmented samples: each row an image, then draws of the policy (after the default crop and flip)')
    .argument('<policy>', 'none, trivial, randaugment:N,M, autoaugment:cifar10|svhn|imagenet or a policy .json file')
    .requiredOption('--dataset <name>', 'dataset whose training images are shown')
    .option('--out <file>', 'PNG to write', 'augment-grid.png')
    .option('--images <n>', 'rows', '8')
    .option('--samples <n>', 'augmented draws per row', '8')
    .option('--scale <n>', 'pixels per image pixel', '3')
    .option('--seed <s>', 'random seed', '0')
    .option('--no-base', 'without the default crop and flip: the policy alone')
    .action(async (spec: string, opts: Record<string, string | boolean>) => {
      const policy = parsePolicy(spec, '<policy>');
      const data = getDataset(opts.dataset as string).load('train');
      const base = opts.base ? DEFAULT_TRAIN.augment : { ...DEFAULT_TRAIN.augment, cropPadding: 0, horizontalFlip: false };
      const grid = augmentationGrid(data, { ...base, policy }, {
        images: intFlag('--images', opts.images as string, 8, 1),
        samples: intFlag('--samples', opts.samples as string, 8, 1),
        seed: intFlag('--seed', opts.seed as string, 0),
      });
      await writePng(opts.out as string, grid, intFlag('--scale', opts.scale as string, 3, 1));
      io.out(`${opts.out}: ${describePolicy(policy)} on ${data.name}, ${grid.width}x${grid.height} pixels before scaling\n`);
    });

  augment
    .command('search')
    .description('search an augmentation policy on a proxy split of the training set; writes <out>/policy.json for hbx train --augment')
    .requiredOption('--dataset <name>', 'dataset')
    .option('--method <m>', 'differentiable (DADA: bilevel, straight-through Gumbel) or tpe (TPE with ASHA over short training runs)', 'differentiable')
    .option('--tpe-space <s>', "what tpe searches: groups (the augmentation space's OperationSpaces) or randaugment (N in 0..3, 0 meaning crop and flip alone, and M)", 'groups')
    .option('--supernet <dir>', 'supernet whose subnet is trained during the search', DEFAULT_SUPERNET)
    .option('--arch <a>', ARCH_HELP, 'smallest')
    .option('--init <i>', 'supernet (inherited weights) or scratch', 'scratch')
    .option('--train-images <n>', 'proxy training images', '2000')
    .option('--val-images <n>', 'proxy validation images (from the training split)', '500')
    .option('--epochs <n>', 'epochs of the search (differentiable) or of each trial (tpe)', '4')
    .option('--trials <n>', 'tpe trials', '20')
    .option('--seed <s>', 'random seed', '0')
    .option('--out <dir>', 'output folder', 'hbx-augment')
    .option('--json', 'print {"policy", "valTop1", "minutes", "files"}')
    .action(async (opts: Record<string, string | boolean | undefined>) => {
      const r = await searchAugmentation({
        dataset: opts.dataset as string,
        method: oneOf('--method', opts.method as string, ['differentiable', 'tpe'] as const),
        tpeSpace: oneOf('--tpe-space', opts.tpeSpace as string, ['groups', 'randaugment'] as const),
        supernet: opts.supernet as string,
        arch: opts.arch as string,
        init: oneOf('--init', opts.init as string, ['supernet', 'scratch'] as const),
        trainImages: intFlag('--train-images', opts.trainImages as string, 2000, 1),
        valImages: intFlag('--val-images', opts.valImages as string, 500, 1),
        epochs: intFlag('--epochs', opts.epochs as string, 4, 1),
        trials: intFlag('--trials', opts.trials as string, 20, 1),
        seed: intFlag('--seed', opts.seed as string, 0),
        out: opts.out as string,
        onProgress: (line) => io.err(`${line}\n`),
      });
      if (opts.json) printJson(io, r);
      else io.out(`${r.files.policy}: ${describePolicy(r.policy)}, val top-1 ${(r.valTop1 * 100).toFixed(2)}% in ${r.minutes.toFixed(1)} min (details in ${r.files.search})\n`);
    });
}
