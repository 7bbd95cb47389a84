import * as tf from '@tensorflow/tfjs-core';
import { InputError, Rng } from '../tensor/index.js';

/** Images as unsigned bytes, [count, height, width, channels], with integer labels. */
export interface ImageDataset {
  name: string;
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
  height: number;
  width: number;
  channels: number;
  classes: number;
  labelNames?: string[];
}

export function makeDataset(d: Omit<ImageDataset, 'count'>, source: string): ImageDataset {
  const per = d.height * d.width * d.channels;
  if (d.images.length % per !== 0) throw new InputError(`${source}: ${d.images.length} bytes is not a whole number of ${d.height}x${d.width}x${d.channels} images`);
  const count = d.images.length / per;
  if (d.labels.length !== count) throw new InputError(`${source}: ${count} images but ${d.labels.length} labels`);
  const bad = d.labels.findIndex((l) => l >= d.classes);
  if (bad >= 0) throw new InputError(`${source}: label ${d.labels[bad]} at index ${bad} is not below the ${d.classes} classes`);
  return { ...d, count };
}

/** A subset by index (copies the bytes). */
export function subset(d: ImageDataset, indices: ArrayLike<number>, name = d.name): ImageDataset {
  const per = d.height * d.width * d.channels;
  const images = new Uint8Array(indices.length * per);
  const labels = new Uint8Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    images.set(d.images.subarray(indices[i] * per, (indices[i] + 1) * per), i * per);
    labels[i] = d.labels[indices[i]];
  }
  return { ...d, name, images, labels, count: indices.length };
}

/** A seeded permutation of 0..n-1 (Fisher-Yates). */
export function permutation(n: number, rng: Rng): Uint32Array {
  const p = new Uint32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

/** A seeded train/validation split: `fraction` of the items go to validation. */
export function split(d: ImageDataset, fraction: number, seed: number): { train: ImageDataset; val: ImageDataset } {
  const order = permutation(d.count, new Rng(seed));
  const nVal = Math.round(d.count * fraction);
  return { val: subset(d, order.subarray(0, nVal), `${d.name}:val`), train: subset(d, order.subarray(nVal), `${d.name}:train`) };
}

export interface Augment {
  /** Random crop after zero padding by this many pixels (0: off). */
  cropPadding?: number;
  horizontalFlip?: boolean;
  /** Side of a square cut out (set to zero) at a random place (0: off). */
  cutout?: number;
}

export interface BatchOptions {
  /** Per-channel mean and std on [0, 1] pixels. */
  mean: number[];
  std: number[];
  /** Output size (resized bilinearly when it differs from the dataset's). */
  resolution?: number;
  augment?: Augment;
  rng?: Rng;
}

/** Random crop with padding, flip and cutout on one image, in place into `out` (HWC bytes). */
function augmentInto(src: Uint8Array, out: Uint8Array, h: number, w: number, c: number, a: Augment, rng: Rng): void {
  const pad = a.cropPadding ?? 0;
  const dy = pad ? rng.int(2 * pad + 1) - pad : 0;
  const dx = pad ? rng.int(2 * pad + 1) - pad : 0;
  const flip = a.horizontalFlip ? rng.next() < 0.5 : false;
  for (let y = 0; y < h; y++) {
    const sy = y + dy;
    for (let x = 0; x < w; x++) {
      const sx0 = x + dx;
      const sx = flip ? w - 1 - sx0 : sx0;
      const inside = sy >= 0 && sy < h && sx0 >= 0 && sx0 < w;
      for (let ch = 0; ch < c; ch++) out[(y * w + x) * c + ch] = inside ? src[(sy * w + sx) * c + ch] : 0;
    }
  }
  if (a.cutout) {
    const cy = rng.int(h);
    const cx = rng.int(w);
    const half = Math.floor(a.cutout / 2);
    for (let y = Math.max(0, cy - half); y < Math.min(h, cy - half + a.cutout); y++)
      for (let x = Math.max(0, cx - half); x < Math.min(w, cx - half + a.cutout); x++)
        for (let ch = 0; ch < c; ch++) out[(y * w + x) * c + ch] = 0;
  }
}

/**
 * Items `indices` of the dataset as a normalised NHWC float tensor and int32 labels:
 * augmented (seeded) when asked, resized to `resolution`.
 */
export function toBatch(d: ImageDataset, indices: ArrayLike<number>, o: BatchOptions): { x: tf.Tensor4D; y: tf.Tensor1D } {
  const { height: h, width: w, channels: c } = d;
  const per = h * w * c;
  const bytes = new Uint8Array(indices.length * per);
  const labels = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const src = d.images.subarray(indices[i] * per, (indices[i] + 1) * per);
    if (o.augment && o.rng) augmentInto(src, bytes.subarray(i * per, (i + 1) * per), h, w, c, o.augment, o.rng);
    else bytes.set(src, i * per);
    labels[i] = d.labels[indices[i]];
  }
  return tf.tidy(() => {
    let x = tf.tensor4d(bytes, [indices.length, h, w, c], 'float32');
    if (o.resolution && (o.resolution !== h || o.resolution !== w)) x = tf.image.resizeBilinear(x, [o.resolution, o.resolution], true);
    const mean = tf.tensor1d(o.mean.length === 1 ? new Array(c).fill(o.mean[0]) : o.mean);
    const std = tf.tensor1d(o.std.length === 1 ? new Array(c).fill(o.std[0]) : o.std);
    return { x: tf.div(tf.sub(tf.div(x, 255), mean), std) as tf.Tensor4D, y: tf.tensor1d(labels, 'int32') };
  });
}
