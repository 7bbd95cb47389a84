/**
 * One fixed subnet of the shipped space, trained from scratch on a Fashion-MNIST subset with
 * each augmentation policy, three seeds each: test top-1 on the 10,000 test images (BN
 * recalibrated). Runs go to child processes, --jobs at a time (wasm uses one core each), and
 * each finished run is appended to --log, so an interrupted bench resumes where it stopped.
 *
 *   npx tsx bench/augment-policies.ts --policies none,trivial,randaugment:2,9 --seeds 0,1,2
 *   npx tsx bench/augment-policies.ts --run randaugment:2,9 --seed 0      # one run, a JSON line
 */
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parsePolicy } from '../augment/index.js';
import { getDataset } from '../datasets/index.js';
import { buildSubnet, extremeArch, loadSupernet, OFAMobileNetV3, FIRST_SUPERNET } from '../networks/index.js';
import { seedInit } from '../space/index.js';
import { initBackend } from '../tensor/index.js';
import { DEFAULT_TRAIN, evaluateTop1, recalibrateBatchNorm, trainSubnet } from '../train/index.js';
import { proxyData } from '../tune/index.js';

const { values: flags } = parseArgs({
  options: {
    run: { type: 'string' },
    seed: { type: 'string', default: '0' },
    policies: { type: 'string', default: 'none,trivial' },
    seeds: { type: 'string', default: '0,1,2' },
    arch: { type: 'string', default: 'smallest' },
    'train-images': { type: 'string', default: '8000' },
    'val-images': { type: 'string', default: '1000' },
    epochs: { type: 'string', default: '5' },
    jobs: { type: 'string', default: '2' },
    log: { type: 'string', default: 'bench/augment-policies.jsonl' },
  },
});

interface RunRecord {
  policy: string;
  seed: number;
  arch: string;
  trainImages: number;
  epochs: number;
  valTop1: number[];
  testTop1: number;
  minutes: number;
}

async function runOne(spec: string, seed: number): Promise<RunRecord> {
  await initBackend('wasm');
  const started = performance.now();
  const [trainImages, valImages, epochs] = [Number(flags['train-images']), Number(flags['val-images']), Number(flags.epochs)];
  const data = proxyData({ dataset: 'fashion-mnist', trainImages, valImages });
  const supernet = loadSupernet(FIRST_SUPERNET) as OFAMobileNetV3;
  const arch = extremeArch(supernet, flags.arch as 'smallest' | 'largest');
  seedInit(seed);
  const model = buildSubnet(new OFAMobileNetV3({ ...supernet.options }), arch);
  const resolution = arch.choices.resolution as number;
  const config = { ...DEFAULT_TRAIN, epochs, seed, mean: data.mean, std: data.std, resolution, augment: { ...DEFAULT_TRAIN.augment, policy: parsePolicy(spec) } };
  const reports = await trainSubnet(model, { config, train: data.train, val: data.val });
  const test = getDataset('fashion-mnist').load('test');
  recalibrateBatchNorm(model, data.train, { mean: data.mean, std: data.std, resolution, images: 2000 });
  const { top1 } = evaluateTop1(model, test, { mean: data.mean, std: data.std, resolution });
  return { policy: spec, seed, arch: flags.arch!, trainImages, epochs, valTop1: reports.map((r) => r.valTop1), testTop1: top1, minutes: (performance.now() - started) / 60_000 };
}

function child(spec: string, seed: number): Promise<RunRecord> {
  const args = ['tsx', 'bench/augment-policies.ts', '--run', spec, '--seed', String(seed), '--arch', flags.arch!, '--train-images', flags['train-images']!, '--val-images', flags['val-images']!, '--epochs', flags.epochs!];
  return new Promise((resolve, reject) => {
    const p = spawn('npx', args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.on('close', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').at(-1)!)) : reject(new Error(`${spec} seed ${seed}: exit ${code}`))));
  });
}

const stats = (xs: number[]) => {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return { mean, min: Math.min(...xs), max: Math.max(...xs) };
};

if (flags.run) {
  console.log(JSON.stringify(await runOne(flags.run, Number(flags.seed))));
} else {
  const same = (r: RunRecord) => r.arch === flags.arch && r.trainImages === Number(flags['train-images']) && r.epochs === Number(flags.epochs);
  const done: RunRecord[] = existsSync(flags.log!) ? readFileSync(flags.log!, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as RunRecord).filter(same) : [];
  const policies = flags.policies!.split(/,(?![0-9])/);
  const todo = policies.flatMap((p) => flags.seeds!.split(',').map(Number).map((seed) => ({ p, seed }))).filter(({ p, seed }) => !done.some((r) => r.policy === p && r.seed === seed));
  const queue = [...todo];
  await Promise.all(
    Array.from({ length: Number(flags.jobs) }, async () => {
      for (let job = queue.shift(); job; job = queue.shift()) {
        const r = await child(job.p, job.seed);
        appendFileSync(flags.log!, `${JSON.stringify(r)}\n`);
        done.push(r);
        process.stderr.write(`${r.policy} seed ${r.seed}: test ${(r.testTop1 * 100).toFixed(2)}% (${r.minutes.toFixed(1)} min)\n`);
      }
    }),
  );
  console.log(`${flags.arch} subnet of ${FIRST_SUPERNET.split('/').slice(-2).join('/')} from scratch, ${flags['train-images']} training images, ${flags.epochs} epochs; test top-1 on 10,000 images`);
  console.log('| policy | seeds | test top-1 mean | min | max | last val top-1 mean | minutes per run |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const p of policies) {
    const rs = done.filter((r) => r.policy === p);
    if (!rs.length) continue;
    const t = stats(rs.map((r) => r.testTop1 * 100));
    const v = stats(rs.map((r) => r.valTop1.at(-1)! * 100));
    console.log(`| ${p} | ${rs.length} | ${t.mean.toFixed(2)} | ${t.min.toFixed(2)} | ${t.max.toFixed(2)} | ${v.mean.toFixed(2)} | ${stats(rs.map((r) => r.minutes)).mean.toFixed(1)} |`);
  }
}
