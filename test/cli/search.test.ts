import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  dominates,
  initBackend,
  LatencyPredictor,
  minimumCost,
  ofaSkippedKeys,
  openModel,
  searchSpaceOf,
  openSearchSupernet,
  readArchFor,
  readTable,
  Rng,
  SearchProblem,
  latencySpaceOf,
  OFAMobileNetV3,
} from '../../index.js';
import { hbx } from '../helpers/cli.js';
import { checkOnnxFiles, pythonWithOnnx } from '../helpers/onnx_checker.js';
import { searchFixture } from '../helpers/search_fixture.js';

await initBackend('wasm');

const { root, supernet } = searchFixture();
// --jobs 1: the predictor samples are evaluated in this process (test/search/accuracy.test.ts covers several).
const quick = ['--supernet', supernet, '--population', '20', '--generations', '15', '--predictor-samples', '8', '--finalists', '3', '--jobs', '1'];
let range = { min: 0, max: 0 };

beforeAll(async () => {
  // A quick table for this space (the search would profile one itself, with more runs).
  const r = await hbx('latency', 'profile', '--device', 'local', '--supernet', supernet, '--runs', '10', '--calibration-seconds', '0');
  expect(r.code, r.stderr).toBe(0);
  const sn = openSearchSupernet(supernet) as OFAMobileNetV3;
  const latencySpace = latencySpaceOf(new OFAMobileNetV3(sn.options));
  const table = readTable(join(process.env.HBX_HOME!, 'latency', 'local.json'));
  const predictor = new LatencyPredictor(table, latencySpace);
  const space = searchSpaceOf(sn);
  const problem = new SearchProblem(space, { name: 'none', estimate: (gs) => gs.map(() => 0) }, (g) => ({ latencyMs: predictor.predict(space.toArch(g)) }));
  range = { min: minimumCost(problem, 'latencyMs', new Rng(0)).value, max: predictor.predict(space.toArch(space.largest())) };
}, 120_000);

// High in the range: a busy machine measures slower than the quick table predicts, and the search must still find room.
const budget = () => `${(range.min + 0.85 * (range.max - range.min)).toFixed(4)}ms`;

