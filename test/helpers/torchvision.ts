import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runChild } from './child.js';
import type { ImageBatch } from '../../augment/index.js';

/** A python3 that can `import torchvision` (Debian's python3-torchvision lives under /usr/bin/python3). */
export async function pythonWithTorchvision(): Promise<string | undefined> {
  for (const py of ['/usr/bin/python3', 'python3']) {
    const r = await runChild(py, ['-c', 'import torchvision']).catch(() => undefined);
    if (r?.status === 0) return py;
  }
  return undefined;
}

export type ReferenceCase = { op: string; magnitude?: number } & Record<string, number | string | undefined>;

/** torchvision's result of each case on every image of the batch, as channels-last bytes. */
export async function torchvisionReference(python: string, batch: ImageBatch, cases: ReferenceCase[]): Promise<Uint8Array[]> {
  const dir = mkdtempSync(join(tmpdir(), 'hbx-tv-'));
  try {
    const { count, height, width, channels } = batch;
    writeFileSync(join(dir, 'cases.json'), JSON.stringify({ count, height, width, channels, cases }));
    writeFileSync(join(dir, 'images.bin'), batch.data);
    const r = await runChild(python, ['test/helpers/torchvision_ops.py', join(dir, 'cases.json'), join(dir, 'images.bin'), join(dir, 'out.bin')]);
    if (r.status !== 0) throw new Error(`torchvision reference failed: ${r.stderr}`);
    const out = readFileSync(join(dir, 'out.bin'));
    const size = batch.data.length;
    return cases.map((_, k) => new Uint8Array(out.buffer, out.byteOffset + k * size, size));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Fashion-MNIST fixture images: grayscale as they are, or RGB made of three consecutive images as channels. */
export function fixtureBatch(images: Uint8Array, count: number, channels: 1 | 3): ImageBatch {
  const per = 28 * 28;
  const data = new Uint8Array(count * per * channels);
  for (let i = 0; i < count; i++)
    for (let p = 0; p < per; p++) for (let ch = 0; ch < channels; ch++) data[(i * per + p) * channels + ch] = images[((i * channels + ch) % 1000) * per + p];
  return { data, count, height: 28, width: 28, channels };
}
