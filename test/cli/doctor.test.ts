import * as tf from '@tensorflow/tfjs-core';
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import type { Diagnosis } from '../../index.js';
import { hbx } from '../helpers/cli.js';
import { webgpuAvailable } from '../helpers/setup.js';

const WEBGPU = await webgpuAvailable();

describe('hbx doctor', () => {
  it('probes every backend, says why the missing ones fail, and leaves the active backend as it was', async () => {
    const r = await hbx('doctor', '--json');
    expect(r.code).toBe(0);
    const d: Diagnosis = JSON.parse(r.stdout);
    expect(d.cores).toBe(availableParallelism());
    const byName = Object.fromEntries(d.backends.map((b) => [b.name, b]));
    expect(Object.keys(byName)).toEqual(['wasm', 'cpu', 'tensorflow', 'webgpu']);
    expect(byName.wasm.works).toBe(true);
    expect(byName.cpu.works).toBe(true);
    // CI installs neither tfjs-node package (their install scripts download libtensorflow).
    expect(byName.tensorflow).toMatchObject({ works: false, detail: expect.stringContaining('is installed') });
    expect(byName.tensorflow.fix).toContain('npm install @tensorflow/tfjs-node');
    // CI installs Mesa's lavapipe: a software Vulkan adapter.
    expect(byName.webgpu).toMatchObject(WEBGPU ? { works: true, detail: expect.stringMatching(/computes correctly/) } : { works: false });
    if (process.env.CI) expect(byName.webgpu.detail).toMatch(/^llvmpipe.*\(software: computes on the CPU\)/);
    expect(tf.getBackend()).toBe('wasm');
  });

  it('prints one line per backend, with the fix under each that does not work', async () => {
    const r = await hbx('doctor');
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^\d+ cores$/);
    expect(lines.filter((l) => /^(ok|no) /.test(l)).map((l) => l.split(/\s+/)[1])).toEqual(['wasm', 'cpu', 'tensorflow', 'webgpu']);
    expect(lines.filter((l) => l.trim().startsWith('fix:'))).toHaveLength(WEBGPU ? 1 : 2);
  });
});
