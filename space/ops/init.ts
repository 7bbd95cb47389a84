import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../tensor/index.js';

/** Weight initialisation draws from this generator, so a seed makes models reproducible. */
let initRng = new Rng(0x5eed);

export function seedInit(seed: number): void {
  initRng = new Rng(seed);
}

/** Set while building a module whose every weight is about to be overwritten (a subnet, a checkpoint). */
let skipping = false;

/**
 * Builds modules with zero-filled weights and without drawing from the init generator: for
 * models whose weights are all assigned right after (a subnet inheriting its supernet's, a
 * checkpoint loaded strictly), where random draws cost time and would move the generator.
 */
export function withoutInit<T>(build: () => T): T {
  const was = skipping;
  skipping = true;
  try {
    return build();
  } finally {
    skipping = was;
  }
}

function nextSeed(): number {
  return initRng.int(2 ** 31);
}

/** Kaiming normal, fan-out mode (OFA's conv initialisation). */
export function kaimingNormalFanOut(shape: number[], fanOut: number): tf.Tensor {
  return skipping ? tf.zeros(shape) : tf.randomNormal(shape, 0, Math.sqrt(2 / fanOut), 'float32', nextSeed());
}

/** U(-bound, bound), PyTorch's default for linear layers and biases. */
export function uniform(shape: number[], bound: number): tf.Tensor {
  return skipping ? tf.zeros(shape) : tf.randomUniform(shape, -bound, bound, 'float32', nextSeed());
}
