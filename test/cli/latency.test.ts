import { existsSync, mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_SESSION,
  exportOnnx,
  LatencyPredictor,
  ofaLatency,
  latencySpaceOf,
  OFAMobileNetV3,
  ofaToArch,
  openPredictor,
  openSearchSupernet,
  RandomMutator,
  readTable,
  resolveOFAOptions,
  variantTablePath,
  type LatencyTable,
} from '../../index.js';
import { hbx } from '../helpers/cli.js';
import { useWasm } from '../helpers/setup.js';

useWasm();

const home = mkdtempSync(join(tmpdir(), 'hbx-home-'));
const latencyDir = join(home, 'latency');
const file = (name: string, content: unknown) => {
  const p = join(home, name);
  writeFileSync(p, typeof content === 'string' || content instanceof Uint8Array ? content : JSON.stringify(content));
  return p;
};
let saved: string | undefined;

/** A complete table with made-up entries (prediction needs no timing). */
function fakeTable(device: string, overrides: Partial<LatencyTable> = {}, widthMult = 1): LatencyTable {
  const o = resolveOFAOptions({ resolutions: [128, 224], widthMult });
  // The space's block list alone (no supernet: tables are made at collection time, before a backend).
  const { resolutions: _, ...spaceOptions } = o;
  const entries: LatencyTable['entries'] = {};
  for (const g of ofaLatency(o).blockGroups(o.resolutions)) for (const b of g.blocks) entries[b.key] = { ms: 0.1, p90Ms: 0.1, runs: 10 };
  return {
    device,
    space: 'ofa-mbv3',
    spaceOptions,
    resolutions: o.resolutions,
    runtime: { name: 'onnxruntime-node', version: '1.30.0', provider: 'cpu', threads: 1, interOpThreads: 1, graphOptimizationLevel: 'all' },
    host: {},
    createdAt: new Date(0).toISOString(),
    entries,
    calibration: { model: 'linear', slope: 0.5, intercept: 1, samples: 20, seed: 1 },
    ...overrides,
  };
}

beforeAll(() => {
  saved = process.env.HBX_HOME;
  process.env.HBX_HOME = home;
  mkdirSync(latencyDir, { recursive: true });
});
afterAll(() => {
  if (saved === undefined) delete process.env.HBX_HOME;
  else process.env.HBX_HOME = saved;
});

const ofa = (ks: number, e: number, d: number, r: number) => ({ ks: Array(20).fill(ks), e: Array(20).fill(e), d: Array(5).fill(d), r });

describe('one device, tables for several space configurations', () => {
  it('a table for other options sits beside the first as <device>.<hash>.json and is found there', async () => {
    writeFileSync(join(latencyDir, 'board.json'), JSON.stringify(fakeTable('board')));
    const space = latencySpaceOf(new OFAMobileNetV3(resolveOFAOptions({ resolutions: [128, 224], widthMult: 0.75 })));
    const want = { space: 'ofa-mbv3', spaceOptions: space.spaceOptions, settings: DEFAULT_SESSION };
    await expect(openPredictor({ device: 'board', space, settings: DEFAULT_SESSION })).rejects.toThrow(/board\.json: field 'spaceOptions'/);
    const variant = variantTablePath('board', want);
    expect(variant).toMatch(/board\.[0-9a-f]{10}\.json$/);
    writeFileSync(variant, JSON.stringify(fakeTable('board', {}, 0.75)));
    const predictor = await openPredictor({ device: 'board', space, settings: DEFAULT_SESSION });
    expect(predictor.path).toBe(variant);
    expect(predictor.table.spaceOptions).toEqual(space.spaceOptions);
    expect((await openPredictor({ device: 'board', space: latencySpaceOf(new OFAMobileNetV3(resolveOFAOptions({ resolutions: [128, 224] }))), settings: DEFAULT_SESSION })).path).toBe(join(latencyDir, 'board.json'));
  });
});

