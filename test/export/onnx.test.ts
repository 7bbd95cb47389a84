import * as tf from '@tensorflow/tfjs-core';
import ort from 'onnxruntime-node';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  buildSubnet,
  decodeModel,
  exportOnnx,
  initBackend,
  MBConvStack,
  OFAMobileNetV3,
  RandomMutator,
  validateOnnx,
} from '../../index.js';
import { checkOnnxFiles, pythonWithOnnx } from '../helpers/onnx_checker.js';
import { perturb } from '../helpers/perturb.js';
import { maxAbsDiff } from '../helpers/tensors.js';

await initBackend('wasm'); // at collection time: the cases are sampled from a supernet

const dir = mkdtempSync(join(tmpdir(), 'hbx-onnx-'));
const written: string[] = [];
function keep(name: string, bytes: Uint8Array): void {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  written.push(path);
}

describe('exportOnnx: ofa-mbv3 subnets with inherited weights', () => {
  const supernet = new OFAMobileNetV3();
  perturb(supernet, 21);
  supernet.eval();
  const mutator = new RandomMutator(supernet, { seed: 2026 });
  const archs = Array.from({ length: 10 }, () => mutator.reset());

  it('samples several resolutions', () => {
    expect(new Set(archs.map((a) => a.choices.resolution)).size).toBeGreaterThanOrEqual(5);
  });

  it.each(archs.map((a, i) => [i, a.choices.resolution, a] as const))(
    'arch %i at %i: ONNX Runtime = tfjs subnet (1e-4) = supernet (1e-5)',
    async (i, r, arch) => {
      // One image: the batch dimension has its own test below.
      const x = tf.randomNormal([1, r as number, r as number, 3], 0, 1, 'float32', i) as tf.Tensor4D;
      mutator.sampleByMask(arch);
      const fromSupernet = supernet.forward(x).dataSync();
      const subnet = buildSubnet(supernet, arch);
      const bytes = exportOnnx(subnet);
      keep(`ofa_${i}.onnx`, bytes);
      const v = await validateOnnx(subnet, bytes, x);
      expect(v.shape).toEqual([1, 1000]);
      expect(Math.max(...v.tfjs.map(Math.abs))).toBeGreaterThan(0.5);
      expect(v.maxAbsDiff).toBeLessThanOrEqual(1e-4);
      expect(maxAbsDiff(v.tfjs, fromSupernet)).toBeLessThanOrEqual(1e-5);
      subnet.dispose();
      x.dispose();
    },
  );

  it('records the arch and preprocessing in metadata_props and folds every batch norm', () => {
    mutator.sampleByMask(archs[0]);
    const model = decodeModel(exportOnnx(supernet, { labels: ['a', 'b'] }));
    const meta = Object.fromEntries(model.metadataProps.map((p) => [p.key, p.value]));
    expect(meta.space).toBe('ofa-mbv3');
    expect(JSON.parse(meta.arch)).toEqual(archs[0]);
    expect(meta.resolution).toBe(String(archs[0].choices.resolution));
    expect(meta.input_channels).toBe('3');
    expect(JSON.parse(meta.mean)).toEqual([0.485, 0.456, 0.406]);
    expect(JSON.parse(meta.labels)).toEqual(['a', 'b']);
    expect(meta.hbx_version).toMatch(/^\d+\.\d+\.\d+/);
    const ops = new Set(model.graph!.node!.map((n) => n.opType));
    expect(ops.has('BatchNormalization')).toBe(false);
    expect(ops.has('HardSwish')).toBe(true);
    expect(Number(model.opsetImport[0].version)).toBe(17);
    expect(model.graph!.input![0].name).toBe('input');
    expect(model.graph!.output![0].name).toBe('logits');
  });

  it('the batch dimension is dynamic by default, fixed on request', async () => {
    mutator.sampleByMask(archs[1]);
    const r = archs[1].choices.resolution as number;
    const session = await ort.InferenceSession.create(exportOnnx(supernet));
    for (const n of [1, 3]) {
      const out = await session.run({ input: new ort.Tensor('float32', new Float32Array(n * 3 * r * r), [n, 3, r, r]) });
      expect(out.logits.dims).toEqual([n, 1000]);
    }
    // Images in one batch do not mix: each row of a batch of 3 is what that image gives alone.
    const image = 3 * r * r;
    const batch = Float32Array.from({ length: 3 * image }, (_, i) => Math.sin(i * 0.37));
    const together = (await session.run({ input: new ort.Tensor('float32', batch, [3, 3, r, r]) })).logits.data as Float32Array;
    for (let n = 0; n < 3; n++) {
      const alone = (await session.run({ input: new ort.Tensor('float32', batch.slice(n * image, (n + 1) * image), [1, 3, r, r]) })).logits.data as Float32Array;
      expect(maxAbsDiff(Array.from(alone), Array.from(together.subarray(n * 1000, (n + 1) * 1000)))).toBeLessThanOrEqual(1e-4);
    }
    const fixed = decodeModel(exportOnnx(supernet, { batch: 1 }));
    expect(Number(fixed.graph!.input![0].type!.tensorType!.shape!.dim![0].dimValue)).toBe(1);
  });

  it('opset 13 spells h-swish as x * HardSigmoid(x) and still matches', async () => {
    mutator.sampleByMask(archs[2]);
    const r = archs[2].choices.resolution as number;
    const bytes = exportOnnx(supernet, { opset: 13 });
    keep('ofa_opset13.onnx', bytes);
    const ops = new Set(decodeModel(bytes).graph!.node!.map((n) => n.opType));
    expect(ops.has('HardSwish')).toBe(false);
    const v = await validateOnnx(supernet, bytes, tf.randomNormal([1, r, r, 3], 0, 1, 'float32', 5) as tf.Tensor4D);
    expect(v.maxAbsDiff).toBeLessThanOrEqual(1e-4);
  });

  it('grayscale small-image configuration and the mbconv-stack space export too', async () => {
    const gray = new OFAMobileNetV3({ inputChannels: 1, numClasses: 10, stemStride: 1, widthMult: 0.5, resolutions: [28, 32] });
    perturb(gray, 4);
    new RandomMutator(gray, { seed: 3 }).reset();
    const r = gray.resolution.value;
    const bytes = exportOnnx(gray);
    keep('gray.onnx', bytes);
    const v = await validateOnnx(gray, bytes, tf.randomNormal([2, r, r, 1], 0, 1, 'float32', 6) as tf.Tensor4D);
    expect(v.maxAbsDiff).toBeLessThanOrEqual(1e-4);
    const stack = new MBConvStack();
    perturb(stack, 5);
    new RandomMutator(stack, { seed: 1 }).reset();
    const sb = exportOnnx(stack, { resolution: 32 });
    keep('stack.onnx', sb);
    expect((await validateOnnx(stack, sb, tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 8) as tf.Tensor4D)).maxAbsDiff).toBeLessThanOrEqual(1e-4);
  });

  afterAll(() => supernet.dispose());
});

const python = await pythonWithOnnx();

describe('the official ONNX checker (full_check) accepts every exported model', () => {
  // CI installs python3-onnx, so there a missing checker is a failure, not a skip.
  it.runIf(python != null || process.env.CI === 'true')('onnx.checker.check_model(full_check=True)', async () => {
    expect(python, 'python3 with the onnx package (Debian: python3-onnx)').toBeDefined();
    expect(written.length).toBeGreaterThanOrEqual(13);
    const lines = await checkOnnxFiles(python!, written);
    expect(lines.filter((l) => !l.startsWith('ok '))).toEqual([]);
    expect(lines).toHaveLength(written.length);
  });
});
