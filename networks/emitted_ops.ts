import { BatchNorm2d, Conv2d, currentSize, Linear, type BatchNormNd, type ConvNd } from '../space/index.js';
import { InputError } from '../tensor/index.js';
import type { BlockModel } from './definition.js';
import type { AttrValue, Emittable, GraphEmitter } from './emit.js';
import type { Activation } from './layers.js';

/** [channels, height, width] of a value (batch left out); [features] after a linear layer. */
export type Shape = number[];

/** One operator of a network's graph under its current arch, as a latency table and a cost count see it. */
export interface EmittedOp {
  /** Operator, attributes and shapes: equal keys run the same computation. */
  key: string;
  /** The ONNX operator (`Linear` for Flatten and Gemm together). */
  op: string;
  inputs: Shape[];
  output: Shape;
  macs: number;
  params: number;
  /** A stand-alone model of this operator alone, batch 1, random weights (to time it). */
  build(): BlockModel;
}

const convOut = (size: number, span: number, stride: number, pad: number) => Math.floor((size + 2 * pad - span) / stride) + 1;
const elements = (s: Shape) => s.reduce((a, b) => a * b, 1);
const dims = (s: Shape) => s.join('x');

/** Operators whose output has the shape of their first input. */
const SHAPE_KEEPING = new Set(['Relu', 'HardSwish', 'HardSigmoid', 'Sigmoid', 'Tanh', 'Identity', 'Neg', 'Abs', 'Clip', 'LeakyRelu', 'Softmax']);
/** Element-wise operators over (broadcast) operands. */
const ELEMENTWISE = new Set(['Add', 'Sub', 'Mul', 'Div', 'Sum', 'Max', 'Min']);

function blockOf(module: Emittable, input: Shape, output: Shape, dispose: () => void = () => {}): BlockModel {
  return { module, input: [1, ...input], output: [1, ...output], dispose };
}

/**
 * A GraphEmitter that writes nothing: it tracks each value's shape and records every operator
 * with its MACs and parameters (OFA's counters: conv cin/groups x cout x k^2 per output element;
 * BN 2 parameters per channel; linear in x out plus bias) and a way to build it alone.
 */
