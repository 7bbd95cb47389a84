import * as tf from '@tensorflow/tfjs-core';
import type { AnyModule } from './module.js';
import { BatchNormNd } from './ops/batchnorm.js';
import { ConvNd } from './ops/conv.js';
import { Linear } from './ops/linear.js';

function firstN(v: tf.Tensor, shape: number[]): tf.Tensor {
  return tf.util.arraysEqual(v.shape, shape) ? v : tf.slice(v, new Array(shape.length).fill(0), shape);
}

/**
 * Copies into `target` (a network whose every space is fixed to the arch `source` is set
 * to) the weights that arch uses in `source`: the first channels, the transformed kernel
 * centre, the first BN entries. Modules are matched by path; every weight-holding module
 * of the target must exist at the same path in the source.
 */
export function copyActiveWeights(source: AnyModule, target: AnyModule): void {
  const byPath = new Map(source.namedModules());
  tf.tidy(() => {
    for (const [path, to] of target.namedModules()) {
      const from = byPath.get(path);
      if (to instanceof ConvNd) {
        if (!(from instanceof ConvNd)) throw new Error(`subnet: '${path}' has no matching conv in the supernet`);
        const [out, inPerGroup, k] = to.weight.shape;
        to.weight.assign(from.activeWeight(out, inPerGroup, k));
        if (to.bias) to.bias.assign(firstN(from.bias!, to.bias.shape));
      } else if (to instanceof Linear) {
        if (!(from instanceof Linear)) throw new Error(`subnet: '${path}' has no matching linear layer in the supernet`);
        to.weight.assign(firstN(from.weight, to.weight.shape));
        if (to.bias) to.bias.assign(firstN(from.bias!, to.bias.shape));
      } else if (to instanceof BatchNormNd) {
        if (!(from instanceof BatchNormNd)) throw new Error(`subnet: '${path}' has no matching batch norm in the supernet`);
        for (const name of ['weight', 'bias', 'runningMean', 'runningVar'] as const) {
          const t = to[name];
          if (t) t.assign(firstN(from[name]!, t.shape));
        }
      }
    }
  });
}
