import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../tensor/index.js';

/** Weight initialisation draws from this generator, so a seed makes models reproducible. */
let initRng = new Rng(0x5eed);

export function seedInit(seed: number): void {
  initRng = new Rng(seed);
}

function nextSeed(): number {
  return initRng.int(2 ** 31);
}

/** Kaiming normal, fan-out mode (OFA's conv initialisation). */
export function kaimingNormalFanOut(shape: number[], fanOut: number): tf.Tensor {
  return tf.randomNormal(shape, 0, Math.sqrt(2 / fanOut), 'float32', nextSeed());
}

/** U(-bound, bound), PyTorch's default for linear layers and biases. */
export function uniform(shape: number[], bound: number): tf.Tensor {
  return tf.randomUniform(shape, -bound, bound, 'float32', nextSeed());
}
