// Evolution speed against OFA's own algorithm, side by side on one machine: hbx's default
// evolution (bench/search.ts) and OFA's EvolutionFinder written again in Python with PyTorch
// (bench/evolution_ofa.py: its defaults, a PyTorch MLP accuracy predictor, a lookup-table
// latency) search the same problem: the first supernet's genes, `local` latency table and
// accuracy predictor, one budget. Rounds alternate hbx and Python; medians of whole searches.
//   npx tsx bench/evolution-vs-ofa.ts [--python /usr/bin/python3] [--rounds 3]
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../tensor/index.js';
import { blockKey, ofaBlocks } from '../networks/index.js';
import { DEFAULT_EVOLUTION, evolutionSearch } from '../search/index.js';
import { openFirstSupernetSearch } from './search_setup.js';

const argv = process.argv.slice(2);
const flag = (name: string, fallback: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : fallback);
const python = flag('--python', '/usr/bin/python3');
const rounds = Number(flag('--rounds', '3'));
const { supernet, space, latency, accuracy, budget, newProblem } = await openFirstSupernetSearch(argv);

function problemFile(): string {
  const o = supernet.options;
  const perStage = Math.max(...o.depths);
  const full = [0, 1, 2, 3, 4].map(() => perStage);
  const byResolution = o.resolutions.map((r) => ofaBlocks(o, r, () => ({ k: o.kernelSizes[0], e: o.expandRatios[0] }), full));
  const specs = byResolution[0];
  const stages = [0, 1, 2, 3, 4].map((s) => {
    const b = specs[2 + s * perStage];
    if (b.kind !== 'mbconv') throw new Error('unexpected block order');
    return { stride: b.stride, cout: b.cout, se: b.se ? 1 : 0, act: b.act };
  });
  const rng = new Rng(7);
  const checks = Array.from({ length: 20 }, () => space.sample(rng)).map((g) => ({ choices: space.toArch(g).choices, latencyMs: latency.predict(space.toArch(g)), accuracy: accuracy.estimate([g])[0] }));
  const cal = latency.calibration!;
  const problem = {
    genes: space.genes.map((g) => ({ key: g.key, options: g.options })),
    blocksPerStage: perStage,
    kernelSizes: o.kernelSizes,
    expandRatios: o.expandRatios,
    depths: o.depths,
    resolutions: o.resolutions,
    stages,
    entries: Object.fromEntries(Object.entries(latency.table.entries).map(([k, e]) => [k, e.ms])),
    fixedKeys: Object.fromEntries(o.resolutions.map((r, i) => [r, [0, 1, byResolution[i].length - 1].map((j) => blockKey(byResolution[i][j]))])),
    sizeAfterFirstBlock: Object.fromEntries(o.resolutions.map((r, i) => [r, byResolution[i][1].size])),
    firstBlockChannels: (byResolution[0][1] as { cout: number }).cout,
    calibration: { slope: cal.slope, perBlock: cal.perBlock ?? 0, intercept: cal.intercept },
    predictor: accuracy.toJSON(),
    budgetMs: budget,
    checks,
  };
  const path = join(mkdtempSync(join(tmpdir(), 'hbx-evolution-')), 'problem.json');
  writeFileSync(path, JSON.stringify(problem));
  return path;
}

interface Run {
  side: string;
  seed: number;
  seconds: number;
  accuracy: number;
  latencyMs: number;
}

function hbx(seed: number): Run {
  const problem = newProblem();
  const t0 = performance.now();
  const best = evolutionSearch(problem, { ...DEFAULT_EVOLUTION, seed })[0];
  return { side: 'hbx', seed, seconds: (performance.now() - t0) / 1000, accuracy: best.accuracy, latencyMs: best.latencyMs! };
}

function ofa(path: string, seed: number, predictor: 'hbx' | 'ofa-default'): Run {
  const out = execFileSync(python, ['bench/evolution_ofa.py', path, '--seeds', String(seed), '--predictor', predictor], { encoding: 'utf8' });
  const lines = out.trim().split('\n').map((l) => JSON.parse(l));
  const check = lines[0].check;
  if (check.maxLatencyDiffMs > 1e-6 || (check.maxAccuracyDiff ?? 0) > 1e-4) throw new Error(`the Python problem differs from hbx's: ${JSON.stringify(check)}`);
  const r = lines[1];
  return { side: `ofa (${predictor} predictor)`, seed, seconds: r.seconds, accuracy: r.best.accuracy, latencyMs: r.best.latencyMs };
}

const path = problemFile();
const runs: Run[] = [];
for (let round = 0; round < rounds; round++) {
  runs.push(hbx(round), ofa(path, round, 'hbx'), ofa(path, round, 'ofa-default'));
  for (const r of runs.slice(-3)) console.log(`round ${round}: ${r.side} seed ${r.seed}: ${r.seconds.toFixed(2)} s, best ${(r.accuracy * 100).toFixed(2)}% predicted at ${r.latencyMs.toFixed(3)} ms`);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const secondsOf = (side: string) => median(runs.filter((r) => r.side === side).map((r) => r.seconds));
const hbxSeconds = secondsOf('hbx');
const summary = {
  bench: 'evolution-vs-ofa',
  date: new Date().toISOString(),
  budgetMs: budget,
  rounds,
  hbxSeconds,
  ofaSeconds: secondsOf('ofa (hbx predictor)'),
  ofaDefaultPredictorSeconds: secondsOf('ofa (ofa-default predictor)'),
  runs,
};
console.log(
  `median whole search: hbx ${hbxSeconds.toFixed(2)} s; OFA's algorithm ${summary.ofaSeconds.toFixed(2)} s with the same predictor (${(summary.ofaSeconds / hbxSeconds).toFixed(1)}x hbx), ${summary.ofaDefaultPredictorSeconds.toFixed(2)} s with OFA's default 3x400 predictor (${(summary.ofaDefaultPredictorSeconds / hbxSeconds).toFixed(1)}x)`,
);
appendFileSync(join(import.meta.dirname, 'results', 'evolution-vs-ofa.jsonl'), JSON.stringify(summary) + '\n');
