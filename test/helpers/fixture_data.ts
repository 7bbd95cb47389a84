import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { readIdx, takeFirst, writeIdx } from '../../datasets/index.js';

const FIXTURE = 'test/fixtures/fashion-mnist';

/**
 * `$HBX_DATA/fashion-mnist` under `root` holding the first `images` images of the committed
 * Fashion-MNIST fixture as both the training and the test split; returns the $HBX_DATA folder.
 */
export function fashionMnistData(root: string, images: number): string {
  const data = join(root, 'data');
  const folder = join(data, 'fashion-mnist');
  mkdirSync(folder, { recursive: true });
  const x = takeFirst(readIdx(join(FIXTURE, 't10k-1000-images-idx3-ubyte.gz')), images);
  const y = takeFirst(readIdx(join(FIXTURE, 't10k-1000-labels-idx1-ubyte.gz')), images);
  for (const split of ['train', 't10k']) {
    writeIdx(join(folder, `${split}-images-idx3-ubyte.gz`), x);
    writeIdx(join(folder, `${split}-labels-idx1-ubyte.gz`), y);
  }
  return data;
}
