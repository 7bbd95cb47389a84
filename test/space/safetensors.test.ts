import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeSafetensors, encodeSafetensors, loadStateDictFrom, readSafetensorsFile, saveStateDict } from '../../space/index.js';
import { InputError } from '../../tensor/index.js';
import { MBConvStack } from '../../networks/index.js';
import { runChild } from '../helpers/child.js';
import { pythonWithOnnx } from '../helpers/onnx_checker.js';
import { useWasm } from '../helpers/setup.js';

useWasm();
const dir = mkdtempSync(join(tmpdir(), 'hbx-st-'));

describe('safetensors', () => {
  it('round-trips a state dict with metadata, 8-byte aligned', () => {
    const a = new MBConvStack();
    const path = join(dir, 'a.safetensors');
    saveStateDict(a, path, { space: 'mbconv-stack' });
    const bytes = readFileSync(path);
    const headerLength = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
    expect(headerLength % 8).toBe(0);
    const file = readSafetensorsFile(path);
    expect(file.metadata).toEqual({ space: 'mbconv-stack' });
    expect(Object.keys(file.tensors).sort()).toEqual(Object.keys(a.stateDict()).sort());
    const b = new MBConvStack();
    loadStateDictFrom(b, file, path);
    for (const [name, v] of Object.entries(a.stateDict())) {
      expect(tf.max(tf.abs(tf.sub(v, b.stateDict()[name]))).dataSync()[0]).toBe(0);
    }
  });

  it('is readable from Python (header JSON + numpy buffers)', async () => {
    const python = await pythonWithOnnx(); // Debian's python3-onnx brings numpy
    if (!python && process.env.CI !== 'true') return;
    const path = join(dir, 'py.safetensors');
    writeFileSync(path, encodeSafetensors({ tensors: { 'conv.weight': { shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6.5]) } }, metadata: {} }));
    const script = [
      'import json, struct, sys, numpy as np',
      'b = open(sys.argv[1], "rb").read()',
      'n = struct.unpack("<Q", b[:8])[0]',
      'h = json.loads(b[8:8 + n])',
      'e = h["conv.weight"]',
      's, t = e["data_offsets"]',
      'a = np.frombuffer(b[8 + n + s:8 + n + t], dtype="<f4").reshape(e["shape"])',
      'print(a.sum(), a.shape)',
    ].join('\n');
    const r = await runChild(python!, ['-c', script, path]);
    expect(r.stdout.trim()).toBe('21.5 (2, 3)');
  });

  it('rejects files that are not safetensors with one line naming the file', () => {
    expect(() => decodeSafetensors(new Uint8Array([1, 2, 3]), 'x.safetensors')).toThrow(new InputError('x.safetensors: not a safetensors file (3 bytes)'));
    const bad = encodeSafetensors({ tensors: { w: { shape: [2], data: Float32Array.from([1, 2]) } }, metadata: {} });
    expect(() => decodeSafetensors(bad.slice(0, bad.length - 4), 'cut.safetensors')).toThrow(/cut\.safetensors: tensor 'w': byte range \[0, 8\) does not fit/);
    const m = new MBConvStack();
    const file = { tensors: { 'stem.weight': { shape: [1], data: Float32Array.from([0]) } }, metadata: {} };
    expect(() => loadStateDictFrom(m, file, 'c.safetensors')).toThrow(/c\.safetensors: tensor 'stem\.weight' has shape \[1\], expected \[16,3,3,3\]/);
  });
});
