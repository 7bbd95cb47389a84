/**
 * Training speed against PyTorch, side by side in one run: images per second of a full
 * training step of the ofa-mbv3 Fashion-MNIST configuration (width 0.5, 28x28, 1 channel,
 * batch 64), stem stride 1 and 2, for the largest subnet, the smallest and the sandwich (largest,
 * smallest, 2 random, in-place distillation). PyTorch runs the same supernet
 * (bench/train_vs_torch.py, parameter counts checked equal) on all cores; hbx runs
 * `trainSupernet` on wasm with one worker per core (the step split by batch rows, and split by
 * subnet), with one worker whose engine runs one
 * XNNPACK thread per core (tfjs-wasm's threaded build, `--wasm-threads`), and with one worker.
 *
 *   npx tsx bench/train-vs-torch.ts [--steps 4] [--reps 3] [--rows largest,smallest,sandwich] [--strides 1,2] [--python /usr/bin/python3]
 *
 * Largest and smallest rows train a space holding only that subnet, whose sandwich is that
 * subnet twice (in PyTorch too): images per second are counted per pass. Repetitions alternate
 * PyTorch, hbx's two ways onto all cores and hbx on one; each figure is the median of the repetitions' medians.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_TRAIN, getDataset, initBackend, MAX_WASM_THREADS, type Split, OFAMobileNetV3, quantile, seedInit, subset, trainSupernet, type OFAMobileNetV3Options } from '../index.js';

const { values: flags } = parseArgs({
  options: {
    steps: { type: 'string', default: '4' },
    reps: { type: 'string', default: '3' },
    rows: { type: 'string', default: 'largest,smallest,sandwich' },
    strides: { type: 'string', default: '1,2' },
    python: { type: 'string', default: existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3' },
  },
});
const STEPS = Number(flags.steps);
const CORES = availableParallelism();
const THREADS = Math.min(CORES, MAX_WASM_THREADS);
const BATCH = 64;
const median = (xs: number[]) => quantile([...xs].sort((a, b) => a - b), 0.5);

type Row = 'largest' | 'smallest' | 'sandwich';
const ROWS: Record<Row, { options: OFAMobileNetV3Options; subnetsPerStep: number; passes: number }> = {
  largest: { options: { kernelSizes: [7], expandRatios: [6], depths: [4] }, subnetsPerStep: 0, passes: 2 },
  smallest: { options: { kernelSizes: [3], expandRatios: [3], depths: [2] }, subnetsPerStep: 0, passes: 2 },
  sandwich: { options: {}, subnetsPerStep: 2, passes: 1 },
};

await initBackend('wasm');
const dataset = getDataset('fashion-mnist');
const images = subset(dataset.load('train'), Array.from({ length: BATCH * (STEPS + 3) }, (_, i) => i));

function torch(row: Row, stemStride: number): { params: number; imagesPerSecond: number; version: string } {
  const out = execFileSync(flags.python!, ['bench/train_vs_torch.py', '--row', row, '--stem-stride', String(stemStride), '--threads', String(CORES), '--steps', String(STEPS), '--batch', String(BATCH)], { encoding: 'utf8' });
  const r = JSON.parse(out.trim().split('\n').pop()!);
  return { params: r.params, imagesPerSecond: r.images_per_second, version: r.torch };
}

async function hbx(row: Row, stemStride: number, workers: number, wasmThreads = 1, split: Split = 'batch'): Promise<{ params: number; imagesPerSecond: number }> {
  seedInit(1);
  const model = new OFAMobileNetV3({ inputChannels: 1, numClasses: 10, stemStride, widthMult: 0.5, resolutions: [28], ...ROWS[row].options });
  const params = model.namedParameters().reduce((n, [, v]) => n + v.size, 0);
  const rates: number[] = [];
  await trainSupernet(model, {
    config: { ...DEFAULT_TRAIN, dataset: dataset.name, mean: dataset.mean, std: dataset.std, epochs: 1, valFraction: 0, subnetsPerStep: ROWS[row].subnetsPerStep, maxSteps: STEPS + 1 },
    train: images,
    out: mkdtempSync(join(tmpdir(), 'hbx-bench-torch-')),
    workers,
    wasmThreads,
    split,
    recalibrationImages: 0,
    onStep: (r) => rates.push(r.imagesPerSecond),
  });
  model.dispose();
  return { params, imagesPerSecond: median(rates.slice(1)) * ROWS[row].passes };
}

console.log(`${cpus()[0].model}, ${CORES} cores; batch ${BATCH}, ${STEPS} timed steps, ${flags.reps} alternating repetitions`);
const lines: string[] = [];
let version = '';
for (const stemStride of flags.strides!.split(',').map(Number)) {
  for (const row of flags.rows!.split(',') as Row[]) {
    if (!(row in ROWS)) throw new Error(`--rows: expected some of ${Object.keys(ROWS).join(', ')}, got ${row}`);
    const figures = { torch: [] as number[], all: [] as number[], subnets: [] as number[], threads: [] as number[], one: [] as number[] };
    for (let rep = 0; rep < Number(flags.reps); rep++) {
      const t = torch(row, stemStride);
      version = t.version;
      const all = await hbx(row, stemStride, CORES);
      const subnets = await hbx(row, stemStride, CORES, 1, 'subnets');
      const threads = await hbx(row, stemStride, 1, THREADS);
      const one = await hbx(row, stemStride, 1);
      if (t.params !== all.params) throw new Error(`${row}: PyTorch's network has ${t.params} parameters, hbx's ${all.params}`);
      figures.torch.push(t.imagesPerSecond);
      figures.all.push(all.imagesPerSecond);
      figures.subnets.push(subnets.imagesPerSecond);
      figures.threads.push(threads.imagesPerSecond);
      figures.one.push(one.imagesPerSecond);
      console.error(`${row} stride ${stemStride} rep ${rep}: torch ${t.imagesPerSecond.toFixed(1)}, hbx ${CORES} workers ${all.imagesPerSecond.toFixed(1)}, split by subnet ${subnets.imagesPerSecond.toFixed(1)}, 1 worker x ${THREADS} threads ${threads.imagesPerSecond.toFixed(1)}, 1 worker ${one.imagesPerSecond.toFixed(1)} img/s (${all.params} parameters)`);
    }
    const [t, all, subnets, threads, one] = [median(figures.torch), median(figures.all), median(figures.subnets), median(figures.threads), median(figures.one)];
    lines.push(`| ${row} | ${stemStride} | ${t.toFixed(1)} | ${all.toFixed(1)} | ${(all / t).toFixed(2)} | ${subnets.toFixed(1)} | ${(subnets / t).toFixed(2)} | ${threads.toFixed(1)} | ${(threads / t).toFixed(2)} | ${one.toFixed(1)} | ${(one / t).toFixed(2)} |`);
  }
}
console.log(`| subnet | stem stride | PyTorch ${version} CPU, ${CORES} threads | hbx wasm, ${CORES} workers split by batch | batch / PyTorch | ${CORES} workers split by subnet | subnets / PyTorch | hbx wasm, 1 worker x ${THREADS} XNNPACK threads | threads / PyTorch | hbx wasm, 1 worker | 1 worker / PyTorch |`);
console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const line of lines) console.log(line);
