import { mkdtempSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { initBackend, readSafetensorsFile } from '../../index.js';
import { runChild, runHbxBinary } from '../helpers/child.js';
import { fashionMnistData } from '../helpers/fixture_data.js';

await initBackend('wasm');

// Resuming is exact or it is not, after a few steps as after thousands: 24 fixture images
// (22 to train on, 2 steps of 11 per epoch) stand in for both splits.
const IMAGES = 24;
const root = mkdtempSync(join(tmpdir(), 'hbx-train-'));
const env = { ...process.env, HBX_DATA: fashionMnistData(root, IMAGES) };
const bin = 'dist/cli/main.js';
const args = (out: string, epochs = 2) => ['train', '--dataset', 'fashion-mnist', '--epochs', String(epochs), '--batch-size', '11', '--width', '0.25', '--subnets-per-step', '1', '--seed', '3', '--out', out];

function epochOf(out: string): number {
  const p = join(out, 'state.json');
  return existsSync(p) ? JSON.parse(readFileSync(p, 'utf8')).epoch : 0;
}

/** Trains into `out` and kills the process (SIGKILL) as soon as the first epoch's checkpoint is there. */
async function trainAndKillAfterFirstEpoch(out: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const r = await runChild('node', [bin, ...args(out)], { env }, (child) => {
    timer = setInterval(() => {
      if (epochOf(out) >= 1) child.kill('SIGKILL');
    }, 10);
  });
  clearInterval(timer);
  if (r.signal !== 'SIGKILL') throw new Error(`training finished before it could be killed (exit ${r.status})`);
}

describe('hbx train: kill after the first checkpoint, resume, same weights as an uninterrupted run', () => {
  it('matches bit for bit', async () => {
    expect(existsSync(bin)).toBe(true); // npm test builds first
    const whole = join(root, 'whole');
    const killed = join(root, 'killed');
    // The uninterrupted run and the one to kill run side by side: they share nothing but the data.
    const [r] = await Promise.all([runHbxBinary(args(whole), { env }), trainAndKillAfterFirstEpoch(killed)]);
    expect(r.status, r.stderr).toBe(0);
    expect(epochOf(whole)).toBe(2);
    expect(epochOf(killed)).toBe(1);

    const resumed = await runHbxBinary([...args(killed), '--resume'], { env });
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(epochOf(killed)).toBe(2);

    for (const file of ['supernet.safetensors', 'optimizer.safetensors']) {
      const a = readSafetensorsFile(join(whole, file)).tensors;
      const b = readSafetensorsFile(join(killed, file)).tensors;
      expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
      for (const name of Object.keys(a)) expect(Buffer.compare(Buffer.from(b[name].data.buffer), Buffer.from(a[name].data.buffer)), `${file}: ${name}`).toBe(0);
    }
    const metrics = readFileSync(join(whole, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(metrics.map((m) => m.epoch)).toEqual([1, 2]);
    expect(metrics[1].trainLoss).toBeLessThan(metrics[0].trainLoss);
  }, 300_000);

  it('refuses to resume with other settings, naming the field', async () => {
    const r = await runHbxBinary([...args(join(root, 'whole'), 4), '--resume'], { env });
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toMatch(/state\.json: field 'config\.epochs': the run used 2, this one 4$/);
  });
});

describe('hbx train --init from a checkpoint of other options', () => {
  it('takes the weights where every tensor matches (stem stride 1, depths down to 1): the run starts from them', async () => {
    const whole = join(root, 'whole');
    const out = join(root, 'init-s1');
    // A peak learning rate of 1e-9: two steps leave the weights where --init put them.
    const r = await runHbxBinary([...args(out, 1), '--stem-stride', '1', '--space-options', '{"depths":[1,2,3,4]}', '--lr', '0.000000001', '--init', whole], { env });
    expect(r.status, r.stderr).toBe(0);
    const from = readSafetensorsFile(join(whole, 'supernet.safetensors'));
    const got = readSafetensorsFile(join(out, 'supernet.safetensors'));
    expect(JSON.parse(got.metadata.options)).toMatchObject({ stemStride: 1, depths: [1, 2, 3, 4] });
    let maxDiff = 0;
    for (const [name, t] of Object.entries(from.tensors)) {
      if (/running_|num_batches/.test(name)) continue; // batch norm statistics move with any training step
      const b = got.tensors[name].data;
      t.data.forEach((v, i) => (maxDiff = Math.max(maxDiff, Math.abs(v - b[i]))));
    }
    expect(maxDiff).toBeLessThan(1e-6);
  }, 120_000);

  it('refuses a checkpoint whose tensors differ, naming the file, the tensor and both options', async () => {
    const r = await runHbxBinary([...args(join(root, 'init-w5'), 1), '--width', '0.5', '--init', join(root, 'whole')], { env });
    expect(r.status).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^hbx: .*whole\/supernet\.safetensors: tensor '[^']+' has shape \[[\d,]+\], expected \[[\d,]+\] \(the checkpoint's options \{.*"widthMult":0\.25.*\}, this run's \{.*"widthMult":0\.5.*\}\)$/);
  });
});

describe('hbx eval', () => {
  it('top-1 of a subnet of the trained checkpoint, BN recalibrated, as JSON', async () => {
    const { hbx } = await import('../helpers/cli.js');
    const { writeFileSync } = await import('node:fs');
    const saved = process.env.HBX_DATA;
    process.env.HBX_DATA = env.HBX_DATA;
    try {
      const sample = await hbx('space', 'sample', '--seed', '2');
      const arch = JSON.parse(sample.stdout);
      arch.choices.resolution = 28;
      const archFile = join(root, 'arch.json');
      writeFileSync(archFile, JSON.stringify(arch));
      const r = await hbx('eval', '--supernet', join(root, 'whole'), '--arch', archFile, '--dataset', 'fashion-mnist', '--json');
      expect(r.code, r.stderr).toBe(0);
      const { top1, samples } = JSON.parse(r.stdout);
      expect(samples).toBe(IMAGES);
      expect(top1).toBeGreaterThan(0.1); // above chance after two short epochs
      expect(top1).toBeLessThanOrEqual(1);
      const largest = await hbx('eval', '--supernet', join(root, 'whole'), '--arch', 'largest', '--dataset', 'fashion-mnist', '--json');
      expect(largest.code, largest.stderr).toBe(0);
      expect(JSON.parse(largest.stdout)).toMatchObject({ samples: IMAGES, arch: { choices: { depth1: 4, ks_block1: 7, er_block1: 6, resolution: 28 } } });
      const bad = await hbx('eval', '--supernet', join(root, 'whole'), '--arch', archFile, '--dataset', 'mnist');
      expect(bad.code).toBe(2);
      expect(bad.stderr).toBe("hbx: --dataset: unknown dataset 'mnist', expected one of fashion-mnist, cifar10\n");
    } finally {
      if (saved === undefined) delete process.env.HBX_DATA;
      else process.env.HBX_DATA = saved;
    }
  }, 60_000);
});
