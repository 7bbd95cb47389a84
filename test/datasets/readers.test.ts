import sharp from 'sharp';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadImageFolder, readCifar10 } from '../../datasets/index.js';

const dir = mkdtempSync(join(tmpdir(), 'hbx-readers-'));

describe('CIFAR-10 binary batches', () => {
  it('reads records as HWC images with their labels', () => {
    const record = (label: number, r: number, g: number, b: number) => {
      const rec = new Uint8Array(3073);
      rec[0] = label;
      rec.fill(r, 1, 1025);
      rec.fill(g, 1025, 2049);
      rec.fill(b, 2049, 3073);
      return rec;
    };
    const p = join(dir, 'data_batch_1.bin');
    writeFileSync(p, Buffer.concat([record(3, 10, 20, 30), record(9, 1, 2, 3)]));
    const d = readCifar10([p]);
    expect([d.count, d.height, d.width, d.channels, d.classes]).toEqual([2, 32, 32, 3, 10]);
    expect(Array.from(d.labels)).toEqual([3, 9]);
    expect(Array.from(d.images.subarray(0, 6))).toEqual([10, 20, 30, 10, 20, 30]);
    expect(d.labelNames![3]).toBe('cat');
    const cut = join(dir, 'cut.bin');
    writeFileSync(cut, Buffer.alloc(3000));
    expect(() => readCifar10([cut])).toThrow(`${cut}: 3000 bytes is not a whole number of 3073-byte CIFAR-10 records`);
  });
});

describe('image folders', () => {
  it('one subfolder per class, decoded and resized with sharp', async () => {
    const root = join(dir, 'folder');
    for (const [cls, value] of [['cat', 40], ['dog', 200]] as const) {
      mkdirSync(join(root, cls), { recursive: true });
      for (let i = 0; i < 3; i++) {
        await sharp({ create: { width: 40, height: 30, channels: 3, background: { r: value, g: value, b: value } } }).png().toFile(join(root, cls, `${i}.png`));
      }
    }
    writeFileSync(join(root, 'dog', 'notes.txt'), 'not an image');
    const d = await loadImageFolder(root, { size: 16, channels: 1 });
    expect([d.count, d.height, d.width, d.channels, d.classes]).toEqual([6, 16, 16, 1, 2]);
    expect(d.labelNames).toEqual(['cat', 'dog']);
    expect(Array.from(d.labels)).toEqual([0, 0, 0, 1, 1, 1]);
    expect(d.images[0]).toBeCloseTo(40, -1);
    expect(d.images[16 * 16 * 5]).toBeCloseTo(200, -1);
  });

  it('a folder with no images, and an unreadable image: one line naming it', async () => {
    const empty = join(dir, 'empty');
    mkdirSync(join(empty, 'a'), { recursive: true });
    await expect(loadImageFolder(empty, { size: 8, channels: 3 })).rejects.toThrow(`${empty}: no images in its 1 class folders`);
    const broken = join(dir, 'broken');
    mkdirSync(join(broken, 'a'), { recursive: true });
    writeFileSync(join(broken, 'a', 'x.png'), 'garbage');
    await expect(loadImageFolder(broken, { size: 8, channels: 3 })).rejects.toThrow(new RegExp(`^${join(broken, 'a', 'x.png')}: cannot decode image`));
  });
});

describe('cifar10 in the registry', () => {
  it('loads the binary batches from a data folder; a missing batch names the file and how to get it', async () => {
    const { getDataset } = await import('../../index.js');
    const folder = join(dir, 'cifar10');
    mkdirSync(folder, { recursive: true });
    const rec = new Uint8Array(3073);
    rec[0] = 4;
    writeFileSync(join(folder, 'test_batch.bin'), Buffer.concat([rec, rec]));
    const test = getDataset('cifar10').load('test', [folder]);
    expect([test.count, test.channels, test.labelNames![4]]).toEqual([2, 3, 'deer']);
    expect(() => getDataset('cifar10').load('train', [folder])).toThrow(/data_batch_1\.bin not found in .*cifar10; put the CIFAR-10 binary batches/);
  });
});
