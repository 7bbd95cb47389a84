import type { Command } from 'commander';
import { getDataset } from '../../datasets/index.js';
import { DEFAULT_SPACE, getSpace, loadSupernet, OFA_TRAIN_FLAGS, ofaTrainOptions, readArchFor, spaceOf } from '../../networks/index.js';
import { applyTrainParams, DEFAULT_TRAIN, defaultWorkers, evaluateTop1Async, heldOutMismatch, readTrainParams, recalibrateBatchNorm, SPLITS, trainSupernet, type Split, type TrainableSupernet, type TrainConfig } from '../../train/index.js';
import { InputError } from '../../tensor/index.js';
import { parsePolicy, type MixConfig } from '../../augment/index.js';
import { ARCH_HELP, floatFlag, intFlag, printJson, spaceOptionsFlag, UsageError, type CliIO } from '../io.js';
import { progressReporter } from '../progress.js';
import { DEFAULT_SUPERNET, trainedDataset } from '../defaults.js';

function intList(name: string, value: string | undefined): number[] | undefined {
  if (value == null) return undefined;
  const xs = value.split(',').map(Number);
  if (xs.some((x) => !Number.isInteger(x) || x < 1)) throw new UsageError(`${name}: expected comma-separated positive integers, got '${value}'`);
  return xs;
}

function probabilityFlag(name: string, value: string): number {
  const p = Number(value);
  if (!Number.isFinite(p) || p < 0 || p > 1) throw new UsageError(`${name}: expected a probability in [0, 1], got '${value}'`);
  return p;
}

function scaleFlag(value: string): [number, number] {
  const [lo, hi] = value.split(',').map(Number);
  if (!(lo > 0 && hi <= 1 && lo <= hi) || value.split(',').length !== 2) throw new UsageError(`--resized-crop: expected lo,hi with 0 < lo <= hi <= 1, got '${value}'`);
  return [lo, hi];
}

function splitFlag(value: string): Split {
  if (!(SPLITS as readonly string[]).includes(value)) throw new UsageError(`--split: expected ${SPLITS.join(' or ')}, got '${value}'`);
  return value as Split;
}

function mixFlag(value: string): MixConfig {
  const m = /^(none|mixup|cutmix)(?::([0-9.]+))?$/.exec(value);
  const alpha = m?.[2] === undefined ? 1 : Number(m[2]);
  if (!m || !(alpha > 0) || (m[1] === 'none' && m[2] !== undefined)) throw new UsageError(`--mix: expected none, mixup[:ALPHA] or cutmix[:ALPHA] with ALPHA > 0, got '${value}'`);
  return { kind: m[1] as MixConfig['kind'], alpha };
}

/** --width, --stem-stride and --resolutions: options of the default space (ofa-mbv3); given for another space, an error. */
function defaultSpaceFlags(opts: Record<string, unknown>, command: Command, space: string, imageSize: number): Record<string, unknown> {
  if (space !== DEFAULT_SPACE) {
    const given = ['width', 'stemStride', 'resolutions'].find((k) => command.getOptionValueSource(k) === 'cli');
    if (given) throw new UsageError(`--${given.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: an option of ${DEFAULT_SPACE}; for '${space}' give --space-options`);
    return {};
  }
  const flags = {
    stemStride: intFlag('--stem-stride', opts.stemStride as string, OFA_TRAIN_FLAGS.stemStride, 1),
    width: floatFlag('--width', opts.width as string, OFA_TRAIN_FLAGS.width),
    resolutions: intList('--resolutions', opts.resolutions as string | undefined),
  };
  return ofaTrainOptions(flags, imageSize);
}