describe('hbx latency profile next to a table for another space', () => {
  it('writes <device>.<hash>.json beside it and leaves the first table as it was', async () => {
    const first = join(latencyDir, 'lab.json');
    writeFileSync(first, JSON.stringify(fakeTable('lab')));
    const before = readFileSync(first, 'utf8');
    const r = await hbx('latency', 'profile', '--device', 'lab', '--supernet', 'supernets/fashion-mnist', '--resolutions', '24', '--runs', '5', '--json');
    expect(r.code, r.stderr).toBe(0);
    const space = latencySpaceOf(openSearchSupernet('supernets/fashion-mnist'));
    const variant = variantTablePath('lab', { space: space.space, spaceOptions: space.spaceOptions, settings: DEFAULT_SESSION });
    expect(JSON.parse(r.stdout).path).toBe(variant);
    expect(readFileSync(first, 'utf8')).toBe(before);
    expect(readTable(variant).spaceOptions).toEqual(space.spaceOptions);
  }, 120_000);
});

describe('hbx latency predict and list', () => {
  it('predicts from a device table: calibration applied to the block sum', async () => {
    writeFileSync(join(latencyDir, 'jetson.json'), JSON.stringify(fakeTable('jetson')));
    const r = await hbx('latency', 'predict', '--device', 'jetson', '--arch', file('small.json', ofa(3, 3, 2, 128)), '--json');
    expect(r.code).toBe(0);
    // stem + first block + 10 stage blocks + head = 13 entries of 0.1 ms -> 0.5 * 1.3 + 1
    expect(JSON.parse(r.stdout).ms).toBeCloseTo(1.65, 9);
    const smallest = await hbx('latency', 'predict', '--device', 'jetson', '--arch', 'smallest', '--json');
    expect(JSON.parse(smallest.stdout).ms).toBeCloseTo(1.65, 9);
    // stem + first block + 20 stage blocks + head = 23 entries
    const largest = await hbx('latency', 'predict', '--device', 'jetson', '--arch', 'largest', '--json');
    expect(JSON.parse(largest.stdout).ms).toBeCloseTo(2.15, 9);
    const list = await hbx('latency', 'list', '--json');
    expect(JSON.parse(list.stdout).find((t: { device: string }) => t.device === 'jetson')).toMatchObject({ space: 'ofa-mbv3', calibrated: true, resolutions: [128, 224] });
  });

  it.each([
    ['no table', 'phone', null, /^hbx: device 'phone': no latency table at .*phone\.json; profile it on the device with 'hbx latency profile --device phone', or run 'hbx latency bundle/],
    ['not JSON', 'broken', '{"device": "broken", "entr', /^hbx: .*broken\.json: not valid JSON/],
    ['truncated fields', 'cut', { device: 'cut', space: 'ofa-mbv3' }, /^hbx: .*cut\.json: field 'spaceOptions':/],
    ['another space', 'other', { ...fakeTable('other'), space: 'mbconv-stack' }, /^hbx: .*other\.json: field 'space': table is for 'mbconv-stack', expected 'ofa-mbv3'/],
    ['other settings', 'threads', { ...fakeTable('threads'), runtime: { ...fakeTable('x').runtime, threads: 4 } }, /^hbx: .*threads\.json: field 'runtime\.threads': table was profiled with 4, this run uses 1/],
    ['missing entry', 'holes', (() => { const t = fakeTable('holes'); delete t.entries[Object.keys(t.entries)[5]]; return t; })(), /^hbx: latency table of 'holes' lacks entry/],
    ['resolution not profiled', 'jetson', undefined, /^hbx: resolution 176 is not in the latency table of 'jetson' \(profiled: 128, 224\)/],
  ])('%s: exit 2, one line', async (_, device, table, message) => {
    if (table) writeFileSync(join(latencyDir, `${device}.json`), typeof table === 'string' ? table : JSON.stringify(table));
    const r = await hbx('latency', 'predict', '--device', device, '--arch', file(`a_${device}.json`, ofa(3, 3, 2, table === undefined ? 176 : 128)));
    expect(r.code).toBe(2);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });
});

describe('hbx latency predict --arch with an array of archs', () => {
  const generic = (ks: number, e: number, d: number, r: number) => {
    const net = new OFAMobileNetV3(resolveOFAOptions({ resolutions: [128, 224] }));
    const m = new RandomMutator(net);
    m.sampleByMask(ofaToArch(ofa(ks, e, d, r)));
    return m.export();
  };

  it('prints an array of {"ms"} in the order given, each what the single-arch call predicts, forms mixed', async () => {
    writeFileSync(join(latencyDir, 'array.json'), JSON.stringify(fakeTable('array')));
    const archs = [ofa(3, 3, 2, 128), ofa(7, 6, 4, 224), generic(5, 4, 3, 128), ofa(3, 3, 2, 224)];
    const r = await hbx('latency', 'predict', '--device', 'array', '--arch', file('archs.json', archs));
    expect(r.code, r.stderr).toBe(0);
    const got = JSON.parse(r.stdout) as { ms: number }[];
    expect(got).toHaveLength(4);
    for (const [i, arch] of archs.entries()) {
      const one = await hbx('latency', 'predict', '--device', 'array', '--arch', file(`one_${i}.json`, arch), '--json');
      expect(got[i].ms).toBe(JSON.parse(one.stdout).ms);
    }
    // every block costs 0.1 ms in this table: the first arch has 13 blocks (depth 2), the second 23 (depth 4)
    expect(got[0].ms).toBeCloseTo(0.5 * 1.3 + 1, 9);
    expect(got[1].ms).toBeGreaterThan(got[0].ms);
  });

  it('two thousand archs in one process', async () => {
    const archs = Array.from({ length: 2000 }, (_, i) => ofa([3, 5, 7][i % 3], [3, 4, 6][(i >> 2) % 3], 2 + (i % 3), i % 2 ? 128 : 224));
    const r = await hbx('latency', 'predict', '--device', 'array', '--arch', file('many.json', archs));
    expect(r.code, r.stderr).toBe(0);
    const got = JSON.parse(r.stdout) as { ms: number }[];
    expect(got).toHaveLength(2000);
    // every block costs 0.1 ms in this table: stem, first block, 5 stages of depth d, head; calibration 0.5x + 1
    got.forEach((g, i) => expect(g.ms).toBeCloseTo(0.5 * 0.1 * (3 + 5 * archs[i].d[0]) + 1, 9));
  }, 60_000);

  it.each([
    ['an element outside the space', 'bad1.json', [ofa(3, 3, 2, 128), ofa(3, 3, 2, 128), { ...ofa(3, 3, 2, 128), ks: Array(20).fill(9) }], /^hbx: .*bad1\.json: field '\[2\]\.ks\[0\]': 9 is not one of 3, 5, 7$/m],
    ['an element that is not an object', 'bad2.json', [ofa(3, 3, 2, 128), 'largest'], /^hbx: .*bad2\.json: field '\[1\]': expected a JSON object/],
    ['a generic element of another space', 'bad3.json', [ofa(3, 3, 2, 128), { space: 'nb201', choices: {} }], /^hbx: .*bad3\.json: field '\[1\]\.space': expected 'ofa-mbv3', got 'nb201'/],
    ['an empty array', 'bad4.json', [], /^hbx: .*bad4\.json: expected an arch or a non-empty array of archs, got an empty array/],
  ])('%s: exit 2, one line naming the file and the element', async (_, name, archs, message) => {
    const r = await hbx('latency', 'predict', '--device', 'array', '--arch', file(name, archs));
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });
});

describe('hbx latency adapt: a device from a base table and a few timings', () => {
  /** A base table whose blocks cost different amounts, so block sums differ between archs. */
  const variedTable = (device: string) => {
    const t = fakeTable(device);
    Object.keys(t.entries).forEach((key, i) => (t.entries[key] = { ms: 0.05 + (i % 7) * 0.02, p90Ms: 0.2, runs: 10 }));
    return t;
  };
  const baseSum = (table: LatencyTable, o: ReturnType<typeof ofa>) => new LatencyPredictor(table, latencySpaceOf(new OFAMobileNetV3(resolveOFAOptions({ resolutions: [128, 224] })))).blockSum(ofaToArch(o));
  const shapes = [ofa(3, 3, 2, 128), ofa(7, 6, 4, 224), ofa(5, 4, 3, 128), ofa(3, 6, 4, 224), ofa(7, 3, 2, 224)];

  it('fits the timings, writes the device, and predicts held-out archs from it; predict and list say it is adapted', async () => {
    const base = variedTable('labbase');
    writeFileSync(join(latencyDir, 'labbase.json'), JSON.stringify(base));
    // a target exactly twice as slow per block, plus 0.5 ms per run
    const timings = shapes.map((arch) => ({ arch, ms: 2 * baseSum(base, arch) + 0.5 }));
    const r = await hbx('latency', 'adapt', '--device', 'target', '--from', 'labbase', '--timings', file('timings.json', timings), '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ device: 'target', from: 'labbase', timings: 5, path: join(latencyDir, 'target.json') });
    expect(out.calibration.slope).toBeCloseTo(2, 9);
    expect(out.calibration.intercept).toBeCloseTo(0.5, 9);
    expect(out.fit.mape).toBeLessThan(1e-9);
    const table = readTable(join(latencyDir, 'target.json'));
    expect(table.adapted).toEqual({ from: 'labbase', timings: 5 });
    expect(table.entries).toEqual(base.entries);
    const heldOut = ofa(5, 6, 3, 224);
    const p = await hbx('latency', 'predict', '--device', 'target', '--arch', file('held.json', heldOut));
    expect(p.stdout).toMatch(/^(\d+\.\d{3}) ms on target \(adapted from 'labbase' with 5 timings\)\n$/);
    expect(Number(p.stdout.split(' ')[0])).toBeCloseTo(2 * baseSum(base, heldOut) + 0.5, 3);
    const list = JSON.parse((await hbx('latency', 'list', '--json')).stdout) as { device: string; adapted?: object }[];
    expect(list.find((t) => t.device === 'target')?.adapted).toEqual({ from: 'labbase', timings: 5 });
  });

  it('validate --timings checks an adapted device against held-out timings taken on it', async () => {
    const base = readTable(join(latencyDir, 'labbase.json'));
    const heldOut = [ofa(5, 6, 3, 224), ofa(3, 4, 4, 128), ofa(7, 4, 2, 128), ofa(5, 3, 4, 224)];
    // the target's true latency: the fitted line, and one held-out arch 20% slower than it
    const timings = heldOut.map((arch, i) => ({ arch, ms: (2 * baseSum(base, arch) + 0.5) * (i === 3 ? 1.2 : 1) }));
    const r = await hbx('latency', 'validate', '--device', 'target', '--timings', file('held_timings.json', timings), '--json');
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.samples).toBe(4);
    expect(report.within10).toBe(0.75);
    expect(report.mape).toBeCloseTo(0.2 / 1.2 / 4, 6);
    const human = await hbx('latency', 'validate', '--device', 'target', '--timings', file('held_timings.json', timings));
    expect(human.stdout).toMatch(/^4 subnets: 75\.0% within \+-5%, 75\.0% within \+-10%, .*\('target' adapted from 'labbase' with 5 timings\)\n$/);
    const both = await hbx('latency', 'validate', '--device', 'target', '--timings', file('held_timings.json', timings), '--samples', '3');
    expect(both.code).toBe(2);
    expect(both.stderr).toBe('hbx: give --samples N (time subnets here) or --timings FILE (timings taken on the device), not both\n');
  });

  const good = () => shapes.slice(0, 4).map((arch, i) => ({ arch, ms: 1 + i }));
  it.each([
    ['an arch outside the space', 't1.json', 'labbase', [...good(), { arch: { ...ofa(3, 3, 2, 128), e: Array(20).fill(5) }, ms: 2 }], /^hbx: .*t1\.json: field '\[4\]\.arch\.e\[0\]': 5 is not one of 3, 4, 6$/m],
    ['a negative ms', 't2.json', 'labbase', [...good().slice(0, 2), { arch: shapes[2], ms: -1 }], /^hbx: .*t2\.json: field '\[2\]\.ms': expected a positive number of milliseconds/],
    ['a missing ms', 't3.json', 'labbase', [...good().slice(0, 3), { arch: shapes[3] }], /^hbx: .*t3\.json: field '\[3\]\.ms': expected a number of milliseconds/],
    ['fewer than 3 timings', 't4.json', 'labbase', good().slice(0, 2), /^hbx: .*t4\.json: expected at least 3 timings, got 2$/m],
    ['an element that is not an object', 't5.json', 'labbase', [...good(), 7], /^hbx: .*t5\.json: field '\[4\]': expected an object \{ "arch", "ms" \}/],
    ['a base device that does not exist', 't6.json', 'nosuchbase', good(), /^hbx: device 'nosuchbase': no latency table at .*nosuchbase\.json/],
    ['the base device itself as the new one', 't7.json', 'target2', good(), /^hbx: --device: 'target2' is the base device itself/],
  ])('%s: exit 2, one line, nothing written', async (_, name, from, timings, message) => {
    const r = await hbx('latency', 'adapt', '--device', 'target2', '--from', from, '--timings', file(name, timings));
    expect(r.code).toBe(2);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
    expect(existsSync(join(latencyDir, 'target2.json'))).toBe(false);
  });
});

describe('hbx latency measure', () => {
  it('times an ONNX model by the protocol: the median of three passes\' 10th percentiles, how far the passes agreed, all runs\' median and p90', async () => {
    const net = new OFAMobileNetV3({ widthMult: 0.5, numClasses: 10, stemStride: 1, resolutions: [32] });
    new RandomMutator(net, { seed: 1 }).reset();
    const model = join(home, 'm.onnx');
    writeFileSync(model, exportOnnx(net, { batch: 1 }));
    const r = await hbx('latency', 'measure', model, '--runs', '20', '--json');
    expect(r.code).toBe(0);
    const t = JSON.parse(r.stdout);
    // 20 runs asked for: at least 7 per pass, more for a model this small (each pass at least 20 ms).
    expect(t.runs).toBeGreaterThanOrEqual(21);
    expect(t.runs % t.passes).toBe(0);
    expect(t.passes).toBeGreaterThanOrEqual(3);
    expect(t.spread).toBeGreaterThanOrEqual(0);
    expect(t.ms).toBeGreaterThan(0);
    expect(t.ms).toBeLessThanOrEqual(t.p90Ms);
    expect(t.p90Ms).toBeGreaterThanOrEqual(t.medianMs);
  });

  it('a file that is not ONNX, or a truncated one: exit 2, one line', async () => {
    const notOnnx = file('notes.onnx', 'this is not a model');
    const r = await hbx('latency', 'measure', notOnnx);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^hbx: ${notOnnx}: not a loadable ONNX model \\(.*\\)\\n$`));
    const net = new OFAMobileNetV3({ widthMult: 0.5, numClasses: 10, stemStride: 1, resolutions: [32] });
    const bytes = exportOnnx(net);
    const cut = file('cut.onnx', Buffer.from(bytes.slice(0, bytes.length / 2)));
    const t = await hbx('latency', 'measure', cut);
    expect(t.code).toBe(2);
    expect(t.stderr.trimEnd().split('\n')).toHaveLength(1);
    const missing = await hbx('latency', 'measure', join(home, 'nope.onnx'));
    expect(missing.stderr).toBe(`hbx: ${join(home, 'nope.onnx')}: no such file\n`);
  });
});
