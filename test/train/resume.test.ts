import { mkdtempSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { initBackend, readSafetensorsFile, readTrainState, type TrainState } from '../../index.js';
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

type Position = Pick<TrainState, 'epoch' | 'step' | 'partialEpoch'>;

const positionOf = (out: string): Position => readTrainState(out) ?? { epoch: 0, step: 0 };

const epochOf = (out: string) => positionOf(out).epoch;

/** Trains into `out` and kills the process (SIGKILL) as soon as its checkpoint is where `stop` says. */
async function trainAndKill(out: string, extra: string[], stop: (p: Position) => boolean): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const r = await runChild('node', [bin, ...args(out), ...extra], { env }, (child) => {
    timer = setInterval(() => {
      if (stop(positionOf(out))) child.kill('SIGKILL');
    }, 10);
  });
  clearInterval(timer);
  if (r.signal !== 'SIGKILL') throw new Error(`training finished before it could be killed (exit ${r.status})`);
}

function expectSameTensors(a: string, b: string): void {
  for (const file of ['supernet.safetensors', 'optimizer.safetensors']) {
    const ta = readSafetensorsFile(join(a, file)).tensors;
    const tb = readSafetensorsFile(join(b, file)).tensors;
    expect(Object.keys(tb).sort()).toEqual(Object.keys(ta).sort());
    for (const name of Object.keys(ta)) expect(Buffer.compare(Buffer.from(tb[name].data.buffer), Buffer.from(ta[name].data.buffer)), `${file}: ${name}`).toBe(0);
  }
}

const metricsOf = (out: string) => readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));

describe('hbx train: kill after the first checkpoint, resume, same weights as an uninterrupted run', () => {
  it('matches bit for bit', async () => {
    expect(existsSync(bin)).toBe(true); // npm test builds first
    const whole = join(root, 'whole');
    const killed = join(root, 'killed');
    // The uninterrupted run and the one to kill run side by side: they share nothing but the data.
    const [r] = await Promise.all([runHbxBinary(args(whole), { env }), trainAndKill(killed, [], (p) => p.epoch >= 1)]);
    expect(r.status, r.stderr).toBe(0);
    expect(epochOf(whole)).toBe(2);
    expect(epochOf(killed)).toBe(1);

    const resumed = await runHbxBinary([...args(killed), '--resume'], { env });
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(epochOf(killed)).toBe(2);

    expectSameTensors(whole, killed);
    const metrics = metricsOf(whole);
    expect(metrics.map((m) => m.epoch)).toEqual([1, 2]);
    expect(metrics[1].trainLoss).toBeLessThan(metrics[0].trainLoss);
  }, 300_000);

  it('--checkpoint-minutes 0: killed within an epoch, resumed from its step, the same weights and epoch losses', async () => {
    const killed = join(root, 'killed-mid-epoch');
    await trainAndKill(killed, ['--checkpoint-minutes', '0'], (p) => p.step >= 1);
    expect(positionOf(killed)).toMatchObject({ epoch: 0, step: 1, partialEpoch: { lossSum: expect.any(Number) } });

    const resumed = await runHbxBinary([...args(killed), '--resume'], { env });
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(positionOf(killed)).toEqual({ ...positionOf(join(root, 'whole')), partialEpoch: undefined });
    expectSameTensors(join(root, 'whole'), killed);
    expect(metricsOf(killed).map((m) => m.trainLoss)).toEqual(metricsOf(join(root, 'whole')).map((m) => m.trainLoss));
  }, 300_000);

  it('refuses weights from another step than state.json names (a crash between the files)', async () => {
    const out = join(root, 'killed-mid-epoch');
    const state = positionOf(out);
    writeFileSync(join(out, 'state.json'), JSON.stringify({ ...state, step: state.step - 1 }));
    const r = await runHbxBinary([...args(out), '--resume'], { env });
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toMatch(/supernet\.safetensors: field '__metadata__\.step': 4, but .*state\.json says 3$/);
  });

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
    expect(r.stderr).not.toMatch(/warning/); // the same seed: the same held-out images
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

  it('warns when another seed holds out other images than the run it starts from (they trained on them)', async () => {
    const whole = join(root, 'whole');
    const r = await runHbxBinary([...args(join(root, 'init-seed4'), 1), '--seed', '4', '--max-steps', '1', '--init', whole], { env });
    expect(r.status, r.stderr).toBe(0);
    const warnings = r.stderr.split(/[\r\n]/).filter((l) => l.includes('warning'));
    expect(warnings).toEqual([
      `hbx: warning: ${join(whole, 'state.json')}: that run held out other validation images (seed 3, share 0.0833) than this one (seed 4, share 0.0833), so this run's validation figures include images its starting weights trained on`,
    ]);
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
