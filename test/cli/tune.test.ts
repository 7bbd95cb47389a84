import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTrainParams } from '../../train/index.js';
import { hbx } from '../helpers/cli.js';
import { fashionMnistData } from '../helpers/fixture_data.js';

const root = mkdtempSync(join(tmpdir(), 'hbx-tune-cli-'));

// A training run in miniature: loss falls over 6 epochs toward (x - 0.3)^2 + (lr level); each epoch a report.
const script = join(root, 'objective.mjs');
writeFileSync(
  script,
  `const [x, lr, opt] = [Number(process.argv[2]), Number(process.argv[3]), process.argv[4]];
const final = (x - 0.3) ** 2 + Math.abs(Math.log10(lr) + 2) * 0.1 + (opt === 'adam' ? 0 : 0.05);
for (let epoch = 0; epoch < 6; epoch++) {
  console.log(JSON.stringify({ step: epoch, value: final + (5 - epoch) * 0.2 }));
  await new Promise((r) => setTimeout(r, 5));
}
console.log('done training');
console.log(JSON.stringify({ value: final }));
`,
);

function config(name: string, extra: string): string {
  const path = join(root, `${name}.yaml`);
  writeFileSync(
    path,
    `study: ${name}
out: ${join(root, name)}
direction: minimize
trials: 8
sampler: { type: tpe, seed: 3, startupTrials: 5 }
space:
  x: { type: float, low: -1, high: 1 }
  lr: { type: float, low: 1.0e-4, high: 1, log: true }
  opt: { type: categorical, choices: [sgd, adam] }
objective:
  command: node ${script} {x} {lr} {opt}
${extra}`,
  );
  return path;
}

describe('hbx tune', () => {
  it('a built-in objective: train-subnet over a grid of learning rates; its best-params.json is what hbx train --params reads', async () => {
    process.env.HBX_DATA = fashionMnistData(root, 96);
    const path = join(root, 'builtin.yaml');
    const out = join(root, 'builtin');
    writeFileSync(
      path,
      `study: builtin\nout: ${out}\ntrials: 2\nsampler: { type: grid, values: { lr: [0.01, 0.05] } }\nspace:\n  lr: { type: float, low: 0.001, high: 0.1, log: true }\nobjective: { builtin: train-subnet, trainImages: 64, valImages: 32, settings: { epochs: 1, batchSize: 32 } }\n`,
    );
    const r = await hbx('tune', '--config', path, '--json');
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.directions).toEqual(['maximize']);
    expect(summary.counts.complete).toBe(2);
    const study = JSON.parse(readFileSync(join(out, 'study.json'), 'utf8'));
    const lrs = study.trials.map((t: { params: { lr: number } }) => t.params.lr).sort();
    expect(lrs).toEqual([0.01, 0.05]);
    for (const t of study.trials) expect(Number.isInteger(t.values[0] * 32) && t.values[0] > 0.3).toBe(true);
    expect(readTrainParams(join(out, 'best-params.json')).lr).toBe(summary.best[0].params.lr);
  });

  it('runs a command objective, writes trials.csv, study.json and best-params.json, and resumes', async () => {
    const file = config('plain', '');
    const r = await hbx('tune', '--config', file, '--json');
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.counts).toEqual({ complete: 8, pruned: 0, fail: 0, running: 0, waiting: 0 });
    const out = join(root, 'plain');
    const csv = readFileSync(join(out, 'trials.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('number,state,value,param_lr,param_opt,param_x,last_step,duration_s');
    expect(csv).toHaveLength(9);
    const report = readFileSync(join(out, 'report.html'), 'utf8');
    expect(report.match(/<svg/g)).toHaveLength(3);
    const values = csv.slice(1).map((l) => Number(l.split(',')[2]));
    // Each value is what the script computes from the parameters in its row.
    for (const line of csv.slice(1)) {
      const [, , value, lr, opt, x, lastStep] = line.split(',');
      expect(Number(value)).toBeCloseTo((Number(x) - 0.3) ** 2 + Math.abs(Math.log10(Number(lr)) + 2) * 0.1 + (opt === 'adam' ? 0 : 0.05), 10);
      expect(lastStep).toBe('5');
    }
    expect(summary.best[0].values[0]).toBe(Math.min(...values));
    expect(JSON.parse(readFileSync(join(out, 'best-params.json'), 'utf8'))).toEqual(summary.best[0].params);
    const again = await hbx('tune', '--config', file);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`${file}: field 'study': 'plain' already exists`);
    // trials is the study's total: a resumed study that already has them runs none; a raised budget runs the rest.
    const done = await hbx('tune', '--config', file, '--resume', '--json');
    expect(done.code, done.stderr).toBe(0);
    expect(JSON.parse(done.stdout).counts.complete).toBe(8);
    writeFileSync(file, readFileSync(file, 'utf8').replace('trials: 8', 'trials: 12'));
    const resumed = await hbx('tune', '--config', file, '--resume', '--json');
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout).counts.complete).toBe(12);
    const status = JSON.parse((await hbx('tune', 'status', '--config', file, '--json')).stdout);
    expect(status.counts.complete).toBe(12);
    const best = JSON.parse((await hbx('tune', 'best', '--config', file, '--json')).stdout);
    expect(best.values[0]).toBeLessThanOrEqual(summary.best[0].values[0]);
  }, 60_000);

  it('ASHA prunes commands that fall behind (SIGTERM), and the pruned ones stop early', async () => {
    const file = config('asha', 'pruner: { type: asha, minResource: 1, reductionFactor: 2 }\n');
    const r = await hbx('tune', '--config', file, '--json');
    expect(r.code, r.stderr).toBe(0);
    const study = JSON.parse(readFileSync(join(root, 'asha', 'study.json'), 'utf8'));
    const pruned = study.trials.filter((t: { state: string }) => t.state === 'pruned');
    expect(pruned.length).toBeGreaterThan(2);
    for (const t of pruned) expect(Math.max(...Object.keys(t.intermediate).map(Number))).toBeLessThan(5);
  }, 60_000);
});

