import type { Cost } from './definition.js';
import type { Emittable } from './emit.js';
import { emittedOps } from './emitted_ops.js';

/**
 * A running count with OFA's counters, for spaces that count their subnets by formula: conv
 * MACs cin/groups x cout x k^2 per output element (`outSize` x `outSize` of them), parameters
 * of weight, bias and BN (2 per channel); linear in x out plus bias.
 */
export class CostTally implements Cost {
  macs = 0;
  params = 0;

  conv(cin: number, cout: number, k: number, outSize: number, { groups = 1, bias = false, bn = true } = {}): void {
    this.macs += (cin * cout * k * k * outSize * outSize) / groups;
    this.params += (cin / groups) * cout * k * k + (bias ? cout : 0) + (bn ? 2 * cout : 0);
  }

  linear(inF: number, outF: number): void {
    this.macs += inF * outF;
    this.params += inF * outF + outF;
  }

  get cost(): Cost {
    return { macs: this.macs, params: this.params };
  }
}

/** MACs and parameters of `network` under its current arch, for an input of [channels, size, size]. */
export function countEmitted(network: Emittable, channels: number, size: number): Cost {
  const ops = emittedOps(network, channels, size);
  return { macs: ops.reduce((n, op) => n + op.macs, 0), params: ops.reduce((n, op) => n + op.params, 0) };
}
