import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SESSION,
  importResults,
  initBackend,
  LatencyPredictor,
  MAX_OTHER_CORES,
  MAX_TABLE_SPREAD,
  noisyTableReason,
  openPredictor,
  profileDevice,
  readTable,
  resolveOFAOptions,
  sampleArchs,
  spearman,
  spreadArchs,
  spreadArchsByMacs,
  spaceOf,
  type Arch,
  staleReason,
  validatePredictor,
  writeBundle,
  writeTable,
  type LatencyTable,
  latencySpaceOf,
  OFAMobileNetV3,
} from '../../index.js';
import { runChild } from '../helpers/child.js';

await initBackend('wasm');

/** A small OFA configuration (half width, 10 classes, small images) so profiles take seconds. */
const options = resolveOFAOptions({ widthMult: 0.5, numClasses: 10, stemStride: 1, resolutions: [24, 32] });
const space = latencySpaceOf(new OFAMobileNetV3(options));
const settings = DEFAULT_SESSION;
const dir = mkdtempSync(join(tmpdir(), 'hbx-latency-'));

describe('profileDevice', () => {
  it('writes every distinct block and a calibration; resumes an interrupted profile without losing entries', async () => {
    const path = join(dir, 'dev.json');
    const total = space.blockGroups(options.resolutions).reduce((n, g) => n + g.blocks.length, 0);
    // Interrupt after the first resolution group has been written.
    await expect(
      profileDevice({
        device: 'dev', space, settings, path, runs: 5, calibrationSamples: 4, calibrationSeconds: 0, timing: { minPassMs: 0 },
        onProgress: (phase, done) => {
          if (phase === 'blocks' && done > 0) throw new Error('interrupted');
        },
      }),
    ).rejects.toThrow('interrupted');
    const partial = readTable(path);
    const firstGroup = space.blockGroups(options.resolutions)[0].blocks.map((b) => b.key);
    expect(Object.keys(partial.entries).sort()).toEqual([...firstGroup].sort());
    expect(partial.calibration).toBeUndefined();

    const table = await profileDevice({ device: 'dev', space, settings, path, runs: 5, calibrationSamples: 4, calibrationSeconds: 0, timing: { minPassMs: 0 }, resume: true });
    expect(Object.keys(table.entries)).toHaveLength(total);
    // The first group's timings are kept: scaled by the reference, or raw where those fit the calibration better.
    const kept = table.timing!.scaling!.kept;
    expect(kept ? table.referenceMs : undefined).toBe(kept ? partial.referenceMs : undefined);
    for (const key of firstGroup) expect(table.entries[key].ms).toBe(kept ? partial.entries[key].ms : partial.entries[key].rawMs);
    expect(Object.values(table.entries).every((e) => e.rawMs === undefined)).toBe(true);
    expect(table.calibration).toMatchObject({ model: 'linear', samples: 4, seed: 1 });
    // A fitted slope within the accepted range (sub-ms blocks: about 0.2-1 seen), or the offset-only fallback's 1.
    expect(table.calibration!.slope).toBeGreaterThan(0.1);
    expect(table.calibration!.slope).toBeLessThan(4);
    expect(readTable(path)).toEqual(table);
    const predictor = new LatencyPredictor(table, space);
    for (const arch of sampleArchs(space, options.resolutions, 5, 9)) expect(predictor.predict(arch)).toBeGreaterThan(0);
  });

  it('calibration archs span the range of block sums: the cheapest and dearest of a large draw, evenly spaced between', () => {
    const table = readTable(join(dir, 'dev.json'));
    const raw = new LatencyPredictor({ ...table, calibration: undefined }, space);
    const sums = spreadArchs(space, table, 6, 1).map((a) => raw.blockSum(a));
    const pool = sampleArchs(space, options.resolutions, 150, 1).map((a) => raw.blockSum(a));
    expect(sums[0]).toBe(Math.min(...pool));
    expect(sums[5]).toBe(Math.max(...pool));
    sums.slice(1).forEach((v, i) => expect(v).toBeGreaterThanOrEqual(sums[i]));
    const uniform = sampleArchs(space, options.resolutions, 6, 1).map((a) => raw.blockSum(a));
    expect(sums[5] - sums[0]).toBeGreaterThan(Math.max(...uniform) - Math.min(...uniform));
  });

  it('few-shot subnets span the range of MACs: the smallest and largest of a large draw, in order', () => {
    const supernet = new OFAMobileNetV3(options);
    const macs = (a: Arch) => spaceOf(supernet).cost(supernet, a).macs;
    const spread = spreadArchsByMacs(space, options.resolutions, 4, 1).map(macs);
    const pool = sampleArchs(space, options.resolutions, 100, 1).map(macs);
    expect(spread[0]).toBe(Math.min(...pool));
    expect(spread[3]).toBe(Math.max(...pool));
    spread.slice(1).forEach((v, i) => expect(v).toBeGreaterThanOrEqual(spread[i]));
    supernet.dispose();
  });

  it('validatePredictor: held-out subnets measured by the protocol, scaled to the table\'s reference speed, with their repeatability', async () => {
    const table = readTable(join(dir, 'dev.json'));
    // Scaled by the reference model unless raw figures fitted the calibration clearly better (then measured raw).
    if (table.timing!.scaling!.kept) expect(table.referenceMs).toBeGreaterThan(0);
    else expect(table.referenceMs).toBeUndefined();
    const predictor = new LatencyPredictor(table, space);
    const r = await validatePredictor(predictor, space, { samples: 6, seed: 2, settings });
    expect(r.samples).toBe(6);
    expect(r.rows).toHaveLength(6);
    for (const row of r.rows) {
      expect(row.measuredMs).toBeGreaterThan(0);
      expect(row.predictedMs).toBeCloseTo(predictor.predict(sampleArchs(space, options.resolutions, 6, 2)[r.rows.indexOf(row)]), 9);
    }
    // No upper bound: passes over these sub-0.1 ms models can differ by more than 100% on a shared VM (README, nb201 table).
    expect(r.measuredSpread).toBeGreaterThanOrEqual(0);
    expect(Number.isFinite(r.measuredSpread)).toBe(true);
    expect(r.within10).toBeGreaterThanOrEqual(r.within5);
  });

  it('refuses to resume a table profiled with other settings', async () => {
    const path = join(dir, 'dev.json');
    await expect(profileDevice({ device: 'dev', space, settings: { ...settings, threads: 2 }, path, resume: true })).rejects.toThrow(
      `${path}: field 'runtime.threads': table was profiled with 1, this run uses 2`,
    );
  });
});

