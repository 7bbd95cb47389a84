import { currentSize, type BatchNormNd, type ConvNd, type Linear } from '../space/index.js';
import type { Cost } from './definition.js';
import type { AttrValue, Emittable, GraphEmitter } from './emit.js';
import type { Activation } from './layers.js';

/** [channels, height, width] of a value (batch left out). */
type Shape = number[];

const convOut = (size: number, k: number, stride: number, pad: number) => Math.floor((size + 2 * pad - k) / stride) + 1;

/**
 * Counts MACs and parameters by walking what a network emits, tracking each value's shape:
 * the counters OFA uses (conv: cin/groups x cout x k^2 per output element; BN: 2 parameters per
 * channel, no MACs; linear: in x out plus bias). Works for any Emittable network under its
 * current arch; pooling, activations and element-wise ops count nothing.
 */
class CountingEmitter implements GraphEmitter, Cost {
  macs = 0;
  params = 0;
  private readonly shapes = new Map<string, Shape>();
  private next = 0;

  constructor(input: Shape) {
    this.shapes.set('input', input);
  }

  private value(shape: Shape): string {
    const name = `v${this.next++}`;
    this.shapes.set(name, shape);
    return name;
  }

  shape(x: string): Shape {
    const s = this.shapes.get(x);
    if (!s) throw new Error(`count: unknown value ${x}`);
    return s;
  }

  conv(x: string, conv: ConvNd, bn: BatchNormNd | undefined): string {
    const [cin, h, w] = this.shape(x);
    const cout = currentSize(conv.outChannels);
    const k = currentSize(conv.kernelSize);
    const stride = currentSize(conv.options.stride ?? 1);
    const groups = currentSize(conv.options.groups ?? 1);
    const pad = conv.padding(k);
    const span = conv.dilation * (k - 1) + 1;
    const oh = convOut(h, span, stride, pad);
    const ow = convOut(w, span, stride, pad);
    this.macs += ((cin / groups) * cout * k * k * oh * ow);
    this.params += (cin / groups) * cout * k * k + (conv.biasActive ? cout : 0) + (bn ? 2 * cout : 0);
    return this.value([cout, oh, ow]);
  }

  activation(x: string, _act: Activation): string {
    return x;
  }

  hardSigmoid(x: string): string {
    return x;
  }

  linear(x: string, fc: Linear): string {
    const inF = this.shape(x).reduce((a, b) => a * b, 1);
    const outF = currentSize(fc.outFeatures);
    this.macs += inF * outF;
    this.params += inF * outF + (fc.bias ? outF : 0);
    return this.value([outF]);
  }

  batchNorm(x: string, bn: BatchNormNd, channels: number): string {
    if (bn.weight) this.params += 2 * channels;
    return x;
  }

  crop(x: string, top: number, left: number): string {
    const [c, h, w] = this.shape(x);
    return this.value([c, h - top, w - left]);
  }

  node(op: string, inputs: string[], attrs: Record<string, AttrValue> = {}): string {
    const [c, h, w] = this.shape(inputs[0]);
    switch (op) {
      case 'GlobalAveragePool':
        return this.value([c, 1, 1]);
      case 'AveragePool':
      case 'MaxPool': {
        const [k] = attrs.kernel_shape as number[];
        const [s] = (attrs.strides as number[] | undefined) ?? [1];
        const [p] = (attrs.pads as number[] | undefined) ?? [0];
        return this.value([c, convOut(h, k, s, p), convOut(w, k, s, p)]);
      }
      case 'Add':
      case 'Mul':
      case 'Sum':
        // Broadcasting: the larger operand's shape.
        return this.value(inputs.map((i) => this.shape(i)).reduce((a, b) => (b.reduce((x, y) => x * y, 1) > a.reduce((x, y) => x * y, 1) ? b : a)));
      case 'Concat':
        return this.value([inputs.reduce((n, i) => n + this.shape(i)[0], 0), h, w]);
      default:
        return this.value(this.shape(inputs[0]));
    }
  }
}

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
  const counter = new CountingEmitter([channels, size, size]);
  network.emit(counter, 'input', '');
  return { macs: counter.macs, params: counter.params };
}
