import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SESSION, emptyTable, latencySpaceOf, NB201_SPACE, type EnasEpochReport, tablePath, writeTable, decodeModel, FASHION_MNIST_LABELS, formatNB201String, loadIdxPair, parseNB201String, runNas, subset, type Arch } from '../../index.js';
import { hbx } from '../helpers/cli.js';
import { useWasm } from '../helpers/setup.js';

useWasm();

const dir = mkdtempSync(join(tmpdir(), 'hbx-nas-'));
const TINY = { channels: 4, cellsPerStage: 1 };
const NORM = { mean: [0.286], std: [0.353] };

describe('runNas: differentiable search on nb201', () => {
  it.each(['darts', 'gdas'] as const)('%s: learns logits, derives a valid arch, exports its subnet; the same seed gives the same run', async (mutator) => {
    const fixture = 'test/fixtures/fashion-mnist';
    const all = loadIdxPair(join(fixture, 't10k-1000-images-idx3-ubyte.gz'), join(fixture, 't10k-1000-labels-idx1-ubyte.gz'), 'fixture', FASHION_MNIST_LABELS);
    const data = subset(all, Uint32Array.from({ length: 600 }, (_, i) => i));
    const run = () => runNas({ space: 'nb201', spaceOptions: TINY, mutator, data, ...NORM, config: { epochs: 1, batchSize: 50, seed: 3, archLr: 0.01 } });
    const r = await run();
    expect(r.images).toEqual({ train: 300, val: 300 });
    expect(r.epochs).toHaveLength(1);
    expect(Number.isFinite(r.epochs[0].trainLoss) && Number.isFinite(r.epochs[0].valLoss)).toBe(true);
    // A valid NB201 arch, in both forms.
    expect(parseNB201String(formatNB201String(r.arch))).toEqual(r.arch);
    expect(r.archForm.arch).toBe(formatNB201String(r.arch));
    for (const p of Object.values(r.probabilities)) expect(Object.values(p).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    // Six architecture steps at lr 0.01 moved the logits off their near-uniform start.
    const spread = Math.max(...Object.values(r.probabilities).flatMap((p) => Object.values(p).map((v) => Math.abs(v - 0.2))));
    expect(spread).toBeGreaterThan(0.005);
    // The derived arch is the most probable operation of every edge other than none (DARTS' rule).
    for (const [key, p] of Object.entries(r.probabilities)) expect(r.arch.choices[key]).toBe(Object.entries(p).filter(([name]) => name !== 'none').sort((a, b) => b[1] - a[1])[0][0]);
    expect(r.valTop1).toBeGreaterThanOrEqual(0);
    expect(r.valTop1).toBeLessThanOrEqual(1);
    expect(JSON.parse(decodeModel(r.onnx).metadataProps.find((m) => m.key === 'arch')!.value!)).toEqual(r.arch);
    const again = await run();
    expect(again.arch).toEqual(r.arch);
    expect(again.probabilities).toEqual(r.probabilities);
  });
});

describe('runNas --mutator darts, second order', () => {
  it('searches with the unrolled gradient: its logits move differently from first order, deterministically', async () => {
    const fixture = 'test/fixtures/fashion-mnist';
    const all = loadIdxPair(join(fixture, 't10k-1000-images-idx3-ubyte.gz'), join(fixture, 't10k-1000-labels-idx1-ubyte.gz'), 'fixture', FASHION_MNIST_LABELS);
    const data = subset(all, Uint32Array.from({ length: 200 }, (_, i) => i));
    const run = (order: 1 | 2) => runNas({ space: 'nb201', spaceOptions: TINY, mutator: 'darts', data, ...NORM, config: { epochs: 1, batchSize: 50, seed: 5, archLr: 0.05, order } });
    const [first, second] = [await run(1), await run(2)];
    const flat = (r: typeof first) => Object.values(r.probabilities).flatMap((p) => Object.values(p));
    const gap = Math.max(...flat(first).map((v, i) => Math.abs(v - flat(second)[i])));
    expect(gap).toBeGreaterThan(1e-4);
    expect((await run(2)).probabilities).toEqual(second.probabilities);
  });
});

describe('runNas --mutator enas: the LSTM controller', () => {
  it('alternates weights and REINFORCE, derives the greedy arch, exports it; the same seed gives the same run', async () => {
    const fixture = 'test/fixtures/fashion-mnist';
    const all = loadIdxPair(join(fixture, 't10k-1000-images-idx3-ubyte.gz'), join(fixture, 't10k-1000-labels-idx1-ubyte.gz'), 'fixture', FASHION_MNIST_LABELS);
    const data = subset(all, Uint32Array.from({ length: 600 }, (_, i) => i));
    const run = () => runNas({ space: 'nb201', spaceOptions: TINY, mutator: 'enas', data, ...NORM, config: { epochs: 1, batchSize: 50, seed: 5, archLr: 0.01 } });
    const r = await run();
    const epoch = r.epochs[0] as EnasEpochReport;
    expect(epoch.meanReward).toBeGreaterThanOrEqual(0);
    expect(epoch.meanReward).toBeLessThanOrEqual(1);
    expect(parseNB201String(formatNB201String(r.arch))).toEqual(r.arch);
    for (const p of Object.values(r.probabilities)) expect(Object.values(p).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    // The greedy arch takes the most probable action at every step.
    for (const [key, p] of Object.entries(r.probabilities)) expect(r.arch.choices[key]).toBe(Object.entries(p).sort((a, b) => b[1] - a[1])[0][0]);
    expect(JSON.parse(decodeModel(r.onnx).metadataProps.find((m) => m.key === 'arch')!.value!)).toEqual(r.arch);
    const again = await run();
    expect(again.arch).toEqual(r.arch);
    expect(again.probabilities).toEqual(r.probabilities);
  });
});

describe('hbx nas --mutator proxyless: hardware-aware', () => {
  it('with a heavy latency weight on a device where every operation costs time, the search drops them all (none)', async () => {
    // A made-up device: every block of the space's table at 0.1 ms.
    process.env.HBX_HOME = join(dir, 'home');
    const model = NB201_SPACE.create({ ...TINY, inputChannels: 1, numClasses: 10, resolution: 28 });
    const space = latencySpaceOf(model);
    const table = emptyTable('board', 'nb201', space.spaceOptions, space.resolutions, DEFAULT_SESSION);
    for (const g of space.blockGroups(space.resolutions)) for (const b of g.blocks) table.entries[b.key] = { ms: 0.1, p90Ms: 0.1, runs: 10 };
    table.calibration = { model: 'linear', slope: 1, intercept: 0, samples: 20, seed: 1 };
    writeTable(tablePath('board'), table);
    const out = join(dir, 'proxyless');
    const r = await hbx('nas', '--dataset', 'fashion-mnist', '--mutator', 'proxyless', '--allow-none', '--latency-weight', '50', '--device', 'board', '--arch-lr', '0.1', '--images', '200', '--epochs', '1', '--batch-size', '50', '--space-options', JSON.stringify(TINY), '--out', out, '--json');
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout) as { arch: Arch; predictedMs: number };
    expect(Object.values(summary.arch.choices)).toEqual(Array(6).fill('none'));
    // Stem, two reductions and head at 0.1 ms each, plus one Sub per cell (its nodes fed by nothing) per stage.
    expect(summary.predictedMs).toBeCloseTo(0.4 + 3 * 3 * 0.1, 6);
    const search = JSON.parse(readFileSync(join(out, 'search.json'), 'utf8')) as { latency: { device: string; weight: number } };
    expect(search.latency).toMatchObject({ device: 'board', weight: 50 });
  });

  it('a device without a latency table: exit 2, one line naming it', async () => {
    const r = await hbx('nas', '--dataset', 'fashion-mnist', '--mutator', 'proxyless', '--latency-weight', '1', '--device', 'nowhere', '--images', '100', '--epochs', '1', '--out', join(dir, 'bad2'));
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')).toHaveLength(2);
    expect(r.stderr).toMatch(/^hbx: .*nowhere/);
  });
});

describe('hbx nas', () => {
  it('writes the arch, the ONNX model and the report; hbx flops counts the arch file as the search did', async () => {
    const out = join(dir, 'gdas');
    const r = await hbx('nas', '--dataset', 'fashion-mnist', '--mutator', 'gdas', '--images', '200', '--epochs', '1', '--batch-size', '50', '--space-options', JSON.stringify(TINY), '--out', out, '--json');
    expect(r.stderr).toMatch(/epoch 1: loss [0-9.]+, arch loss [0-9.]+, derived arch val top-1 [0-9.]+%/);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout) as { arch: Arch; archForm: { arch: string }; macs: number; params: number };
    for (const f of ['arch.json', 'model.onnx', 'search.json', 'report.md']) expect(existsSync(join(out, f))).toBe(true);
    expect(JSON.parse(readFileSync(join(out, 'arch.json'), 'utf8'))).toEqual(summary.arch);
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toContain(summary.archForm.arch);
    const search = JSON.parse(readFileSync(join(out, 'search.json'), 'utf8')) as { spaceOptions: object; cost: { macs: number; params: number } };
    expect(search.spaceOptions).toEqual({ ...TINY, inputChannels: 1, numClasses: 10, resolution: 28 });
    expect(search.cost).toEqual({ macs: summary.macs, params: summary.params });
    const flops = await hbx('flops', '--space', 'nb201', '--space-options', JSON.stringify(search.spaceOptions), '--arch', join(out, 'arch.json'), '--json');
    expect(flops.code).toBe(0);
    expect(JSON.parse(flops.stdout)).toEqual(search.cost);
  });

  it.each([
    ['a space without operation choices', ['--space', 'ofa-mbv3'], /^hbx: mutator darts: the space 'ofa-mbv3' has no operation choices \(OperationSpace\) to weigh; use --mutator enas, or hbx search \(evolution\)\n$/],
    ['an unknown mutator', ['--mutator', 'evolution'], /^hbx: --mutator: expected one of darts, gdas, proxyless, enas, got 'evolution'\n$/],
    ['space options that are not JSON', ['--space-options', '{channels:8}'], /^hbx: --space-options: not valid JSON: \{channels:8\}\n$/],
    ['a bad space option', ['--space-options', '{"channels":-8}'], /^hbx: --space-options: field 'options\.channels': .*\n$/],
    ['--second-order with a sampling mutator', ['--mutator', 'gdas', '--second-order'], /^hbx: --second-order: only with --mutator darts \(DARTS' unrolled gradient\), not gdas\n$/],
  ])('%s: exit 2 and one line', async (_, args, message) => {
    const r = await hbx('nas', '--dataset', 'fashion-mnist', '--images', '100', '--epochs', '1', '--out', join(dir, 'bad'), ...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(existsSync(join(dir, 'bad'))).toBe(false);
  });

  it.each([
    ['an unknown operation', '|conv_5x5~0|+|none~0|none~1|+|none~0|none~1|none~2|', /field 'arch': unknown operation 'conv_5x5'/],
    ['the wrong number of edges', '|none~0|+|none~0|+|none~0|none~1|none~2|', /field 'arch': node 2 has 1 edge\(s\), not 2/],
  ])('an NB201 arch string with %s: exit 2, one line naming the file', async (_, text, message) => {
    const path = join(dir, 'bad-arch.json');
    writeFileSync(path, JSON.stringify(text));
    const r = await hbx('flops', '--space', 'nb201', '--arch', path);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')).toHaveLength(2);
    expect(r.stderr).toMatch(new RegExp(`^hbx: ${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: ${message.source}`));
  });
});