class OpRecorder implements GraphEmitter {
  readonly ops: EmittedOp[] = [];
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
    if (!s) throw new Error(`emitted ops: unknown value ${x}`);
    return s;
  }

  private record(op: Omit<EmittedOp, 'output'>, output: Shape): string {
    this.ops.push({ ...op, output });
    return this.value(output);
  }

  conv(x: string, conv: ConvNd, bn: BatchNormNd | undefined): string {
    const input = this.shape(x);
    const [cin, h, w] = input;
    const [cout, k] = [currentSize(conv.outChannels), currentSize(conv.kernelSize)];
    const [stride, groups, dilation] = [currentSize(conv.options.stride ?? 1), currentSize(conv.options.groups ?? 1), conv.dilation];
    const pad = conv.padding(k);
    const span = dilation * (k - 1) + 1;
    const output = [cout, convOut(h, span, stride, pad), convOut(w, span, stride, pad)];
    const bias = conv.biasActive || bn !== undefined;
    const weights = (cin / groups) * cout * k * k;
    return this.record(
      {
        key: `Conv:k${k}:s${stride}:g${groups}:d${dilation}:${bias ? 'bias' : 'nobias'}:${dims(input)}->${cout}`,
        op: 'Conv',
        inputs: [input],
        macs: weights * output[1] * output[2],
        params: weights + (conv.biasActive ? cout : 0) + (bn ? 2 * cout : 0),
        build: () => {
          const c = new Conv2d(cin, cout, k, { stride, groups, dilation });
          const b = bias ? new BatchNorm2d(cout) : undefined;
          return blockOf({ emit: (e, v) => e.conv(v, c, b, 'op') }, input, output, () => (c.dispose(), b?.dispose()));
        },
      },
      output,
    );
  }

  activation(x: string, act: Activation): string {
    if (act === 'none') return x;
    const input = this.shape(x);
    return this.record({ key: `${act}:${dims(input)}`, op: act === 'relu' ? 'Relu' : 'HardSwish', inputs: [input], macs: 0, params: 0, build: () => blockOf({ emit: (e, v) => e.activation(v, act) }, input, input) }, input);
  }

  hardSigmoid(x: string): string {
    const input = this.shape(x);
    return this.record({ key: `HardSigmoid:${dims(input)}`, op: 'HardSigmoid', inputs: [input], macs: 0, params: 0, build: () => blockOf({ emit: (e, v) => e.hardSigmoid(v) }, input, input) }, input);
  }

  linear(x: string, fc: Linear): string {
    const input = this.shape(x);
    const [inF, outF] = [elements(input), currentSize(fc.outFeatures)];
    const bias = fc.bias !== undefined;
    return this.record(
      {
        key: `Linear:${bias ? 'bias' : 'nobias'}:${dims(input)}->${outF}`,
        op: 'Linear',
        inputs: [input],
        macs: inF * outF,
        params: inF * outF + (bias ? outF : 0),
        build: () => {
          const l = new Linear(inF, outF, { bias });
          return blockOf({ emit: (e, v) => e.linear(v, l, 'op') }, input, [outF], () => l.dispose());
        },
      },
      [outF],
    );
  }

  batchNorm(x: string, bn: BatchNormNd, channels: number): string {
    const input = this.shape(x);
    return this.record(
      {
        key: `BatchNormalization:${dims(input)}`,
        op: 'BatchNormalization',
        inputs: [input],
        macs: 0,
        params: bn.weight ? 2 * channels : 0,
        build: () => {
          const b = new BatchNorm2d(channels);
          return blockOf({ emit: (e, v) => e.batchNorm(v, b, channels, 'op') }, input, input, () => b.dispose());
        },
      },
      input,
    );
  }

  crop(x: string, top: number, left: number): string {
    const input = this.shape(x);
    const [c, h, w] = input;
    const output = [c, h - top, w - left];
    return this.record({ key: `Crop:${top},${left}:${dims(input)}`, op: 'Slice', inputs: [input], macs: 0, params: 0, build: () => blockOf({ emit: (e, v) => e.crop(v, top, left) }, input, output) }, output);
  }

  constant(shape: number[]): string {
    return this.value(shape.slice(1));
  }

  node(op: string, inputs: string[], attrs: Record<string, AttrValue> = {}): string {
    const shapes = inputs.map((i) => this.shape(i));
    const output = outputShape(op, shapes, attrs);
    const build = () => {
      if (!output.known) throw new InputError(`per-op latency: no shape rule for ONNX operator '${op}'; declare latency blocks for this space (SpaceDefinition.latency)`);
      // Operands other than the first: the block's input where they have its shape, else constants.
      const module: Emittable = { emit: (e, v) => e.node(op, shapes.map((s, i) => (i === 0 || dims(s) === dims(shapes[0]) ? v : e.constant([1, ...s], `op.in${i}`))), attrs) };
      return blockOf(module, shapes[0], output.shape);
    };
    return this.record({ key: `${op}:${JSON.stringify(attrs)}:${shapes.map(dims).join(',')}`, op, inputs: shapes, macs: 0, params: 0, build }, output.shape);
  }
}

/** The output shape of a generic operator; `known` false where no rule applies (the first input's shape is assumed). */
function outputShape(op: string, shapes: Shape[], attrs: Record<string, AttrValue>): { shape: Shape; known: boolean } {
  const [c, h, w] = shapes[0];
  if (SHAPE_KEEPING.has(op)) return { shape: shapes[0], known: true };
  switch (op) {
    case 'GlobalAveragePool':
    case 'GlobalMaxPool':
      return { shape: [c, 1, 1], known: true };
    case 'AveragePool':
    case 'MaxPool': {
      const [k] = attrs.kernel_shape as number[];
      const [s] = (attrs.strides as number[] | undefined) ?? [1];
      const [p] = (attrs.pads as number[] | undefined) ?? [0];
      return { shape: [c, convOut(h, k, s, p), convOut(w, k, s, p)], known: true };
    }
    case 'Concat':
      if (attrs.axis !== 1) return { shape: shapes[0], known: false };
      return { shape: [shapes.reduce((n, s) => n + s[0], 0), h, w], known: true };
    case 'Flatten':
      return { shape: [elements(shapes[0])], known: true };
    default:
      // Broadcasting: the larger operand's shape.
      if (ELEMENTWISE.has(op)) return { shape: shapes.reduce((a, b) => (elements(b) > elements(a) ? b : a)), known: true };
      return { shape: shapes[0], known: false };
  }
}

/** Every operator `network` emits under its current arch, for an input of [channels, size, size]. */
export function emittedOps(network: Emittable, channels: number, size: number): EmittedOp[] {
  const recorder = new OpRecorder([channels, size, size]);
  network.emit(recorder, 'input', '');
  return recorder.ops;
}
