import * as tf from '@tensorflow/tfjs-core';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_TRAIN, evaluateTop1, evaluateTop1Async, getDataset, initBackend, loadWebgpu, OFAMobileNetV3, registerTrainingKernels, seedInit, trainSupernet, type StepReport } from '../../index.js';
import { fashionMnistData } from '../helpers/fixture_data.js';
import { webgpuAvailable } from '../helpers/setup.js';
import { runHbxBinary } from '../helpers/child.js';
import { cosineAndNormRatio } from '../helpers/tensors.js';

await initBackend('wasm');
const WEBGPU = await webgpuAvailable();
if (WEBGPU) {
  await loadWebgpu();
  registerTrainingKernels('webgpu');
}

const root = mkdtempSync(join(tmpdir(), 'hbx-webgpu-'));
const data = fashionMnistData(root, 40);
process.env.HBX_DATA = data;
const dataset = getDataset('fashion-mnist');
const train = dataset.load('train');
const config = { ...DEFAULT_TRAIN, dataset: dataset.name, mean: dataset.mean, std: dataset.std, epochs: 1, batchSize: 16, subnetsPerStep: 1, valFraction: 0.2, seed: 5 };

async function values(model: OFAMobileNetV3): Promise<Float32Array[]> {
  return Promise.all(model.namedParameters().map(async ([, v]) => Float32Array.from((await v.data()) as Float32Array)));
}

/** One sandwich step (distillation, synchronous-free reads) on `backend` from the same initial weights. */
async function oneStep(backend: string) {
  await tf.setBackend(backend);
  seedInit(2);
  const model = new OFAMobileNetV3({ inputChannels: 1, numClasses: 10, widthMult: 0.25, resolutions: [28] });
  const before = await values(model);
  const steps: StepReport[] = [];
  await trainSupernet(model, { config: { ...config, maxSteps: 1 }, train, out: join(root, `step-${backend}`), onStep: (r) => steps.push(r) });
  const after = await values(model);
  model.dispose();
  return { steps, update: after.flatMap((w, t) => Array.from(w, (x, i) => x - before[t][i])) };
}

describe.runIf(WEBGPU)('training on webgpu', () => {
  it('one sandwich step equals the wasm backend: the same loss, the same update up to float rounding', async () => {
    const wasm = await oneStep('wasm');
    const gpu = await oneStep('webgpu');
    await tf.setBackend('wasm');
    expect(Math.abs(gpu.steps[0].loss - wasm.steps[0].loss)).toBeLessThan(1e-5 * wasm.steps[0].loss);
    expect(gpu.steps[0].accuracy).toBe(wasm.steps[0].accuracy);
    // Measured on lavapipe: loss 4e-6 apart, update cosine 1 - 8e-6, norm ratio 1 - 8e-5 (two
    // wasm workers against one: cosine 1 - 2e-5). Compared as one vector because the biases of
    // batch norms that feed another batch norm have a zero gradient in exact arithmetic: only
    // rounding moves them, differently on each backend, so their own relative error is ~1.
    const { cosine, normRatio } = cosineAndNormRatio(wasm.update, gpu.update);
    expect(cosine).toBeGreaterThan(0.9999);
    expect(Math.abs(normRatio - 1)).toBeLessThan(1e-3);
  }, 120_000);

  it('evaluation reads asynchronously and counts what the wasm backend counts', async () => {
    seedInit(3);
    const model = new OFAMobileNetV3({ inputChannels: 1, numClasses: 10, widthMult: 0.25, resolutions: [28] });
    const batch = { mean: dataset.mean, std: dataset.std, resolution: 28, batchSize: 16 };
    await tf.setBackend('wasm');
    const onWasm = evaluateTop1(model, train, batch);
    await tf.setBackend('webgpu');
    const onGpu = await evaluateTop1Async(model, train, batch);
    await tf.setBackend('wasm');
    model.dispose();
    expect(onGpu).toEqual(onWasm);
    expect(onWasm.samples).toBe(40);
  }, 60_000);

  it('hbx --backend webgpu train: a whole epoch with validation and a checkpoint, on one process by default', async () => {
    const out = join(root, 'cli');
    const r = await runHbxBinary(['--backend', 'webgpu', 'train', '--dataset', 'fashion-mnist', '--epochs', '1', '--width', '0.25', '--subnets-per-step', '0', '--batch-size', '8', '--out', out], { env: { ...process.env, HBX_DATA: data } });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'state.json'), 'utf8'))).toMatchObject({ epoch: 1, step: 4 });
    const [metrics] = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(metrics.trainLoss).toBeGreaterThan(1);
    expect(metrics.trainLoss).toBeLessThan(4);
    expect(metrics.valTop1Largest).toBeGreaterThanOrEqual(0);
    expect(existsSync(join(out, 'supernet.safetensors'))).toBe(true);
  }, 120_000);
});

describe('--backend webgpu: commands that cannot run on it say so in one line', () => {
  const env = { ...process.env, HBX_DATA: data };
  it.runIf(WEBGPU)('refuses --workers above 1 and the commands that read synchronously', async () => {
    for (const [args, expected] of [
      [['train', '--dataset', 'fashion-mnist', '--workers', '2', '--out', join(root, 'never')], '--workers: 2 workers on webgpu; it trains in one process on one adapter, use --workers 1'],
      [['search', '--latency', '80%'], "--backend webgpu: serves hbx train, hbx eval, hbx doctor; 'search' reads tensors synchronously"],
    ] as const) {
      const r = await runHbxBinary(['--backend', 'webgpu', ...args], { env });
      expect(r.status, args.join(' ')).toBe(2);
      const lines = r.stderr.trim().split('\n').filter((l) => !l.startsWith('Warning: '));
      expect(lines).toEqual([expect.stringContaining(expected)]);
    }
  });

  it.runIf(WEBGPU)('without a Vulkan adapter: exit 2, one line with the fix', async () => {
    const r = await runHbxBinary(['--backend', 'webgpu', 'train', '--dataset', 'fashion-mnist', '--out', join(root, 'never')], { env: { ...env, VK_ICD_FILENAMES: join(root, 'no-driver.json') } });
    expect(r.status).toBe(2);
    const lines = r.stderr.trim().split('\n').filter((l) => l.startsWith('hbx: '));
    expect(lines).toEqual([expect.stringContaining("backend 'webgpu': Dawn found no Vulkan adapter; install the Vulkan loader (apt-get install libvulkan1)")]);
  });
});
