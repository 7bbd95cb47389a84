import * as tf from '@tensorflow/tfjs-core';
import { BatchNorm2d, Conv2d, Module, ValueSpace, type SizeArg } from '../space/index.js';
import { activate, hardSigmoid, makeDivisible, type Activation } from './layers.js';

export interface MBConvOptions {
  /** Kernel size of the depthwise conv (a space for elastic kernels). */
  kernel: SizeArg;
  /** Expand ratio (a space for elastic width). */
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
}

/**
 * MobileNetV2/V3 inverted residual: 1x1 expand + BN + act, depthwise k x k + BN + act,
 * optional squeeze-excite, 1x1 project + BN; identity residual when stride 1 and in == out.
 * Middle width = make_divisible(round(in * e), 8), a space derived from the expand ratio.
 */
export class MBConvBlock extends Module {
  readonly mid: SizeArg;
  readonly expandConv: Conv2d;
  readonly expandBn: BatchNorm2d;
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
    this.expandConv = this.registerModule('expand', new Conv2d(inChannels, mid, 1));
    this.expandBn = this.registerModule('expand_bn', new BatchNorm2d(mid));
    this.depthwise = this.registerModule('depthwise', new Conv2d(mid, mid, options.kernel, { stride, groups: mid }));
    this.depthwiseBn = this.registerModule('depthwise_bn', new BatchNorm2d(mid));
    this.se = options.se ? this.registerModule('se', new SqueezeExcite(mid)) : undefined;
    this.project = this.registerModule('project', new Conv2d(mid, outChannels, 1));
    this.projectBn = this.registerModule('project_bn', new BatchNorm2d(outChannels));
    this.residual = stride === 1 && inChannels === outChannels;
  }

  forward(x: tf.Tensor): tf.Tensor {
    let y = activate(this.expandBn.forward(this.expandConv.forward(x)), this.act);
    y = activate(this.depthwiseBn.forward(this.depthwise.forward(y)), this.act);
    if (this.se) y = this.se.forward(y);
    y = this.projectBn.forward(this.project.forward(y));
    return this.residual ? tf.add(x, y) : y;
  }
}