describe('the profiling bundle, end to end', () => {
  // ImageNet widths at one resolution: blocks big enough (0.05-0.5 ms) that per-call overheads,
  // which differ between processes, do not dominate the comparison.
  const bundleOptions = resolveOFAOptions({ resolutions: [128] });
  const bundleSpace = latencySpaceOf(new OFAMobileNetV3(bundleOptions));

  it('bundle -> stand-alone runner -> import gives a table that agrees with a direct profile', async () => {
    const out = join(dir, 'bundle');
    const manifest = writeBundle({ space: bundleSpace, settings, out, calibrationSamples: 4 });
    expect(existsSync(join(out, 'run.mjs'))).toBe(true);
    // What `npm install` in the bundle folder would give the runner.
    mkdirSync(join(out, 'node_modules'), { recursive: true });
    symlinkSync(resolve('node_modules/onnxruntime-node'), join(out, 'node_modules', 'onnxruntime-node'));
    // The runner and a direct profile time side by side, so that a neighbour's load falls on both alike.
    const [run, direct] = await Promise.all([
      runChild('node', ['run.mjs'], { cwd: out }),
      profileDevice({ device: 'direct', space: bundleSpace, settings, path: join(dir, 'direct.json'), calibrationSamples: 4 }),
    ]);
    expect(run.stderr).toMatch(/wrote .*results\.json/);
    expect(run.status).toBe(0);

    const imported = importResults(join(out, 'results.json'), join(out, 'manifest.json'), 'edge', bundleSpace);
    const keys = manifest.groups.flatMap((g) => g.blocks.map((b) => b.key));
    expect(Object.keys(imported.entries).sort()).toEqual([...keys].sort());
    expect(imported.calibration).toMatchObject({ samples: 4, seed: 1 });
    // The runner scales its timings to the reference model's speed; a direct profile chooses scaled or raw figures by its calibration's fit.
    expect(imported.referenceMs).toBeGreaterThan(0);
    expect(direct.timing!.scaling).toBeDefined();

    // Each key must hold its own block's time: block times span 10x, so a mix-up shows in the
    // ranks, which a busy machine (up to 2x slower for a while) does not disturb.
    const importedMs = keys.map((k) => imported.entries[k].ms);
    const directMs = keys.map((k) => direct.entries[k].ms);
    expect(spearman(importedMs, directMs)).toBeGreaterThan(0.9);
    const ratios = keys.map((k, i) => importedMs[i] / directMs[i]).sort((a, b) => a - b);
    // Seen on a quiet machine: median 0.99, 10th-90th percentile 0.95-1.02.
    const median = ratios[Math.floor(ratios.length / 2)];
    expect(median).toBeGreaterThan(0.67);
    expect(median).toBeLessThan(1.5);
    // Whole-subnet predictions from the two tables agree.
    const a = new LatencyPredictor(imported, bundleSpace);
    const b = new LatencyPredictor(direct, bundleSpace);
    for (const arch of sampleArchs(bundleSpace, bundleOptions.resolutions, 10, 4)) {
      expect(a.blockSum(arch) / b.blockSum(arch)).toBeGreaterThan(0.5);
      expect(a.blockSum(arch) / b.blockSum(arch)).toBeLessThan(2);
    }
  });

  it('a results file with missing entries is refused with one line', () => {
    const out = join(dir, 'bundle');
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    const dropped = Object.keys(results.entries)[3];
    delete results.entries[dropped];
    const cut = join(out, 'cut.json');
    writeFileSync(cut, JSON.stringify(results));
    expect(() => importResults(cut, join(out, 'manifest.json'), 'edge', bundleSpace)).toThrow(`${cut}: field 'entries': missing '${dropped}'`);
  });

  it('a few-shot bundle (subnets, no blocks): its timings adapt a base table; without a base it is refused', async () => {
    const out = join(dir, 'fewshot');
    const manifest = writeBundle({ space: bundleSpace, settings, out, subnets: 4 });
    expect(manifest.groups).toEqual([]);
    expect(manifest.calibration.files).toHaveLength(4);
    expect(existsSync(join(out, 'blocks'))).toBe(false);
    mkdirSync(join(out, 'node_modules'), { recursive: true });
    symlinkSync(resolve('node_modules/onnxruntime-node'), join(out, 'node_modules', 'onnxruntime-node'));
    const run = await runChild('node', ['run.mjs'], { cwd: out });
    expect(run.status, run.stderr).toBe(0);
    const [results, manifestPath] = [join(out, 'results.json'), join(out, 'manifest.json')];
    expect(() => importResults(results, manifestPath, 'edge4', bundleSpace)).toThrow(`${manifestPath}: a few-shot bundle (subnets, no blocks): give --from BASE`);
    const direct = readTable(join(dir, 'direct.json'));
    const base = new LatencyPredictor(direct, bundleSpace);
    const adapted = importResults(results, manifestPath, 'edge4', bundleSpace, base);
    expect(adapted.adapted).toEqual({ from: 'direct', timings: 4 });
    expect(adapted.entries).toEqual(direct.entries);
    expect(adapted.calibration!.samples).toBe(4);
    expect(adapted.calibration!.slope).toBeGreaterThan(0);
    // This machine is the "device": the adapted line predicts its own subnets' timings closely.
    const measured = (JSON.parse(readFileSync(results, 'utf8')) as { calibration: { ms: number }[] }).calibration.map((c) => c.ms);
    const predicted = manifest.calibration.archs.map((arch) => new LatencyPredictor(adapted, bundleSpace).predict(arch));
    predicted.forEach((p, i) => expect(Math.abs(p - measured[i]) / measured[i]).toBeLessThan(0.25));
  });
});

