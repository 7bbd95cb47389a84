import * as tf from '@tensorflow/tfjs-core';
import { BatchNorm2d, Conv2d, Module, ValueSpace, type SizeArg } from '../space/index.js';
import type { GraphEmitter } from './emit.js';
import { activate, hardSigmoid, makeDivisible, type Activation } from './layers.js';

export interface MBConvOptions {
  /** Kernel size of the depthwise conv (a space for elastic kernels). */
  kernel: SizeArg;
  /** Expand ratio (a space for elastic width); a fixed 1 means no expand conv (MobileNet's first block). */
  expand: number | ValueSpace<number>;
  stride?: number;
  act?: Activation;
  se?: boolean;
}

/** Squeeze-and-excite: global average, reduce (bias), ReLU, expand (bias), h-sigmoid, scale. */
export class SqueezeExcite extends Module {
  readonly reduce: Conv2d;
  readonly expand: Conv2d;

  constructor(channels: SizeArg) {
    super();
    const reduced =
      typeof channels === 'number' ? makeDivisible(Math.floor(channels / 4)) : channels.map((c) => makeDivisible(Math.floor(c / 4)));
    this.reduce = this.registerModule('reduce', new Conv2d(channels, reduced, 1, { bias: true }));
    this.expand = this.registerModule('expand', new Conv2d(reduced, channels, 1, { bias: true }));
  }

  forward(x: tf.Tensor): tf.Tensor {
    const pooled = tf.mean(x, [1, 2], true);
    const scale = hardSigmoid(this.expand.forward(tf.relu(this.reduce.forward(pooled))));
    return tf.mul(x, scale);
  }

  emit(e: GraphEmitter, x: string, name: string): string {
    const pooled = e.node('GlobalAveragePool', [x]);
    const reduced = e.node('Relu', [e.conv(pooled, this.reduce, undefined, `${name}.reduce`)]);
    return e.node('Mul', [x, e.hardSigmoid(e.conv(reduced, this.expand, undefined, `${name}.expand`))]);
  }
}

/**
 * MobileNetV2/V3 inverted residual: 1x1 expand + BN + act, depthwise k x k + BN + act,
 * optional squeeze-excite, 1x1 project + BN; identity residual when stride 1 and in == out.
 * Middle width = make_divisible(round(in * e), 8), a space derived from the expand ratio.
 */
export class MBConvBlock extends Module {
  readonly mid: SizeArg;
  readonly expandConv: Conv2d | undefined;
  readonly expandBn: BatchNorm2d | undefined;
  readonly depthwise: Conv2d;
  readonly depthwiseBn: BatchNorm2d;
  readonly se: SqueezeExcite | undefined;
  readonly project: Conv2d;
  readonly projectBn: BatchNorm2d;
  readonly act: Activation;
  readonly residual: boolean;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    options: MBConvOptions,
  ) {
    super();
    const stride = options.stride ?? 1;
    this.act = options.act ?? 'relu';
    const toMid = (e: number) => makeDivisible(Math.round(inChannels * e));
    const mid = typeof options.expand === 'number' ? toMid(options.expand) : options.expand.map(toMid);
    this.mid = mid;
    const hasExpand = options.expand !== 1;
    this.expandConv = hasExpand ? this.registerModule('expand', new Conv2d(inChannels, mid, 1)) : undefined;
    this.expandBn = hasExpand ? this.registerModule('expand_bn', new BatchNorm2d(mid)) : undefined;
    this.depthwise = this.registerModule('depthwise', new Conv2d(mid, mid, options.kernel, { stride, groups: mid }));
    this.depthwiseBn = this.registerModule('depthwise_bn', new BatchNorm2d(mid));
    this.se = options.se ? this.registerModule('se', new SqueezeExcite(mid)) : undefined;
    this.project = this.registerModule('project', new Conv2d(mid, outChannels, 1));
    this.projectBn = this.registerModule('project_bn', new BatchNorm2d(outChannels));
    this.residual = stride === 1 && inChannels === outChannels;
  }

  forward(x: tf.Tensor): tf.Tensor {
    let y = this.expandConv ? activate(this.expandBn!.forward(this.expandConv.forward(x)), this.act) : x;
    y = activate(this.depthwiseBn.forward(this.depthwise.forward(y)), this.act);
    if (this.se) y = this.se.forward(y);
    y = this.projectBn.forward(this.project.forward(y));
    return this.residual ? tf.add(x, y) : y;
  }

  emit(e: GraphEmitter, x: string, name: string): string {
    let y = x;
    if (this.expandConv) y = e.activation(e.conv(y, this.expandConv, this.expandBn, `${name}.expand`), this.act);
    y = e.activation(e.conv(y, this.depthwise, this.depthwiseBn, `${name}.depthwise`), this.act);
    if (this.se) y = this.se.emit(e, y, `${name}.se`);
    y = e.conv(y, this.project, this.projectBn, `${name}.project`);
    return this.residual ? e.node('Add', [x, y]) : y;
  }
}

/** Permutes `v` along `axis` by `order` (in place on the variable). */
function permute(v: tf.Variable | undefined, order: tf.Tensor1D, axis: number): void {
  if (v) tf.tidy(() => v.assign(tf.gather(v, order, axis)));
}

function permuteBn(bn: BatchNorm2d | undefined, order: tf.Tensor1D): void {
  if (!bn) return;
  for (const v of [bn.weight, bn.bias, bn.runningMean, bn.runningVar]) permute(v, order, 0);
}

/** Indices that sort the L1 norm of `w` over every axis but `axis`, largest first. */
function importanceOrder(w: tf.Tensor, axis: number): tf.Tensor1D {
  return tf.tidy(() => {
    const axes = w.shape.map((_, i) => i).filter((i) => i !== axis);
    const importance = tf.sum(tf.abs(w), axes);
    return tf.topk(importance, importance.size).indices as tf.Tensor1D;
  });
}

/**
 * OFA's elastic-width step: reorders the expanded (middle) channels of a block by
 * importance (L1 norm of the project conv's weights per input channel), and the SE's
 * hidden channels by the L1 norm of its expand weights, so that keeping the first channels
 * keeps the most important ones. Permutes every weight that touches those channels; the
 * full-width block computes the same function before and after.
 */
export function sortBlockChannels(block: MBConvBlock): void {
  if (!block.expandConv) return; // no middle channels of its own
  const order = importanceOrder(block.project.weight, 1);
  permute(block.project.weight, order, 1);
  permute(block.depthwise.weight, order, 0);
  permuteBn(block.depthwiseBn, order);
  permute(block.expandConv.weight, order, 0);
  permuteBn(block.expandBn, order);
  if (block.se) {
    const { reduce, expand } = block.se;
    permute(expand.weight, order, 0);
    permute(expand.bias, order, 0);
    permute(reduce.weight, order, 1);
    const seOrder = importanceOrder(expand.weight, 1);
    permute(expand.weight, seOrder, 1);
    permute(reduce.weight, seOrder, 0);
    permute(reduce.bias, seOrder, 0);
    seOrder.dispose();
  }
  order.dispose();
}
