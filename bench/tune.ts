/**
 * hbx's samplers against Optuna's (Debian's python3-optuna) on the same problems, budgets and
 * seeds, side by side in one run: median and quartiles of the best value after N trials, and
 * each sampler's own time per trial (ask + suggestions) at 100 and 1,000 trials.
 *
 *   npx tsx bench/tune.ts [--seeds 20] [--trials 100] [--timing 100,1000]
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { CmaEsSampler, createStudy, QMCSampler, RandomSampler, TPESampler, type Sampler } from '../tune/index.js';
import { problems, supernetTable } from './tune_problems.js';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const SEEDS = Array.from({ length: Number(arg('seeds', '20')) }, (_, i) => i);
const TRIALS = Number(arg('trials', '100'));
const TIMING = arg('timing', '100,1000').split(',').map(Number);

const SAMPLERS: Record<string, (seed: number) => Sampler> = {
  tpe: (seed) => new TPESampler({ seed }),
  'tpe-multivariate': (seed) => new TPESampler({ seed, multivariate: true, group: true }),
  random: (seed) => new RandomSampler({ seed }),
  cmaes: (seed) => new CmaEsSampler({ seed }),
  qmc: (seed) => new QMCSampler({ seed }),
};
const TIMED = ['tpe', 'random', 'cmaes'];

function quartiles(xs: number[]): [number, number, number] {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => {
    const pos = q * (s.length - 1);
    const lo = Math.floor(pos);
    return s[lo] + (s[Math.ceil(pos)] - s[lo]) * (pos - lo);
  };
  return [at(0.25), at(0.5), at(0.75)];
}

async function hbxBest(table: ReturnType<typeof supernetTable>): Promise<Record<string, Record<string, number[]>>> {
  const out: Record<string, Record<string, number[]>> = {};
  for (const problem of problems(table)) {
    out[problem.name] = {};
    for (const [name, make] of Object.entries(SAMPLERS)) {
      const bests: number[] = [];
      for (const seed of SEEDS) {
        const study = await createStudy({ sampler: make(seed) });
        await study.optimize(problem.objective, { nTrials: TRIALS });
        bests.push(study.bestValue);
      }
      out[problem.name][name] = bests;
    }
  }
  return out;
}

/** Seconds per trial spent by the sampler (ask and suggestions), averaged over the last 10 of n trials, on Branin. */
async function hbxSecondsPerTrial(sampler: string, n: number): Promise<number> {
  const study = await createStudy({ sampler: SAMPLERS[sampler](0) });
  const seconds: number[] = [];
  for (let i = 0; i < n; i++) {
    const start = process.hrtime.bigint();
    const trial = await study.ask();
    const [x1, x2] = [trial.suggestFloat('x1', -5, 10), trial.suggestFloat('x2', 0, 15)];
    seconds.push(Number(process.hrtime.bigint() - start) / 1e9);
    await study.tell(trial, (x2 - (5.1 / (4 * Math.PI ** 2)) * x1 ** 2 + (5 / Math.PI) * x1 - 6) ** 2 + 10 * (1 - 1 / (8 * Math.PI)) * Math.cos(x1) + 10);
  }
  const window = seconds.slice(-Math.min(10, n));
  return window.reduce((s, x) => s + x, 0) / window.length;
}

function optuna(table: ReturnType<typeof supernetTable>): Promise<{ version: string; best: Record<string, Record<string, number[]>>; secondsPerTrial: Record<string, Record<string, number>> } | null> {
  return new Promise((resolve) => {
    // Debian's python3-optuna lives under /usr/bin/python3, which another python3 on PATH may shadow.
    const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
    const child = spawn(python, ['bench/tune_optuna.py'], { stdio: ['pipe', 'pipe', 'inherit'] });
    let text = '';
    child.stdout.setEncoding('utf8').on('data', (t: string) => (text += t));
    child.on('error', () => resolve(null));
    child.on('close', (code) => resolve(code === 0 ? JSON.parse(text) : null));
    child.stdin.end(JSON.stringify({ seeds: SEEDS, trials: TRIALS, table, timing: TIMING }));
  });
}

const fmt = (q: [number, number, number]) => `${q[1].toPrecision(4)} [${q[0].toPrecision(4)}, ${q[2].toPrecision(4)}]`;

async function main(): Promise<void> {
  const table = supernetTable();
  console.log(`machine: ${cpus()[0].model}, ${cpus().length} cores; ${SEEDS.length} seeds, ${TRIALS} trials; best value, median [quartiles], lower is better`);
  // Optuna runs in its own process while hbx runs here: side by side, in the same minutes.
  const [reference, ours] = await Promise.all([optuna(table), hbxBest(table)]);
  if (!reference) console.log('(python3 with optuna not found: install Debian\'s python3-optuna for the reference columns)');
  console.log(`\n| problem | optimum | sampler | hbx | Optuna ${reference?.version ?? ''} |`);
  console.log('|---|---:|---|---:|---:|');
  for (const p of problems(table)) {
    for (const s of Object.keys(SAMPLERS)) {
      const ref = reference?.best[p.name]?.[s];
      console.log(`| ${p.name} | ${p.optimum?.toPrecision(4) ?? '?'} | ${s} | ${fmt(quartiles(ours[p.name][s]))} | ${ref ? fmt(quartiles(ref)) : '-'} |`);
    }
  }
  console.log('\n| sampler | trials in the study | hbx ms/trial | Optuna ms/trial |');
  console.log('|---|---:|---:|---:|');
  for (const s of TIMED) {
    for (const n of TIMING) {
      const ms = (await hbxSecondsPerTrial(s, n)) * 1000;
      const ref = reference?.secondsPerTrial[s]?.[String(n)];
      console.log(`| ${s} | ${n} | ${ms.toFixed(2)} | ${ref != null ? (ref * 1000).toFixed(2) : '-'} |`);
    }
  }
}

await main();
