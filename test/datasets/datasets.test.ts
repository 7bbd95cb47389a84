import { mkdtempSync, mkdirSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { dataFolders, decodeIdx, encodeIdx, getDataset, loadIdxPair, permutation, readIdx, split, toBatch } from '../../datasets/index.js';
import { InputError, Rng, initBackend } from '../../tensor/index.js';

await initBackend('wasm');
const FIXTURE = 'test/fixtures/fashion-mnist';
const dir = mkdtempSync(join(tmpdir(), 'hbx-data-'));

describe('IDX files', () => {
  it('the committed fixture: 1,000 Fashion-MNIST test images and labels', () => {
    const d = loadIdxPair(join(FIXTURE, 't10k-1000-images-idx3-ubyte.gz'), join(FIXTURE, 't10k-1000-labels-idx1-ubyte.gz'), 'fixture');
    expect([d.count, d.height, d.width, d.channels, d.classes]).toEqual([1000, 28, 28, 1, 10]);
    const counts = new Array(10).fill(0);
    for (const l of d.labels) counts[l]++;
    expect(Math.min(...counts)).toBeGreaterThan(70); // every class is there
  });

  it('round-trips raw and gzip', () => {
    const a = { dims: [2, 3], data: Uint8Array.from([1, 2, 3, 4, 5, 6]) };
    expect(decodeIdx(encodeIdx(a))).toEqual(a);
    const p = join(dir, 'x.idx.gz');
    writeFileSync(p, gzipSync(encodeIdx(a)));
    expect(readIdx(p)).toEqual(a);
  });

  it.each([
    ['bad magic', Uint8Array.from([1, 2, 8, 1, 0, 0, 0, 1, 5]), "bad.idx: not an IDX file (bad magic number)"],
    ['float data', Uint8Array.from([0, 0, 0x0d, 1, 0, 0, 0, 1, 0, 0, 0, 0]), 'bad.idx: IDX type 0xd is not supported, expected unsigned bytes (0x08)'],
    ['truncated header', Uint8Array.from([0, 0, 8, 3, 0, 0]), 'bad.idx: truncated IDX header'],
    ['short data', Uint8Array.from([0, 0, 8, 1, 0, 0, 0, 4, 1, 2]), 'bad.idx: IDX data holds 2 bytes, dimensions [4] need 4'],
  ])('%s: one line naming the file', (_, bytes, message) => {
    expect(() => decodeIdx(bytes, 'bad.idx')).toThrow(new InputError(message));
  });

  it('labels and images of different counts', () => {
    const images = join(dir, 'i.idx');
    const labels = join(dir, 'l.idx');
    writeFileSync(images, encodeIdx({ dims: [3, 2, 2], data: new Uint8Array(12) }));
    writeFileSync(labels, encodeIdx({ dims: [2], data: Uint8Array.from([0, 1]) }));
    expect(() => loadIdxPair(images, labels, 'x')).toThrow(`${labels}: 2 labels for 3 images in ${images}`);
  });
});

describe('dataset registry, splits and batches', () => {
  it('a missing dataset says where it looked and how to get it', () => {
    expect(dataFolders('fashion-mnist', { HBX_DATA: '/data' })).toEqual(['/data/fashion-mnist', '/usr/share/datasets/fashion-mnist']);
    expect(() => getDataset('fashion-mnist').load('train', [join(dir, 'none'), join(dir, 'nowhere')])).toThrow(
      /^dataset 'fashion-mnist': train-images-idx3-ubyte\.gz not found in .*none or .*nowhere; install Debian's dataset-fashion-mnist/,
    );
  });

  it('finds $HBX_DATA/<name> first', () => {
    const data = join(dir, 'data', 'fashion-mnist');
    mkdirSync(data, { recursive: true });
    copyFileSync(join(FIXTURE, 't10k-1000-images-idx3-ubyte.gz'), join(data, 't10k-images-idx3-ubyte.gz'));
    copyFileSync(join(FIXTURE, 't10k-1000-labels-idx1-ubyte.gz'), join(data, 't10k-labels-idx1-ubyte.gz'));
    const test = getDataset('fashion-mnist').load('test', dataFolders('fashion-mnist', { HBX_DATA: join(dir, 'data') }));
    expect(test.count).toBe(1000);
    expect(test.labelNames![9]).toBe('Ankle boot');
  });

  it('seeded split and permutation: disjoint, complete, reproducible', () => {
    const d = loadIdxPair(join(FIXTURE, 't10k-1000-images-idx3-ubyte.gz'), join(FIXTURE, 't10k-1000-labels-idx1-ubyte.gz'), 'fixture');
    const a = split(d, 0.1, 5);
    expect([a.train.count, a.val.count]).toEqual([900, 100]);
    expect(split(d, 0.1, 5).val.labels).toEqual(a.val.labels);
    const p = permutation(1000, new Rng(1));
    expect(new Set(p).size).toBe(1000);
  });

  it('batches: normalised, resized, transformed in place before normalising', () => {
    const d = loadIdxPair(join(FIXTURE, 't10k-1000-images-idx3-ubyte.gz'), join(FIXTURE, 't10k-1000-labels-idx1-ubyte.gz'), 'fixture');
    const plain = toBatch(d, [0, 1], { mean: [0.5], std: [0.5] });
    expect(plain.x.shape).toEqual([2, 28, 28, 1]);
    expect(tf.min(plain.x).dataSync()[0]).toBeGreaterThanOrEqual(-1);
    expect(tf.max(plain.x).dataSync()[0]).toBeLessThanOrEqual(1);
    expect(Array.from(plain.y.dataSync())).toEqual([d.labels[0], d.labels[1]]);
    const small = toBatch(d, [0], { mean: [0.5], std: [0.5], resolution: 20 });
    expect(small.x.shape).toEqual([1, 20, 20, 1]);
    const seen: number[] = [];
    const inverted = toBatch(d, [0, 2], {
      mean: [0],
      std: [1],
      transform: (b) => {
        seen.push(b.count, b.height, b.width, b.channels);
        for (let k = 0; k < b.data.length; k++) b.data[k] = 255 - b.data[k];
      },
    }).x.dataSync();
    expect(seen).toEqual([2, 28, 28, 1]);
    expect(inverted[784 + 100]).toBeCloseTo(1 - d.images[2 * 784 + 100] / 255, 6);
  });
});
