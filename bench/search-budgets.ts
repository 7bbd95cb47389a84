// The search's promise, checked end to end: for five latency budgets spread across the
// range the shipped supernet reaches on this machine (from what its cheapest subnet measures
// to the largest subnet's prediction), `hbx search --device local` must
// return a subnet whose exported ONNX file, timed again by `hbx latency measure`, runs
// within the budget, and accuracy should grow with the budget.
//   npx tsx bench/search-budgets.ts [--test] [--supernet DIR]   (--test adds hbx eval on the 10,000 test images;
//   the supernet defaults to the shipped one)
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { initBackend, Rng } from '../tensor/index.js';
import { DEFAULT_SESSION } from '../runtime/index.js';
import { SHIPPED_SUPERNET } from '../networks/index.js';
import { latencySpaceOf, openPredictor } from '../latency/index.js';
import { minimumCost, searchSpaceOf, openSearchSupernet, SearchProblem } from '../search/index.js';
import type { Arch } from '../space/index.js';
import { hbxJson } from './hbx_json.js';

await initBackend('wasm');
const { values: flags } = parseArgs({ options: { test: { type: 'boolean', default: false }, supernet: { type: 'string', default: SHIPPED_SUPERNET } } });
const shipped = flags.supernet;
const withTest = flags.test;

const hbx = hbxJson<unknown>;

// A scratch copy of the shipped supernet with its accuracy samples and predictor but no
// finalists recorded by earlier searches: the five searches start from what a fresh clone knows.
const out = mkdtempSync(join(tmpdir(), 'hbx-budgets-'));
const supernetPath = join(out, 'supernet');
mkdirSync(join(supernetPath, 'accuracy'), { recursive: true });
for (const f of ['supernet.safetensors', 'state.json', 'accuracy/samples.json', 'accuracy/predictor.json']) copyFileSync(join(shipped, f), join(supernetPath, f));
const supernet = openSearchSupernet(supernetPath);
const space = searchSpaceOf(supernet);
const latency = await openPredictor({ device: 'local', space: latencySpaceOf(supernet), settings: DEFAULT_SESSION });
const probe = new SearchProblem(space, { name: 'none', estimate: (gs) => gs.map(() => 0) }, (g) => ({ latencyMs: latency.predict(space.toArch(g)) }));
const cheapest = minimumCost(probe, 'latencyMs', new Rng(0));
const max = latency.predict(space.toArch(space.largest()));
console.log(`predicted latency of the space on this machine: ${cheapest.value.toFixed(3)} .. ${max.toFixed(3)} ms`);

// The low end is what the cheapest subnet measures, not what the table predicts: sub-ms
// calibrations are noisy, and a budget below what any subnet runs in is unsatisfiable.
writeFileSync(join(out, 'cheapest.json'), JSON.stringify(space.toArch(cheapest.genome)));
hbx('export', '--supernet', supernetPath, '--arch', join(out, 'cheapest.json'), '--out', join(out, 'cheapest.onnx'));
// `ms`, the timing protocol's figure, as the search measures its finalists (not the median of every run).
const cheapestMs = (hbx('latency', 'measure', join(out, 'cheapest.onnx'), '--runs', '200') as { ms: number }).ms;
const min = Math.max(cheapest.value, cheapestMs * 1.1);
console.log(`the cheapest subnet measures ${cheapestMs.toFixed(3)} ms; budgets from ${min.toFixed(3)} ms (10% above it) to ${max.toFixed(3)} ms`);
const rows: { budget: number; accuracy: number; remeasured: number }[] = [];
for (const share of [0.1, 0.3, 0.5, 0.7, 0.9]) {
  const budget = Number((min + share * (max - min)).toFixed(3));
  const dir = join(out, `budget-${budget}`);
  const t0 = performance.now();
  const found = hbx('search', '--supernet', supernetPath, '--latency', `${budget}ms`, '--out', dir) as { arch: Arch; accuracy: number; predictedMs: number; measuredMs: number; macs: number };
  const seconds = (performance.now() - t0) / 1000;
  const measured = hbx('latency', 'measure', join(dir, 'subnet.onnx'), '--runs', '200') as { ms: number };
  const test = withTest ? (hbx('eval', '--supernet', supernetPath, '--arch', join(dir, 'arch.json')) as { top1: number }).top1 : undefined;
  rows.push({ budget, accuracy: found.accuracy, remeasured: measured.ms });
  console.log(
    `budget ${budget.toFixed(3)} ms: val top-1 ${(found.accuracy * 100).toFixed(2)}%${test != null ? `, test top-1 ${(test * 100).toFixed(2)}%` : ''}, predicted ${found.predictedMs.toFixed(3)} ms, ` +
      `measured in search ${found.measuredMs.toFixed(3)} ms, hbx latency measure ${measured.ms.toFixed(3)} ms (${measured.ms <= budget ? 'within' : 'OVER'} budget), ` +
      `${(found.macs / 1e6).toFixed(2)}M MACs, resolution ${found.arch.choices.resolution}, ${seconds.toFixed(0)} s`,
  );
}
const within = rows.filter((r) => r.remeasured <= r.budget).length;
const increasing = rows.slice(1).every((r, i) => r.accuracy >= rows[i].accuracy);
console.log(`${within}/${rows.length} within budget when measured again; validation accuracy ${increasing ? 'grows' : 'does NOT grow'} with the budget; outputs in ${out}`);
