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

/** A batch of images as channels-last bytes, [count, height, width, channels]. */
export interface ByteBatch {
  data: Uint8Array;
  count: number;
  height: number;
  width: number;
  channels: number;
}

export interface BatchOptions {
  /** Per-channel mean and std on [0, 1] pixels. */
  mean: number[];
  std: number[];
  /** Output size (resized bilinearly when it differs from the dataset's). */
  resolution?: number;
  /** Changes the bytes in place before they become floats (augmentation). */
  transform?: (batch: ByteBatch) => void;
}

/**
 * Items `indices` of the dataset as a normalised NHWC float tensor and int32 labels:
 * transformed (augmented) when asked, resized to `resolution`.
 */
export function toBatch(d: ImageDataset, indices: ArrayLike<number>, o: BatchOptions): { x: tf.Tensor4D; y: tf.Tensor1D } {
  const { height: h, width: w, channels: c } = d;
  const per = h * w * c;
  const bytes = new Uint8Array(indices.length * per);
  const labels = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    bytes.set(d.images.subarray(indices[i] * per, (indices[i] + 1) * per), i * per);
    labels[i] = d.labels[indices[i]];
  }
  o.transform?.({ data: bytes, count: indices.length, height: h, width: w, channels: c });
  return tf.tidy(() => ({ x: normaliseBytes(tf.tensor4d(bytes, [indices.length, h, w, c], 'float32'), o), y: tf.tensor1d(labels, 'int32') }));
}

/** An NHWC float tensor of byte values (0..255), resized to `resolution` and normalised per channel (differentiable). */
export function normaliseBytes(x: tf.Tensor4D, o: Pick<BatchOptions, 'mean' | 'std' | 'resolution'>): tf.Tensor4D {
  const [, h, w, c] = x.shape;
  return tf.tidy(() => {
    const resized = o.resolution && (o.resolution !== h || o.resolution !== w) ? tf.image.resizeBilinear(x, [o.resolution, o.resolution], true) : x;
    const mean = tf.tensor1d(o.mean.length === 1 ? new Array(c).fill(o.mean[0]) : o.mean);
    const std = tf.tensor1d(o.std.length === 1 ? new Array(c).fill(o.std[0]) : o.std);
    return tf.div(tf.sub(tf.div(resized, 255), mean), std) as tf.Tensor4D;
  });
}
