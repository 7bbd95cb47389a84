import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatNB201String, parseNB201String, readTable, readTrainState, type Arch } from '../../index.js';
import { hbx } from '../helpers/cli.js';
import { fashionMnistData } from '../helpers/fixture_data.js';
import { useWasm } from '../helpers/setup.js';

useWasm();

const root = mkdtempSync(join(tmpdir(), 'hbx-nb201-'));
process.env.HBX_DATA = fashionMnistData(root, 300);
process.env.HBX_HOME = join(root, 'home');
// Test files run side by side: a local table profiled among them is busy by design, and kept.
process.env.HBX_LATENCY_FORCE = '1';
const SPACE_OPTIONS = JSON.stringify({ channels: 4, cellsPerStage: 1 });
const supernet = join(root, 'supernet');

describe('nb201 from training to search, through the space contract alone', () => {
  it('hbx train --space nb201: single-path one-shot training (uniform archs, no distillation), a checkpoint search can open', async () => {
    const r = await hbx('train', '--space', 'nb201', '--space-options', SPACE_OPTIONS, '--dataset', 'fashion-mnist', '--epochs', '1', '--batch-size', '50', '--workers', '1', '--out', supernet);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/epoch 1: loss [0-9.]+, val top-1 fixed random arch 1 [0-9.]+%, arch 2 [0-9.]+%/);
    expect(readTrainState(supernet)?.epoch).toBe(1);
    const metrics = JSON.parse(readFileSync(join(supernet, 'metrics.jsonl'), 'utf8').trim()) as { tracked: string };
    expect(metrics.tracked).toBe('fixed random archs');
  }, 120_000);

  it('ofa-mbv3 flags on another space are refused in one line', async () => {
    const r = await hbx('train', '--space', 'nb201', '--width', '1', '--dataset', 'fashion-mnist', '--out', join(root, 'never'));
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("hbx: --width: an option of ofa-mbv3; for 'nb201' give --space-options\n");
    expect(existsSync(join(root, 'never'))).toBe(false);
  });

  it('hbx search --space nb201: a local table of its operations, evolution, finalists measured, outputs in NB201 form', async () => {
    const out = join(root, 'out');
    // A budget every subnet meets: the budget logic is tested on ofa-mbv3 (test/cli/search.test.ts); here, that nb201 goes through.
    const r = await hbx('search', '--supernet', supernet, '--space', 'nb201', '--latency', '1s', '--population', '8', '--generations', '2', '--predictor-samples', '12', '--jobs', '1', '--finalists', '2', '--out', out, '--json');
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as { arch: Arch; measuredMs: number; latencyBudgetMs: number; macs: number };
    expect(result.arch.space).toBe('nb201');
    expect(parseNB201String(formatNB201String(result.arch))).toEqual(result.arch);
    expect(result.measuredMs).toBeLessThanOrEqual(result.latencyBudgetMs);
    expect(result.macs).toBeGreaterThan(0);
    const table = readTable(join(process.env.HBX_HOME!, 'latency', 'local.json'));
    expect(table.space).toBe('nb201');
    expect(Object.keys(table.entries).every((k) => k.startsWith('nb201:'))).toBe(true);
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain(`arch ${formatNB201String(result.arch)}`);
    expect(readFileSync(join(out, 'pareto.csv'), 'utf8').split('\n')[0]).toBe('arch,predicted_accuracy,accuracy,predicted_ms,measured_ms,macs,params');
    for (const f of ['arch.json', 'subnet.onnx', 'pareto.svg']) expect(existsSync(join(out, f)), f).toBe(true);
  }, 240_000);
});
