import * as tf from '@tensorflow/tfjs-core';

export interface SgdOptions {
  momentum: number;
  nesterov: boolean;
  weightDecay: number;
  /** Parameter paths that get no weight decay (OFA: batch-norm parameters and biases). */
  noDecay: (path: string) => boolean;
}

export const NO_DECAY_BN_AND_BIAS = (path: string) => /(^|[._])bn\.|\.bias$/.test(path);

/**
 * SGD with momentum (and Nesterov), weight decay, velocities keyed by parameter path.
 * tfjs's optimizers key their state by position in the gradient list, which breaks when a
 * supernet step leaves some parameters without a gradient; this one does not.
 */
export class Sgd {
  readonly velocity = new Map<string, tf.Variable>();

  constructor(readonly options: SgdOptions) {}

  step(params: [string, tf.Variable][], grads: Map<string, tf.Tensor>, lr: number): void {
    const { momentum, nesterov, weightDecay, noDecay } = this.options;
    tf.tidy(() => {
      for (const [path, p] of params) {
        const g0 = grads.get(path);
        if (!g0) continue;
        const g = weightDecay > 0 && !noDecay(path) ? tf.add(g0, tf.mul(p, weightDecay)) : g0;
        let v = this.velocity.get(path);
        if (!v) {
          v = tf.variable(tf.zerosLike(p), false);
          this.velocity.set(path, v);
        }
        v.assign(tf.add(tf.mul(v, momentum), g));
        const update = nesterov ? tf.add(g, tf.mul(v, momentum)) : v;
        p.assign(tf.sub(p, tf.mul(update, lr)));
      }
    });
  }

  state(): Record<string, tf.Tensor> {
    return Object.fromEntries(this.velocity);
  }

  load(state: Record<string, { shape: number[]; data: Float32Array }>): void {
    for (const v of this.velocity.values()) v.dispose();
    this.velocity.clear();
    for (const [path, t] of Object.entries(state)) this.velocity.set(path, tf.variable(tf.tensor(t.data, t.shape), false));
  }
}

/** Cosine decay to zero after a linear warm-up, per step. */
export function cosineLr(base: number, step: number, totalSteps: number, warmupSteps: number): number {
  if (step < warmupSteps) return (base * (step + 1)) / warmupSteps;
  const t = (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
  return 0.5 * base * (1 + Math.cos(Math.PI * Math.min(1, t)));
}
