import type { Command } from 'commander';
import { augmentationGrid, describePolicy, parsePolicy, writePng } from '../../augment/index.js';
import { getDataset } from '../../datasets/index.js';
import { DEFAULT_TRAIN } from '../../train/index.js';
import { intFlag, type CliIO } from '../io.js';

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
}