describe('a local table that cannot be trusted', () => {
  const quick = { runs: 6, calibrationSamples: 4, calibrationSeconds: 0, timing: { minPassMs: 0 } };
  const tiny = latencySpaceOf(new OFAMobileNetV3(resolveOFAOptions({ widthMult: 0.5, numClasses: 10, stemStride: 1, resolutions: [24] })));

  it('noisyTableReason: passes that disagree, or other processes busy, each named with the limit', () => {
    const ok = { protocol: 'p', passes: 3, spreadMedian: 0.03, spreadP90: 0.2, retimed: 4, otherCores: 0.1 };
    expect(noisyTableReason(ok)).toBeUndefined();
    expect(noisyTableReason({ ...ok, spreadMedian: MAX_TABLE_SPREAD + 0.01 })).toMatch(/^its timings did not repeat \(passes over the same model 11\.0% apart in the median, limit 10\.0%\)$/);
    expect(noisyTableReason({ ...ok, otherCores: MAX_OTHER_CORES + 0.3 })).toBe(`other processes kept 0.80 cores busy while it was profiled (limit ${MAX_OTHER_CORES})`);
  });

  it('profiled while two other processes keep the cores busy: refused, moved aside, the previous table kept; --force keeps it', async () => {
    const path = join(dir, 'busy', 'local.json');
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, '{"previous": true}');
    const spin = () => spawn(process.execPath, ['-e', 'for (;;);'], { stdio: 'ignore' });
    const busy = [spin(), spin()];
    try {
      await expect(profileDevice({ device: 'local', space: tiny, settings, path, force: false, ...quick })).rejects.toThrow(
        new RegExp(`^${path}: new table not kept \\(moved to ${path}\\.refused\\): (other processes kept [0-9.]+ cores busy while it was profiled \\(limit 0\\.5\\)|its timings did not repeat \\(.*\\)); profile again on a quiet machine, or keep it with --force$`),
      );
      expect(readFileSync(path, 'utf8')).toBe('{"previous": true}');
      const refused = readTable(`${path}.refused`);
      expect(refused.timing!.otherCores).toBeGreaterThan(MAX_OTHER_CORES);
      const kept = await profileDevice({ device: 'local', space: tiny, settings, path, force: true, ...quick });
      expect(kept.timing!.otherCores).toBeGreaterThan(MAX_OTHER_CORES);
      expect(readTable(path)).toEqual(kept);
      expect(existsSync(`${path}.previous`)).toBe(false);
    } finally {
      for (const p of busy) p.kill();
    }
  });

  it('a cached local table from another ONNX Runtime, hbx or host, or timed by the old protocol, is profiled again, the old one kept beside it', async () => {
    const home = mkdtempSync(join(tmpdir(), 'hbx-stale-'));
    const saved = process.env.HBX_HOME;
    process.env.HBX_HOME = home;
    try {
      const open = (onStale?: (why: string) => void) => openPredictor({ device: 'local', space: tiny, settings, force: true, profile: quick, onStale });
      const first = await open();
      const path = first.path!;
      expect(first.table.timing!.passes).toBe(3);
      expect(staleReason(first.table)).toBeUndefined();
      const cases: [string, (t: LatencyTable) => LatencyTable, RegExp][] = [
        ['runtime', (t) => ({ ...t, runtime: { ...t.runtime, version: '0.0.1' } }), /it was profiled with onnxruntime-node 0\.0\.1, this is /],
        ['hbx', (t) => ({ ...t, hbx: '0.0.0' }), /it was profiled by hbx 0\.0\.0, this is /],
        ['host', (t) => ({ ...t, host: { ...t.host, cpu: 'Some Other CPU' } }), /it was profiled on another host \(cpu Some Other CPU, here /],
        ['protocol', ({ timing: _t, ...t }) => t, /it was timed by an older protocol/],
        ['statistic', (t) => ({ ...t, timing: { ...t.timing!, protocol: 'median over passes of the 10th percentile of each pass' } }), /it was timed by another protocol \(median over passes of the 10th percentile of each pass\)/],
      ];
      for (const [, change, why] of cases) {
        writeTable(path, change(readTable(path)));
        const said: string[] = [];
        const again = await open((w) => said.push(w));
        expect(said).toHaveLength(1);
        expect(said[0]).toMatch(why);
        expect(said[0]).toContain(`${path}.stale`);
        expect(staleReason(again.table)).toBeUndefined();
        expect(existsSync(`${path}.stale`)).toBe(true);
      }
      // A current table is used as it is.
      const said: string[] = [];
      await open((w) => said.push(w));
      expect(said).toEqual([]);
    } finally {
      if (saved === undefined) delete process.env.HBX_HOME;
      else process.env.HBX_HOME = saved;
    }
  });
});
