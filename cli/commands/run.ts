import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { benchModel, classifyImages, expandInputs, openModel, readLabels, type Preprocess, type ResizeMode } from '../../runtime/index.js';
import { InputError } from '../../tensor/index.js';
import { describeRepeatability, intFlag, printJson, protocolFlags, providerFlag, PROVIDER_HELP, UsageError, type CliIO } from '../io.js';
import { progressReporter } from '../progress.js';

function numberList(flag: string, value: string | undefined): number[] | undefined {
  if (value == null) return undefined;
  const xs = value.split(',').map(Number);
  if (xs.some((x) => !Number.isFinite(x))) throw new UsageError(`${flag}: expected comma-separated numbers, got '${value}'`);
  return xs;
}

function sizeFlag(value: string | undefined): { height?: number; width?: number } {
  if (value == null) return {};
  const m = /^(\d+)(?:x(\d+))?$/.exec(value);
  if (!m) throw new UsageError(`--size: expected N or HxW, got '${value}'`);
  return { height: Number(m[1]), width: Number(m[2] ?? m[1]) };
}

function checkModelPath(model: string): void {
  if (!existsSync(model)) throw new InputError(`${model}: no such file`);
}

export function registerRunCommands(program: Command, io: CliIO): void {
  program
    .command('run')
    .description('classify images with an ONNX model (ONNX Runtime, images prepared with sharp)')
    .argument('<model>', 'ONNX file')
    .argument('<images...>', 'image files, folders, or patterns like dir/*.png')
    .option('--top <k>', 'classes to report per image', '5')
    .option('--labels <file>', 'class names, one per line (default: the model\'s metadata)')
    .option('--batch <b>', 'images per inference call', '16')
    .option('--threads <n>', 'intra-op threads', '1')
    .option('--size <HxW>', 'input size, for models whose size is symbolic')
    .option('--mean <list>', 'per-channel mean on [0, 1] pixels (overrides the model\'s)')
    .option('--std <list>', 'per-channel std (overrides the model\'s)')
    .option('--resize <mode>', 'crop (shorter side, centre crop) or stretch', 'crop')
    .option('--json', 'print [{"input", "top": [{"index", "label", "prob"}]}]')
    .action(async (model: string, images: string[], opts: { top: string; labels?: string; batch: string; threads: string; size?: string; mean?: string; std?: string; resize: string; json?: boolean }) => {
      if (opts.resize !== 'crop' && opts.resize !== 'stretch') throw new UsageError(`--resize: expected crop or stretch, got '${opts.resize}'`);
      checkModelPath(model);
      const opened = await openModel(model, { threads: intFlag('--threads', opts.threads, 1, 1) });
      const inputs = expandInputs(images);
      const preprocess: Partial<Preprocess> = { ...sizeFlag(opts.size), mean: numberList('--mean', opts.mean), std: numberList('--std', opts.std), resize: opts.resize as ResizeMode };
      const classes = Number((opened.session.outputMetadata as unknown as { shape: (number | string)[] }[])[0]?.shape?.at(-1));
      const labels = opts.labels ? readLabels(opts.labels, classes) : opened.info.labels;
      const progress = progressReporter(io);
      const { predictions, failures } = await classifyImages(opened, inputs, {
        top: intFlag('--top', opts.top, 5, 1),
        batch: intFlag('--batch', opts.batch, 16, 1),
        labels,
        preprocess,
        onProgress: inputs.length > 50 ? (d, t) => progress.update('images', d, t) : undefined,
        onWarning: (m) => io.err(`hbx: warning: ${m}\n`),
      });
      progress.stop();
      await opened.session.release();
      if (opts.json) printJson(io, predictions);
      else {
        for (const p of predictions) {
          io.out(`${p.input}: ${p.top.map((t) => `${t.label ?? t.index} ${(t.prob * 100).toFixed(1)}%`).join(', ')}\n`);
        }
      }
      for (const f of failures) io.err(`hbx: ${f.error}\n`);
      if (failures.length > 0) {
        throw new InputError(`${failures.length} of ${inputs.length} images could not be read (reported above)`);
      }
    });

  program
    .command('bench')
    .description('latency and throughput of an ONNX model on this machine')
    .argument('<model>', 'ONNX file')
    .option('--runs <n>', 'timed runs, spread over the protocol\'s passes (more for sub-millisecond models)', '100')
    .option('--warmup <n>', 'warm-up runs', '10')
    .option('--threads <n>', 'intra-op threads', '1')
    .option('--batch <b>', 'inputs per run', '1')
    .option('--provider <name>', PROVIDER_HELP, 'cpu')
    .option('--json', 'print {"latencyMs", "spread", "meanMs", "p50Ms", "p90Ms", "p99Ms", "throughput", "runs"}')
    .action(async (model: string, opts: { runs: string; warmup: string; threads: string; batch: string; provider: string; json?: boolean }) => {
      const provider = providerFlag(opts.provider);
      const batch = intFlag('--batch', opts.batch, 1, 1);
      const t = await benchModel(model, {
        settings: { provider, threads: intFlag('--threads', opts.threads, 1, 1) },
        ...protocolFlags(opts),
        batch,
      });
      const result = { latencyMs: t.ms, spread: t.spread, meanMs: t.meanMs, p50Ms: t.medianMs, p90Ms: t.p90Ms, p99Ms: t.p99Ms, throughput: (batch * 1000) / t.meanMs, runs: t.runs };
      if (opts.json) return printJson(io, result);
      io.out(
        `latency ${t.ms.toFixed(3)} ms (${describeRepeatability(t)}); mean ${t.meanMs.toFixed(3)} ms, p50 ${t.medianMs.toFixed(3)}, p90 ${t.p90Ms.toFixed(3)}, p99 ${t.p99Ms.toFixed(3)} ms; ` +
          `${result.throughput.toFixed(1)} inputs/s (batch ${batch}, ${t.runs} runs)\n`,
      );
    });
}
