import type { ImageDataset } from '../datasets/index.js';
import { Rng } from '../tensor/index.js';
import { augmentImage, type AugmentConfig } from './apply.js';
import type { Image } from './image.js';

export interface GridOptions {
  /** Rows: the first `images` images of the dataset. */
  images: number;
  /** Augmented samples per row, after the original. */
  samples: number;
  seed: number;
  /** Pixels between cells. */
  gap?: number;
}

/** One image per row: the original, then `samples` augmented draws; grey gaps between cells. */
export function augmentationGrid(d: ImageDataset, a: AugmentConfig, o: GridOptions): Image {
  const { height: h, width: w, channels: c } = d;
  const gap = o.gap ?? 2;
  const rows = Math.min(o.images, d.count);
  const cols = o.samples + 1;
  const [gh, gw] = [rows * (h + gap) + gap, cols * (w + gap) + gap];
  const data = new Uint8Array(gh * gw * c).fill(128);
  const rng = new Rng(o.seed);
  const per = h * w * c;
  for (let r = 0; r < rows; r++) {
    const original: Image = { data: d.images.subarray(r * per, (r + 1) * per), height: h, width: w, channels: c };
    for (let k = 0; k < cols; k++) {
      const cell = k === 0 ? original : augmentImage(original, a, rng);
      const [top, left] = [gap + r * (h + gap), gap + k * (w + gap)];
      for (let y = 0; y < h; y++) data.set(cell.data.subarray(y * w * c, (y + 1) * w * c), ((top + y) * gw + left) * c);
    }
  }
  return { data, height: gh, width: gw, channels: c };
}

/** Writes an image as PNG, each pixel `scale` x `scale` (sharp, nearest neighbour). */
export async function writePng(path: string, img: Image, scale = 1): Promise<void> {
  const { default: sharp } = await import('sharp');
  const raw = { width: img.width, height: img.height, channels: img.channels as 1 | 3 };
  await sharp(Buffer.from(img.data), { raw }).resize(img.width * scale, img.height * scale, { kernel: 'nearest' }).png().toFile(path);
}