describe('hbx search end to end (shipped supernet, fixture images, local device)', () => {
  const out = join(root, 'out');
  let result: { arch: { space: string; choices: Record<string, number> }; accuracy: number; predictedMs: number; measuredMs: number; macs: number; params: number; latencyBudgetMs: number; out: string };

  it('finds a subnet within the budget and writes every output', async () => {
    const r = await hbx('search', ...quick, '--latency', budget(), '--out', out, '--json');
    expect(r.code, r.stderr).toBe(0);
    result = JSON.parse(r.stdout);
    expect(Object.keys(result).sort()).toEqual(['accuracy', 'arch', 'latencyBudgetMs', 'macs', 'measuredMs', 'out', 'params', 'predictedMs']);
    expect(result.latencyBudgetMs).toBe(parseFloat(budget()));
    expect(result.measuredMs).toBeLessThanOrEqual(parseFloat(budget()));
    expect(result.accuracy).toBeGreaterThan(0.5);
    expect(result.macs).toBeGreaterThan(1e5);
    for (const f of ['arch.json', 'subnet.onnx', 'pareto.csv', 'pareto.json', 'pareto.svg', 'pareto.png', 'report.html']) expect(existsSync(join(out, f)), f).toBe(true);
  }, 240_000);

  it('arch.json is the answer and loads against the supernet; subnet.onnx is valid ONNX with the preprocessing metadata', async () => {
    const arch = readArchFor(join(out, 'arch.json'), openSearchSupernet(supernet));
    expect(arch).toEqual(result.arch);
    const python = await pythonWithOnnx();
    if (python) expect(await checkOnnxFiles(python, [join(out, 'subnet.onnx')])).toEqual([`ok ${join(out, 'subnet.onnx')}`]);
    const model = await openModel(join(out, 'subnet.onnx'));
    expect(model.info.metadata.space).toBe('ofa-mbv3');
    expect(model.info.mean).toEqual([0.286]);
    expect(model.info.labels).toHaveLength(10);
    // The static subnet holds no skipped blocks, so its metadata names the active choices only.
    const skipped = new Set(ofaSkippedKeys((k) => result.arch.choices[k], (openSearchSupernet(supernet) as OFAMobileNetV3).options));
    const active = Object.fromEntries(Object.entries(result.arch.choices).filter(([k]) => !skipped.has(k)));
    expect(JSON.parse(model.info.metadata.arch)).toEqual({ space: 'ofa-mbv3', choices: active });
    await model.session.release();
  });

  it('pareto.json/csv: mutually non-dominated rows sorted by latency, the chosen measured; svg, png and a self-contained report', () => {
    const rows: { predictedAccuracy: number; predictedMs: number; measuredMs?: number; macs: number }[] = JSON.parse(readFileSync(join(out, 'pareto.json'), 'utf8'));
    expect(rows.length).toBeGreaterThan(2);
    const points = rows.map((r) => [-r.predictedAccuracy, r.predictedMs]);
    points.forEach((p, i) => points.forEach((q) => expect(dominates(q, p), `row ${i}`).toBe(false)));
    rows.slice(1).forEach((r, i) => expect(r.predictedMs).toBeGreaterThanOrEqual(rows[i].predictedMs));
    for (const r of rows) expect(r.predictedMs).toBeLessThanOrEqual(parseFloat(budget()));
    const csv = readFileSync(join(out, 'pareto.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('ks,e,d,r,predicted_accuracy,accuracy,predicted_ms,measured_ms,macs,params');
    expect(csv).toHaveLength(rows.length + 1);
    expect(readFileSync(join(out, 'pareto.svg'), 'utf8')).toMatch(/^<svg[^>]*>/);
    expect([...readFileSync(join(out, 'pareto.png')).subarray(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    for (const text of ['<svg', 'Finalists', 'seed', 'latency table', 'Spearman', `${result.measuredMs.toFixed(3)} ms`]) expect(html).toContain(text);
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=/);
  });

  it('same seed, same answer (the accuracy predictor now comes from the cache)', async () => {
    // A MACs budget: no measurement noise in the choice.
    const run = async (dir: string) => {
      const r = await hbx('search', ...quick, '--macs', String(Math.round(result.macs * 1.1)), '--out', join(root, dir), '--json');
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout).arch;
    };
    expect(await run('again1')).toEqual(await run('again2'));
    const alone = await hbx('search', ...quick, '--macs', String(Math.round(result.macs * 1.1)), '--no-known', '--out', join(root, 'alone'), '--json');
    expect(alone.code, alone.stderr).toBe(0);
    expect(readFileSync(join(root, 'alone', 'report.html'), 'utf8')).toContain('not used (--no-known)');
    expect(JSON.parse(readFileSync(join(supernet, 'accuracy', 'predictor.json'), 'utf8')).samples).toBe(Number(quick[quick.indexOf('--predictor-samples') + 1]));
  }, 240_000);

  it('random and NSGA-II strategies, MACs constraint, direct accuracy', async () => {
    const macs = Math.round(result.macs * 1.2);
    const r1 = await hbx('search', ...quick, '--strategy', 'nsga2', '--objectives', 'latency,macs', '--macs', String(macs), '--out', join(root, 'nsga2'), '--json');
    expect(r1.code, r1.stderr).toBe(0);
    expect(JSON.parse(r1.stdout).macs).toBeLessThanOrEqual(macs);
    const r2 = await hbx('search', '--supernet', supernet, '--strategy', 'random', '--samples', '6', '--accuracy', 'direct', '--finalists', '2', '--latency', '90%', '--out', join(root, 'random'), '--json');
    expect(r2.code, r2.stderr).toBe(0);
    // On local a share resolves against the largest subnet measured end to end, not its prediction.
    const [, largest, resolved] = /latency budget: 90% of the largest subnet's measured latency, (\d+\.\d+) ms -> (\d+\.\d+) ms/.exec(r2.stderr)!;
    const [largestMs, resolvedMs] = [Number(largest), Number(resolved)];
    expect(resolvedMs).toBeCloseTo(0.9 * largestMs, 2);
    const answer = JSON.parse(r2.stdout);
    expect(answer.latencyBudgetMs).toBeCloseTo(resolvedMs, 2);
    expect(answer.measuredMs).toBeLessThanOrEqual(answer.latencyBudgetMs);
    expect(readFileSync(join(root, 'random', 'report.html'), 'utf8')).toContain(`(90% of the largest subnet's measured latency, ${largest} ms)`);
  }, 240_000);
});

describe('hbx search on an adapted device', () => {
  it('searches against the adapted table, and the answer and the report say what it was adapted from', async () => {
    const sn = openSearchSupernet(supernet) as OFAMobileNetV3;
    const local = new LatencyPredictor(readTable(join(process.env.HBX_HOME!, 'latency', 'local.json')), latencySpaceOf(new OFAMobileNetV3(sn.options)));
    const space = searchSpaceOf(sn);
    const rng = new Rng(5);
    const archs = [space.toArch(space.largest()), ...Array.from({ length: 4 }, () => space.toArch(space.sample(rng)))];
    // A board three times slower than this machine's block sums, plus 0.2 ms per run.
    const timings = archs.map((arch) => ({ arch, ms: 3 * local.blockSum(arch) + 0.2 }));
    const timingsFile = join(root, 'board_timings.json');
    writeFileSync(timingsFile, JSON.stringify(timings));
    const a = await hbx('latency', 'adapt', '--device', 'board3x', '--from', 'local', '--supernet', supernet, '--timings', timingsFile);
    expect(a.code, a.stderr).toBe(0);
    const sums = new SearchProblem(space, { name: 'none', estimate: (gs) => gs.map(() => 0) }, (g) => ({ latencyMs: local.blockSum(space.toArch(g)) }));
    const [minSum, maxSum] = [minimumCost(sums, 'latencyMs', new Rng(0)).value, local.blockSum(archs[0])];
    const budgetMs = 3 * (minSum + 0.6 * (maxSum - minSum)) + 0.2;
    const out = join(root, 'adapted');
    const r = await hbx('search', ...quick, '--device', 'board3x', '--latency', `${budgetMs.toFixed(4)}ms`, '--out', out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/ms predicted on board3x \(adapted from 'local' with 5 timings\)/);
    const chosen = readArchFor(join(out, 'arch.json'), sn);
    expect(3 * local.blockSum(chosen) + 0.2).toBeLessThanOrEqual(budgetMs + 1e-6);
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('board3x (adapted from local with 5 end-to-end timings)');
  }, 240_000);
});

describe('hbx search: bad input is one line, exit 2, nothing written', () => {
  const out = join(root, 'kept');
  beforeAll(() => {
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'arch.json'), 'earlier result');
  });

  const expectRefused = async (args: string[], message: RegExp) => {
    const r = await hbx('search', '--supernet', supernet, '--out', out, ...args);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
    expect(readFileSync(join(out, 'arch.json'), 'utf8')).toBe('earlier result');
  };

  it('malformed units', async () => {
    await expectRefused(['--latency', '20 ms'], /--latency: expected a positive duration with a unit and no space \(20ms, 0\.02s, 1500us\) or a share of the largest subnet's latency \(80%\), got '20 ms'/);
    await expectRefused(['--latency', 'fast'], /--latency: .* got 'fast'/);
    await expectRefused(['--macs', 'lots'], /--macs: expected a positive count/);
  });

  it('an unsatisfiable budget names the smallest predicted latency on the device', async () => {
    const below = `${Math.round(range.min * 500)}us`; // half the smallest predicted latency
    await expectRefused(['--latency', below], new RegExp(`--latency: [\\d.]+ms is unsatisfiable on local: the smallest predicted latency the space reaches there is ${range.min.toFixed(3)} ms`));
    await expectRefused(['--params', '1K'], /--params: 1\.0K is unsatisfiable: the smallest subnet has [\d.]+[KM] parameters/);
  });

  it('an unknown device says how to profile it', async () => {
    await expectRefused(['--latency', '1ms', '--device', 'jetson'], /jetson.*hbx latency profile --device jetson/);
  });

  it('--space that does not match the supernet', async () => {
    await expectRefused(['--latency', '1ms', '--space', 'mbconv-stack'], /--space: 'mbconv-stack' does not match the supernet's space 'ofa-mbv3'/);
  });
});
