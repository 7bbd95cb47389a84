import type { Command } from 'commander';
import { DEFAULT_OPSET, exportOnnx } from '../../export/index.js';
import { DEFAULT_SPACE, getSpace, loadSupernet, readArchFor, spaceOf } from '../../networks/index.js';
import { writeFileAtomic, type AnyModule } from '../../space/index.js';
import { InputError } from '../../tensor/index.js';
import { ARCH_HELP, intFlag, printJson, spaceOptionsFlag, type CliIO } from '../io.js';
import { DEFAULT_SUPERNET, trainedNormalisation } from '../defaults.js';
import { formatCount } from '../../search/index.js';

interface ModelFlags {
  space?: string;
  supernet?: string;
}

/** The supernet a command works on: from a checkpoint, or the space's fresh initial weights. */
export function openSupernet(flags: ModelFlags, io: CliIO, { warnRandom }: { warnRandom: boolean }): AnyModule {
  if (flags.supernet) {
    const model = loadSupernet(flags.supernet);
    const id = (model as { spaceId?: string }).spaceId;
    if (flags.space && flags.space !== id) {
      throw new InputError(`--space: '${flags.space}' does not match the checkpoint's space '${id}'`);
    }
    return model;
  }
  if (warnRandom) io.err('hbx: warning: no --supernet given, exporting random initial weights\n');
  return getSpace(flags.space ?? DEFAULT_SPACE).create();
}

export function registerModelCommands(program: Command, io: CliIO): void {
  program
    .command('flops')
    .description('MACs and parameters of a subnet (conv, BN and linear layers, counted as OFA does)')
    .option('--space <id>', `search space (default: the checkpoint's, else ${DEFAULT_SPACE})`)
    .option('--space-options <json>', 'space options (default: the space\'s own configuration)')
    .option('--supernet <ckpt>', "the space and options of this checkpoint (e.g. with --arch largest)")
    .requiredOption('--arch <file>', ARCH_HELP)
    .option('--json', 'print {"macs", "params"}')
    .action((opts: ModelFlags & { spaceOptions?: string; arch: string; json?: boolean }) => {
      if (opts.supernet && opts.spaceOptions) throw new InputError('--space-options: not with --supernet (the checkpoint holds its configuration)');
      const model = opts.supernet ? openSupernet(opts, io, { warnRandom: false }) : getSpace(opts.space ?? DEFAULT_SPACE).create(spaceOptionsFlag(opts.spaceOptions), '--space-options');
      const space = spaceOf(model);
      const arch = readArchFor(opts.arch, model);
      const cost = space.cost(model, arch);
      if (opts.json) return printJson(io, cost);
      const size = space.io(model).resolution ?? space.config(model).resolutions[0];
      io.out(`${formatCount(cost.macs)} MACs, ${formatCount(cost.params)} parameters at ${size}x${size}\n`);
    });

  program
    .command('export')
    .description('a subnet with its inherited weights as an ONNX file')
    .option('--space <id>', 'search space (default: the checkpoint\'s, else ofa-mbv3)')
    .requiredOption('--arch <file>', ARCH_HELP)
    .option('--supernet <ckpt>', 'supernet checkpoint (folder or .safetensors); default: the shipped Fashion-MNIST supernet, or with --space, random weights')
    .requiredOption('--out <file>', 'where to write the .onnx file')
    .option('--opset <n>', 'ONNX opset (>= 13)', String(DEFAULT_OPSET))
    .option('--batch <n>', "fixed batch size, or 'dynamic'", 'dynamic')
    .option('--resolution <r>', 'input size, for spaces without a resolution decision')
    .option('--json', 'print {"out", "bytes", "resolution", "macs", "params"}')
    .action((opts: ModelFlags & { arch: string; out: string; opset: string; batch: string; resolution?: string; json?: boolean }) => {
      if (!opts.out.endsWith('.onnx')) throw new InputError(`--out: expected a .onnx file name, got '${opts.out}'`);
      const supernetPath = opts.supernet ?? (opts.space ? undefined : DEFAULT_SUPERNET);
      const supernet = openSupernet({ ...opts, supernet: supernetPath }, io, { warnRandom: true });
      const arch = readArchFor(opts.arch, supernet);
      const opset = intFlag('--opset', opts.opset, DEFAULT_OPSET, 13);
      const batch = opts.batch === 'dynamic' ? 'dynamic' : intFlag('--batch', opts.batch, 1, 1);
      const resolution = opts.resolution ? intFlag('--resolution', opts.resolution, 0, 1) : undefined;
      const space = spaceOf(supernet);
      const model = space.subnet(supernet, arch);
      const bytes = exportOnnx(model, { opset, batch, resolution, ...trainedNormalisation(supernetPath) });
      writeFileAtomic(opts.out, bytes);
      const cost = space.cost(supernet, arch);
      const summary = { out: opts.out, bytes: bytes.length, resolution: resolution ?? space.io(model).resolution, ...cost };
      if (opts.json) return printJson(io, summary);
      io.err(`wrote ${opts.out} (${(bytes.length / 1e6).toFixed(1)} MB${cost ? `, ${formatCount(cost.macs)} MACs, ${formatCount(cost.params)} parameters` : ''})\n`);
    });
}
