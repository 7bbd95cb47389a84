import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../tensor/index.js';

export function randomArray(size: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: size }, () => rng.normal());
}

/** max |a - b| / max |b|: the error relative to the reference's scale. */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} != ${expected.length}`);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return diff / Math.max(scale, 1e-12);
}

/** How two vectors agree as directions (cosine) and in length (|b| / |a|). */
export function cosineAndNormRatio(a: ArrayLike<number>, b: ArrayLike<number>): { cosine: number; normRatio: number } {
  let [dot, aa, bb] = [0, 0, 0];
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return { cosine: dot / Math.sqrt(aa * bb), normRatio: Math.sqrt(bb / aa) };
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

/** Runs `fn` with `backend` active and returns its result's values and shape. */
export async function valuesOn(backend: string, fn: () => tf.Tensor): Promise<{ values: Float32Array; shape: number[] }> {
  await tf.setBackend(backend);
  const t = tf.tidy(fn);
  const values = (await t.data()) as Float32Array; // webgpu reads only asynchronously in Node
  const shape = t.shape;
  t.dispose();
  return { values: Float32Array.from(values), shape };
}
