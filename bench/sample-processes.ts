// Accuracy-predictor sample collection in one process and in several: the same N random
// subnets of the first supernet (supernets/fashion-mnist) evaluated as `hbx search` does (BN recalibrated on 1,000
// training images, top-1 on 3,000 held-out images), timed both ways in one run.
//   npx tsx bench/sample-processes.ts [--samples 16] [--processes 2]
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../tensor/index.js';
import { FIRST_SUPERNET } from '../networks/index.js';
import { accuracyPredictorFor, defaultSampleProcesses, evaluationData, searchSpaceOf, openSearchSupernet, SupernetEvaluator } from '../search/index.js';

const flag = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const samples = flag('--samples', 16);
const processes = flag('--processes', defaultSampleProcesses());

await initBackend('wasm');
const root = mkdtempSync(join(tmpdir(), 'hbx-bench-samples-'));

async function collect(n: number): Promise<{ seconds: number; top1: number[] }> {
  // A fresh copy each time: the samples cache lives next to the weights.
  const folder = join(root, `p${n}`);
  mkdirSync(folder);
  for (const f of ['supernet.safetensors', 'state.json']) copyFileSync(join(FIRST_SUPERNET, f), join(folder, f));
  const supernet = openSearchSupernet(folder);
  const evaluator = new SupernetEvaluator(searchSpaceOf(supernet), supernet, evaluationData(folder), { recalibrationImages: 1000, valImages: 3000 });
  const started = performance.now();
  await accuracyPredictorFor(folder, evaluator, { samples, seed: 0, processes: n });
  const seconds = (performance.now() - started) / 1000;
  const file = JSON.parse(readFileSync(join(folder, 'accuracy', 'samples.json'), 'utf8')) as { samples: { top1: number }[] };
  return { seconds, top1: file.samples.map((s) => s.top1) };
}

const one = await collect(1);
const many = await collect(processes);
const same = one.top1.every((t, i) => t === many.top1[i]);
console.log(`${samples} samples (incl. predictor training): 1 process ${one.seconds.toFixed(1)} s (${(one.seconds / samples).toFixed(2)} s each), ${processes} processes ${many.seconds.toFixed(1)} s (${(many.seconds / samples).toFixed(2)} s each): ${(one.seconds / many.seconds).toFixed(2)}x; same top-1 values: ${same}`);
