import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { exportOnnx, validateOnnx, type AnySpaceDefinition, type AnyModule, type Arch } from '../../index.js';
import { checkOnnxFiles, pythonWithOnnx } from './onnx_checker.js';

/**
 * For each arch: the space's static subnet computes what the supernet computes under the arch,
 * and its ONNX export the same (both within 1e-5 of the logits' scale: perturbed weights make
 * logits large, where float32 rounding exceeds 1e-4 absolute); then ONNX's own checker passes
 * on every export (where Debian's python3-onnx is installed).
 */
export async function expectSubnetsMatchSupernet(def: AnySpaceDefinition, supernet: AnyModule, archs: Arch[], x: tf.Tensor4D): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), `hbx-${def.id}-`));
  const files: string[] = [];
  for (const [i, arch] of archs.entries()) {
    const subnet = def.subnet(supernet, arch);
    const a = tf.tidy(() => supernet.forward(x) as tf.Tensor);
    const b = tf.tidy(() => subnet.forward(x) as tf.Tensor);
    const scale = Math.max(1, tf.max(tf.abs(a)).dataSync()[0]);
    expect(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] / scale).toBeLessThan(1e-5);
    const bytes = exportOnnx(subnet);
    files.push(join(dir, `${def.id}-${i}.onnx`));
    writeFileSync(files.at(-1)!, bytes);
    const v = await validateOnnx(subnet, bytes, x);
    expect(v.maxAbsDiff / Math.max(1, ...Array.from(v.tfjs, Math.abs))).toBeLessThan(1e-5);
    tf.dispose([a, b]);
    if (subnet !== supernet) subnet.dispose();
  }
  const python = await pythonWithOnnx();
  if (python) expect((await checkOnnxFiles(python, files)).every((l) => l.startsWith('ok'))).toBe(true);
}
