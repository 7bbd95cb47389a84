import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { initBackend, readSafetensorsFile } from '../../index.js';

await initBackend('wasm');

const root = mkdtempSync(join(tmpdir(), 'hbx-train-'));
const data = join(root, 'data', 'fashion-mnist');
mkdirSync(data, { recursive: true });
// The 1,000-image fixture stands in for both splits.
for (const split of ['train', 't10k']) {
  copyFileSync('test/fixtures/fashion-mnist/t10k-1000-images-idx3-ubyte.gz', join(data, `${split}-images-idx3-ubyte.gz`));
  copyFileSync('test/fixtures/fashion-mnist/t10k-1000-labels-idx1-ubyte.gz', join(data, `${split}-labels-idx1-ubyte.gz`));
}
const env = { ...process.env, HBX_DATA: join(root, 'data') };
const bin = 'dist/cli/main.js';
const args = (out: string, epochs = 2) => ['train', '--dataset', 'fashion-mnist', '--epochs', String(epochs), '--batch-size', '100', '--width', '0.25', '--subnets-per-step', '1', '--seed', '3', '--out', out];

function epochOf(out: string): number {
  const p = join(out, 'state.json');
  return existsSync(p) ? JSON.parse(readFileSync(p, 'utf8')).epoch : 0;
}

describe('hbx train: kill after the first checkpoint, resume, same weights as an uninterrupted run', () => {
  it('matches bit for bit', async () => {
    expect(existsSync(bin)).toBe(true); // npm test builds first
    const whole = join(root, 'whole');
    const r = spawnSync('node', [bin, ...args(whole)], { env, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(epochOf(whole)).toBe(2);

    const killed = join(root, 'killed');
    const child = spawn('node', [bin, ...args(killed)], { env, stdio: 'ignore' });
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (epochOf(killed) >= 1) {
          clearInterval(timer);
          child.kill('SIGKILL');
          resolve();
        }
      }, 10);
      child.on('exit', () => {
        clearInterval(timer);
        reject(new Error('training finished before it could be killed'));
      });
    });
    await new Promise((resolve) => child.on('exit', resolve));
    expect(epochOf(killed)).toBe(1);

    const resumed = spawnSync('node', [bin, ...args(killed), '--resume'], { env, encoding: 'utf8' });
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

  it('refuses to resume with other settings, naming the field', () => {
    const r = spawnSync('node', [bin, ...args(join(root, 'whole'), 4), '--resume'], { env, encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toMatch(/state\.json: field 'config\.epochs': the run used 2, this one 4$/);
  });
});

describe('hbx eval', () => {
  it('top-1 of a subnet of the trained checkpoint, BN recalibrated, as JSON', async () => {
    const { hbx } = await import('../helpers/cli.js');
    const { writeFileSync } = await import('node:fs');
    const saved = process.env.HBX_DATA;
    process.env.HBX_DATA = join(root, 'data');
    try {
      const sample = await hbx('space', 'sample', '--seed', '2');
      const arch = JSON.parse(sample.stdout);
      arch.choices.resolution = 28;
      const archFile = join(root, 'arch.json');
      writeFileSync(archFile, JSON.stringify(arch));
      const r = await hbx('eval', '--supernet', join(root, 'whole'), '--arch', archFile, '--dataset', 'fashion-mnist', '--json');
      expect(r.code, r.stderr).toBe(0);
      const { top1, samples } = JSON.parse(r.stdout);
      expect(samples).toBe(1000);
      expect(top1).toBeGreaterThan(0.1); // above chance after two short epochs
      expect(top1).toBeLessThanOrEqual(1);
      const bad = await hbx('eval', '--supernet', join(root, 'whole'), '--arch', archFile, '--dataset', 'mnist');
      expect(bad.code).toBe(2);
      expect(bad.stderr).toBe("hbx: --dataset: unknown dataset 'mnist', expected one of fashion-mnist, cifar10\n");
    } finally {
      if (saved === undefined) delete process.env.HBX_DATA;
      else process.env.HBX_DATA = saved;
    }
  }, 60_000);
});
