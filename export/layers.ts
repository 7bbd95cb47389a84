import * as tf from '@tensorflow/tfjs-core';
import type { Activation, AttrValue, GraphEmitter } from '../networks/index.js';
import type { BatchNormNd, ConvNd, Linear } from '../space/index.js';
import { currentSize } from '../space/index.js';
import type { GraphBuilder } from './graph.js';

/** What emitters need besides the graph: the opset decides HardSwish or its expansion. */
export interface EmitContext {
  g: GraphBuilder;
  opset: number;
}

function activeConv(conv: ConvNd): { w: tf.Tensor; k: number; stride: number; groups: number; cout: number; cin: number } {
  const cin = currentSize(conv.inChannels);
  const cout = currentSize(conv.outChannels);
  const k = currentSize(conv.kernelSize);
  const stride = currentSize(conv.options.stride ?? 1);
  const groups = currentSize(conv.options.groups ?? 1);
  return { w: conv.activeWeight(cout, cin / groups, k), k, stride, groups, cout, cin };
}

function slice1d(v: tf.Tensor, n: number): tf.Tensor {
  return v.shape[0] === n ? v : tf.slice(v, [0], [n]);
}

/**
 * A conv (active slice) with the following batch norm folded in:
 * w' = w * gamma / sqrt(var + eps), b' = beta + (b - mean) * gamma / sqrt(var + eps).
 */
export function emitConv(ctx: EmitContext, x: string, conv: ConvNd, bn: BatchNormNd | undefined, name: string): string {
  const { w, b } = tf.tidy(() => {
    const a = activeConv(conv);
    const bias = conv.biasActive ? slice1d(conv.bias!, a.cout) : undefined;
    // Clones: the active slice can be the module's own variable, which must outlive this.
    if (!bn) return { w: tf.clone(a.w), b: bias && tf.clone(bias) };
    const gamma = bn.weight ? slice1d(bn.weight, a.cout) : tf.ones([a.cout]);
    const beta = bn.bias ? slice1d(bn.bias, a.cout) : tf.zeros([a.cout]);
    const scale = tf.div(gamma, tf.sqrt(tf.add(slice1d(bn.runningVar, a.cout), bn.eps)));
    const folded = tf.mul(a.w, tf.reshape(scale, [a.cout, ...new Array(a.w.rank - 1).fill(1)]));
    const shift = tf.add(beta, tf.mul(tf.sub(bias ?? tf.zeros([a.cout]), slice1d(bn.runningMean, a.cout)), scale));
    return { w: folded, b: shift };
  });
  const a = { k: currentSize(conv.kernelSize), stride: currentSize(conv.options.stride ?? 1), groups: currentSize(conv.options.groups ?? 1) };
  const pad = conv.padding(a.k);
  const inputs = [x, ctx.g.initializer(`${name}.weight`, w.dataSync() as Float32Array, w.shape)];
  if (b) inputs.push(ctx.g.initializer(`${name}.bias`, b.dataSync() as Float32Array, b.shape));
  w.dispose();
  b?.dispose();
  const dims = w.shape.length - 2;
  return ctx.g.node('Conv', inputs, {
    kernel_shape: new Array(dims).fill(a.k),
    strides: new Array(dims).fill(a.stride),
    pads: new Array(2 * dims).fill(pad),
    dilations: new Array(dims).fill(conv.dilation),
    group: a.groups,
  });
}

export function emitActivation(ctx: EmitContext, x: string, act: Activation): string {
  switch (act) {
    case 'relu':
      return ctx.g.node('Relu', [x]);
    case 'hswish':
      return ctx.opset >= 14 ? ctx.g.node('HardSwish', [x]) : ctx.g.node('Mul', [x, emitHardSigmoid(ctx, x)]);
    case 'none':
      return x;
  }
}

export function emitHardSigmoid(ctx: EmitContext, x: string): string {
  return ctx.g.node('HardSigmoid', [x], { alpha: { float: 1 / 6 }, beta: { float: 0.5 } });
}

/** Flatten then Gemm with the PyTorch-layout weight [out, in] (transB). */
export function emitLinear(ctx: EmitContext, x: string, fc: Linear, name: string, output?: string): string {
  const inF = currentSize(fc.inFeatures);
  const outF = currentSize(fc.outFeatures);
  const { w, b } = tf.tidy(() => ({
    w: tf.slice(fc.weight, [0, 0], [outF, inF]),
    b: fc.bias ? tf.slice(fc.bias, [0], [outF]) : undefined,
  }));
  const flat = ctx.g.node('Flatten', [x], { axis: 1 });
  const inputs = [flat, ctx.g.initializer(`${name}.weight`, w.dataSync() as Float32Array, [outF, inF])];
  if (b) inputs.push(ctx.g.initializer(`${name}.bias`, b.dataSync() as Float32Array, [outF]));
  w.dispose();
  b?.dispose();
  return ctx.g.node('Gemm', inputs, { transB: 1 }, output);
}

/** A batch norm in eval mode as BatchNormalization (for one that follows no conv). */
export function emitBatchNorm(ctx: EmitContext, x: string, bn: BatchNormNd, channels: number, name: string): string {
  const values = tf.tidy(() => [
    bn.weight ? slice1d(bn.weight, channels) : tf.ones([channels]),
    bn.bias ? slice1d(bn.bias, channels) : tf.zeros([channels]),
    slice1d(bn.runningMean, channels),
    slice1d(bn.runningVar, channels),
  ].map((t) => tf.clone(t)));
  const inputs = ['scale', 'bias', 'mean', 'var'].map((part, i) => ctx.g.initializer(`${name}.${part}`, Float32Array.from(values[i].dataSync()), [channels]));
  values.forEach((t) => t.dispose());
  return ctx.g.node('BatchNormalization', [x, ...inputs], { epsilon: { float: bn.eps } });
}

/** The GraphEmitter networks write themselves through, over an ONNX graph. */
export class OnnxEmitter implements GraphEmitter {
  constructor(readonly ctx: EmitContext) {}

  conv(x: string, conv: ConvNd, bn: BatchNormNd | undefined, name: string): string {
    return emitConv(this.ctx, x, conv, bn, name);
  }

  activation(x: string, act: Activation): string {
    return emitActivation(this.ctx, x, act);
  }

  hardSigmoid(x: string): string {
    return emitHardSigmoid(this.ctx, x);
  }

  linear(x: string, fc: Linear, name: string, output?: string): string {
    return emitLinear(this.ctx, x, fc, name, output);
  }

  batchNorm(x: string, bn: BatchNormNd, channels: number, name: string): string {
    return emitBatchNorm(this.ctx, x, bn, channels, name);
  }

  crop(x: string, top: number, left: number): string {
    const g = this.ctx.g;
    const bound = (base: string, values: number[]) => g.int64Initializer(base, values);
    return g.node('Slice', [x, bound('crop_starts', [top, left]), bound('crop_ends', [Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER]), bound('crop_axes', [2, 3])]);
  }

  constant(shape: number[], name: string): string {
    return this.ctx.g.initializer(name, new Float32Array(shape.reduce((a, b) => a * b, 1)), shape);
  }

  node(op: string, inputs: string[], attrs?: Record<string, AttrValue>, output?: string): string {
    return this.ctx.g.node(op, inputs, attrs, output);
  }
}
