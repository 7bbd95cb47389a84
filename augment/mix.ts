import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../tensor/index.js';

export interface MixConfig {
  kind: 'none' | 'mixup' | 'cutmix';
  /** Beta(alpha, alpha) draws the mixing weight. */
  alpha: number;
}

export const NO_MIX: MixConfig = { kind: 'none', alpha: 1 };

/** Gamma(shape, 1) by Marsaglia and Tsang (boosted for shape < 1). */
function gamma(shape: number, rng: Rng): number {
  if (shape < 1) return gamma(shape + 1, rng) * Math.pow(rng.next() || Number.MIN_VALUE, 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const z = rng.normal();
    const v = Math.pow(1 + c * z, 3);
    if (v <= 0) continue;
    if (Math.log(1 - rng.next()) < 0.5 * z * z + d - d * v + d * Math.log(v)) return d * v;
  }
}

export function sampleBeta(a: number, b: number, rng: Rng): number {
  const x = gamma(a, rng);
  return x / (x + gamma(b, rng));
}

export interface Mixed {
  x: tf.Tensor4D;
  /** Weight of each image's own label; 1 - lambda goes to its partner's. */
  lambda: number;
  /** Image i was mixed with image partner[i] (the batch rolled by one, as torchvision's references do). */
  partner: Int32Array;
}

/** The CutMix box for weight `lambda`: a centre drawn uniformly, sides sqrt(1 - lambda) of the image's, clipped. */
export function cutMixBox(height: number, width: number, lambda: number, rng: Rng): { top: number; left: number; bottom: number; right: number } {
  const [cy, cx] = [rng.int(height), rng.int(width)];
  const r = 0.5 * Math.sqrt(1 - lambda);
  const [halfH, halfW] = [Math.trunc(r * height), Math.trunc(r * width)];
  return { top: Math.max(0, cy - halfH), left: Math.max(0, cx - halfW), bottom: Math.min(height, cy + halfH), right: Math.min(width, cx + halfW) };
}

/** MixUp (Zhang et al.) or CutMix (Yun et al.) on a normalised NHWC batch. */
export function mixBatch(x: tf.Tensor4D, o: MixConfig, rng: Rng): Mixed {
  const n = x.shape[0];
  const partner = Int32Array.from({ length: n }, (_, i) => (i + n - 1) % n);
  if (o.kind === 'none' || n < 2) return { x: tf.clone(x), lambda: 1, partner };
  let lambda = sampleBeta(o.alpha, o.alpha, rng);
  const rolled = tf.gather(x, partner);
  if (o.kind === 'mixup') {
    const mixed = tf.tidy(() => tf.add(tf.mul(x, lambda), tf.mul(rolled, 1 - lambda)) as tf.Tensor4D);
    rolled.dispose();
    return { x: mixed, lambda, partner };
  }
  const [, h, w] = x.shape;
  const box = cutMixBox(h, w, lambda, rng);
  lambda = 1 - ((box.bottom - box.top) * (box.right - box.left)) / (h * w);
  const mask = new Float32Array(h * w);
  for (let y = box.top; y < box.bottom; y++) mask.fill(1, y * w + box.left, y * w + box.right);
  const mixed = tf.tidy(() => tf.where(tf.cast(tf.tensor4d(mask, [1, h, w, 1]), 'bool'), rolled, x) as tf.Tensor4D);
  rolled.dispose();
  return { x: mixed, lambda, partner };
}

/** Soft targets of a mixed batch: lambda of each image's own, 1 - lambda of its partner's. */
export function mixTargets(targets: tf.Tensor, m: Pick<Mixed, 'lambda' | 'partner'>): tf.Tensor {
  if (m.lambda === 1) return tf.clone(targets);
  return tf.tidy(() => tf.add(tf.mul(targets, m.lambda), tf.mul(tf.gather(targets, m.partner), 1 - m.lambda)));
}
