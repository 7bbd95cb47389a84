import * as tf from '@tensorflow/tfjs-core';
import { BatchNormNd, ConvNd, Linear, Rng, type AnyModule } from '../../index.js';

/**
 * Makes a freshly initialised network behave like a trained one for comparison tests:
 * batch-norm statistics and affine parameters away from 0/1, kernel transforms away from
 * identity, logits of order 1, so every weight the arch uses shapes the output.
 */
export function perturb(network: AnyModule, seed: number): void {
  const rng = new Rng(seed);
  const s = () => rng.int(2 ** 31);
  tf.tidy(() => {
    for (const [, m] of network.namedModules()) {
      if (m instanceof BatchNormNd) {
        const n = m.runningMean.shape[0];
        m.runningMean.assign(tf.randomNormal([n], 0, 0.2, 'float32', s()));
        m.runningVar.assign(tf.randomUniform([n], 0.5, 1.5, 'float32', s()));
        m.weight?.assign(tf.randomUniform([n], 0.5, 1.5, 'float32', s()));
        m.bias?.assign(tf.randomNormal([n], 0, 0.2, 'float32', s()));
      }
      if (m instanceof Linear) m.weight.assign(tf.mul(m.weight, 20)); // logits of order 1
      if (m instanceof ConvNd) {
        for (const t of m.transforms.values()) t.assign(tf.add(t, tf.randomNormal(t.shape, 0, 0.1, 'float32', s())));
      }
    }
  });
}