export function registerTrainCommands(program: Command, io: CliIO): void {
  program
    .command('train')
    .description('train a weight-sharing supernet (sandwich rule, in-place distillation, progressive shrinking)')
    .option('--space <id>', 'search space', DEFAULT_SPACE)
    .option('--space-options <json>', 'space options (channels, classes and image size come from the dataset); the three flags below set ofa-mbv3\'s')
    .requiredOption('--dataset <name>', 'dataset (fashion-mnist)')
    .option('--width <w>', 'ofa-mbv3: width multiplier', String(OFA_TRAIN_FLAGS.width))
    .option('--resolutions <list>', 'ofa-mbv3: training resolutions (default: the images\' size)')
    .option('--stem-stride <s>', 'ofa-mbv3: stem stride (default 2: 14x14 maps after the stem for 28x28 images)', String(OFA_TRAIN_FLAGS.stemStride))
    .option('--epochs <n>', 'epochs', String(DEFAULT_TRAIN.epochs))
    .option('--batch-size <b>', 'images per step', String(DEFAULT_TRAIN.batchSize))
    .option('--subnets-per-step <n>', 'random subnets per step besides the largest and smallest', String(DEFAULT_TRAIN.subnetsPerStep))
    .option('--lr <x>', 'peak learning rate', String(DEFAULT_TRAIN.lr))
    .option('--schedule <s>', 'progressive (kernel, then depth, then expand) or all-elastic', DEFAULT_TRAIN.schedule)
    .option('--max-steps <n>', 'stop after this many steps in all (0: no limit)', '0')
    .option('--seed <s>', 'random seed', String(DEFAULT_TRAIN.seed))
    .option('--out <dir>', 'checkpoint folder', 'hbx-train')
    .option('--resume', 'continue the run in --out from its last checkpoint')
    .option('--checkpoint-minutes <m>', 'also checkpoint within an epoch, at most this many minutes apart (0: after every step); --resume goes on from there', '10')
    .option('--init <dir>', 'start from these supernet weights (same space and options) with a fresh schedule')
    .option('--params <file>', "training settings from a JSON file, e.g. hbx tune's best-params.json (flags given on the command line win)")
    .option('--augment <policy>', 'augmentation policy after crop and flip: none, trivial, randaugment:N,M, autoaugment:cifar10|svhn|imagenet or a policy .json file', 'none')
    .option('--erasing <p>', 'probability of random erasing', '0')
    .option('--resized-crop <lo,hi>', 'random resized crop: area share drawn in [lo, hi] (e.g. 0.35,1), back to the image size')
    .option('--mix <kind>', 'none, mixup[:ALPHA] or cutmix[:ALPHA] (soft-label loss; ALPHA of the Beta draw, default 1)', 'none')
    .option('--split <how>', 'what --workers share: batch (each its rows of every subnet\'s pass), subnets (each whole-batch passes of some of the step\'s subnets) or auto (subnets where the step has one per worker)', 'auto')
    .option('--workers <n>', 'data-parallel worker threads, one engine each (synchronised BN, summed gradients: the same run as one process up to float rounding); default: the number of cores (divided by --wasm-threads), 1 on webgpu', String(defaultWorkers()))
    .action(async (opts: Record<string, string | boolean | undefined>, command: Command) => {
      const tuned = opts.params ? readTrainParams(opts.params as string) : {};
      if (opts.schedule !== 'progressive' && opts.schedule !== 'all-elastic') throw new UsageError(`--schedule: expected progressive or all-elastic, got '${opts.schedule}'`);
      const dataset = getDataset(opts.dataset as string);
      const train = dataset.load('train');
      const space = getSpace(opts.space as string);
      const fromData = space.optionsFor({ channels: train.channels, classes: train.classes, size: train.height });
      const model = space.create({ ...fromData, ...defaultSpaceFlags(opts, command, space.id, train.height), ...spaceOptionsFlag(opts.spaceOptions as string | undefined) }, '--space-options') as TrainableSupernet;
      const flagged: TrainConfig = {
        ...DEFAULT_TRAIN,
        dataset: dataset.name,
        mean: dataset.mean,
        std: dataset.std,
        seed: intFlag('--seed', opts.seed as string, 0),
        epochs: intFlag('--epochs', opts.epochs as string, DEFAULT_TRAIN.epochs, 1),
        batchSize: intFlag('--batch-size', opts.batchSize as string, DEFAULT_TRAIN.batchSize, 1),
        subnetsPerStep: intFlag('--subnets-per-step', opts.subnetsPerStep as string, DEFAULT_TRAIN.subnetsPerStep),
        lr: floatFlag('--lr', opts.lr as string, DEFAULT_TRAIN.lr),
        schedule: opts.schedule as TrainConfig['schedule'],
        maxSteps: intFlag('--max-steps', opts.maxSteps as string, 0),
        augment: {
          ...DEFAULT_TRAIN.augment,
          policy: parsePolicy(opts.augment as string),
          erasing: probabilityFlag('--erasing', opts.erasing as string),
          resizedCrop: opts.resizedCrop ? scaleFlag(opts.resizedCrop as string) : null,
          mix: mixFlag(opts.mix as string),
        },
        ...(opts.init ? { init: opts.init as string } : {}),
      };
      const fromFile = Object.fromEntries(Object.entries(tuned).filter(([key]) => command.getOptionValueSource(key) !== 'cli'));
      const config = applyTrainParams(flagged, fromFile);
      const mismatch = config.init && !opts.resume ? heldOutMismatch(config.init, config) : undefined;
      if (mismatch) io.err(`hbx: warning: ${mismatch}\n`);
      const progress = progressReporter(io);
      await trainSupernet(model, {
        config,
        train,
        out: opts.out as string,
        resume: Boolean(opts.resume),
        checkpointMinutes: floatFlag('--checkpoint-minutes', opts.checkpointMinutes as string, 10),
        // The flag's shown default is fixed before --backend is known; unless given, the backend decides.
        workers: command.getOptionValueSource('workers') === 'cli' ? intFlag('--workers', opts.workers as string, 1, 1) : defaultWorkers(),
        split: splitFlag(opts.split as string),
        onStep: (r) => progress.update(`epoch ${r.epoch + 1}`, r.step + 1, r.totalSteps, `loss ${r.loss.toFixed(3)} acc ${(r.accuracy * 100).toFixed(1)}% ${r.imagesPerSecond.toFixed(0)} img/s`),
        onEpoch: (r) => io.err(`epoch ${r.epoch}: loss ${r.trainLoss.toFixed(3)}, val top-1 ${r.tracked === 'extremes' ? 'largest' : 'fixed random arch 1'} ${(r.valTop1Largest * 100).toFixed(2)}%, ${r.tracked === 'extremes' ? 'smallest' : 'arch 2'} ${(r.valTop1Smallest * 100).toFixed(2)}% (${r.seconds.toFixed(0)} s)\n`),
      });
      progress.stop();
    });

  program
    .command('eval')
    .description('top-1 accuracy of a subnet (BN recalibrated on 2,000 training images first)')
    .option('--supernet <dir>', 'supernet checkpoint (folder or .safetensors)', DEFAULT_SUPERNET)
    .requiredOption('--arch <file>', ARCH_HELP)
    .option('--dataset <name>', 'dataset (default: the one the supernet was trained on)')
    .option('--split <name>', 'train or test', 'test')
    .option('--json', 'print {"top1", "samples", "arch"} (arch in generic form)')
    .action(async (opts: { supernet: string; arch: string; dataset?: string; split: string; json?: boolean }) => {
      if (opts.split !== 'test' && opts.split !== 'train') throw new UsageError(`--split: expected train or test, got '${opts.split}'`);
      const supernet = loadSupernet(opts.supernet);
      const space = spaceOf(supernet);
      const arch = readArchFor(opts.arch, supernet);
      const dataset = getDataset(opts.dataset ?? trainedDataset(opts.supernet));
      const data = dataset.load(opts.split as 'train' | 'test');
      const subnet = space.subnet(supernet, arch);
      const expects = space.io(subnet);
      if (data.channels !== expects.channels || data.classes !== expects.classes) {
        throw new InputError(`--dataset: ${dataset.name} has ${data.channels} channel(s) and ${data.classes} classes, the supernet expects ${expects.channels} and ${expects.classes}`);
      }
      const batch = { mean: dataset.mean, std: dataset.std, resolution: expects.resolution ?? data.height };
      recalibrateBatchNorm(subnet, opts.split === 'test' ? dataset.load('train') : data, { ...batch, images: 2000 });
      const result = await evaluateTop1Async(subnet, data, batch);
      if (opts.json) return printJson(io, { ...result, arch });
      io.out(`top-1 ${(result.top1 * 100).toFixed(2)}% on ${result.samples} ${dataset.name} ${opts.split} images\n`);
    });
}