describe('hbx tune: bad input is one line, exit 2, naming the file and field', () => {
  const cases: [string, string, string][] = [
    ['unknown distribution', 'space:\n  x: { type: normal, low: 0, high: 1 }\n', "field 'space.x.type'"],
    ['low > high', 'space:\n  x: { type: float, low: 2, high: 1 }\n', "field 'space.x.low': expected low <= high"],
    ['log with low <= 0', 'space:\n  x: { type: float, low: 0, high: 1, log: true }\n', "field 'space.x.low': a log scale needs low > 0"],
    ['categorical without choices', 'space:\n  x: { type: categorical, choices: [] }\n', "field 'space.x.choices': expected at least one choice"],
  ];
  const base = (space: string, command = 'node -e "console.log(JSON.stringify({value: 1}))"', extra = '') =>
    `study: bad\nout: ${join(root, 'bad')}\ntrials: 2\n${space}objective:\n  command: ${JSON.stringify(command)}\n${extra}`;

  for (const [what, space, field] of cases) {
    it(what, async () => {
      const file = join(root, `${what.replace(/\W+/g, '-')}.yaml`);
      writeFileSync(file, base(space));
      const r = await hbx('tune', '--config', file);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(`${file}: ${field}`);
    });
  }

  it('a command that exits non-zero, or prints no result, names objective.command; finished trials are kept', async () => {
    const space = 'space:\n  x: { type: int, low: 0, high: 3 }\n';
    const failing = join(root, 'failing.yaml');
    writeFileSync(failing, base(space, 'node -e "console.error(\'out of memory\'); process.exit(3)"'));
    const r = await hbx('tune', '--config', failing);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`${failing}: field 'objective.command': trial 0:`);
    expect(r.stderr).toContain('exited with code 3 (last stderr line: out of memory)');
    const silent = join(root, 'silent.yaml');
    writeFileSync(silent, base(space, 'echo hello').replace('study: bad', 'study: silent'));
    const s = await hbx('tune', '--config', silent);
    expect(s.code).toBe(2);
    expect(s.stderr).toContain(`${silent}: field 'objective.command': trial 0: 'echo hello' printed no result line`);
    const study = JSON.parse(readFileSync(join(root, 'bad', 'study.json'), 'utf8'));
    expect(study.counts.fail).toBe(1);
  });

  it('a corrupt journal line is named with its line number, and the file keeps every good line', async () => {
    const file = config('corrupt', '');
    expect((await hbx('tune', '--config', file)).code).toBe(0);
    const journal = join(root, 'corrupt', 'journal.jsonl');
    appendFileSync(journal, 'garbage\n');
    const before = readFileSync(journal, 'utf8');
    const r = await hbx('tune', '--config', file, '--resume');
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`${journal}: line ${before.trim().split('\n').length}: expected one JSON operation`);
    expect(readFileSync(journal, 'utf8')).toBe(before);
  }, 60_000);

  it('an unreachable PostgreSQL URL is one line naming the storage', async () => {
    const file = join(root, 'pg.yaml');
    writeFileSync(file, base('space:\n  x: { type: int, low: 0, high: 3 }\n').replace('trials: 2', 'trials: 2\nstorage: postgresql://hbx:secret@127.0.0.1:1/none'));
    const r = await hbx('tune', '--config', file);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`${file}: field 'storage': storage 'postgresql://hbx:***@127.0.0.1:1/none': cannot reach PostgreSQL`);
  });
});
