import { InputError, readInputFile } from '../tensor/index.js';
import { makeDataset, type ImageDataset } from './image_dataset.js';

export const CIFAR10_LABELS = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
const SIDE = 32;
const RECORD = 1 + 3 * SIDE * SIDE;

/**
 * CIFAR-10 binary batches (data_batch_*.bin, test_batch.bin): each record is a label byte
 * and three 32x32 colour planes; returned as HWC bytes.
 */
export function readCifar10(paths: string[], name = 'cifar10'): ImageDataset {
  const parts = paths.map((p) => {
    const bytes = readInputFile(p);
    if (bytes.length === 0 || bytes.length % RECORD !== 0) {
      throw new InputError(`${p}: ${bytes.length} bytes is not a whole number of ${RECORD}-byte CIFAR-10 records`);
    }
    return { p, bytes };
  });
  const count = parts.reduce((n, x) => n + x.bytes.length / RECORD, 0);
  const images = new Uint8Array(count * RECORD - count);
  const labels = new Uint8Array(count);
  let i = 0;
  for (const { p, bytes } of parts) {
    for (let r = 0; r < bytes.length; r += RECORD, i++) {
      const label = bytes[r];
      if (label > 9) throw new InputError(`${p}: record ${r / RECORD} has label ${label}, expected 0..9`);
      labels[i] = label;
      const out = i * (RECORD - 1);
      for (let px = 0; px < SIDE * SIDE; px++)
        for (let ch = 0; ch < 3; ch++) images[out + px * 3 + ch] = bytes[r + 1 + ch * SIDE * SIDE + px];
    }
  }
  return makeDataset({ name, images, labels, height: SIDE, width: SIDE, channels: 3, classes: 10, labelNames: CIFAR10_LABELS }, paths.join(', '));
}
