import * as tf from '@tensorflow/tfjs-core';
import { BatchNorm2d, Conv2d, Linear, Module, ValueSpace, type MaskDict } from '../space/index.js';
import type { GraphEmitter } from './emit.js';
import { activate, type Activation } from './layers.js';
import { MBConvBlock } from './mbconv.js';

export interface MBConvStackOptions {
  inputChannels?: number;
  numClasses?: number;
  stemChannels?: number;
  /** One entry per block: output width and stride. */
  blocks?: { out: number; stride: number; se?: boolean; act?: Activation }[];
  kernelSizes?: number[];
  expandRatios?: number[];
  /** Fixes every decision (Hyperbox mask dict): the network then holds only the chosen kernels and widths. */
  mask?: MaskDict;
}

export const DEFAULT_STACK_BLOCKS = [
  { out: 24, stride: 2 },
  { out: 24, stride: 1 },
  { out: 40, stride: 2, se: true },
  { out: 40, stride: 1, se: true },
  { out: 80, stride: 2, act: 'hswish' as const },
  { out: 80, stride: 1, act: 'hswish' as const },
];

/**
 * A small MobileNet-style search space for small images: 3x3 stem (stride 1), a stack
 * of inverted-residual blocks with an elastic kernel (`ks_block{i}`) and expand ratio
 * (`er_block{i}`) each, global average pooling and a linear classifier.
 */
export class MBConvStack extends Module {
  readonly spaceId = 'mbconv-stack';
  readonly stem: Conv2d;
  readonly stemBn: BatchNorm2d;
  readonly blocks: MBConvBlock[];
  readonly classifier: Linear;

  readonly options: Omit<MBConvStackOptions, 'mask'>;

  constructor(options: MBConvStackOptions = {}) {
    super();
    const { mask, ...rest } = options;
    this.options = rest;
    const stemC = options.stemChannels ?? 16;
    const ks = options.kernelSizes ?? [3, 5, 7];
    const er = options.expandRatios ?? [3, 4, 6];
    this.stem = this.registerModule('stem', new Conv2d(options.inputChannels ?? 3, stemC, 3));
    this.stemBn = this.registerModule('stem_bn', new BatchNorm2d(stemC));
    let inC = stemC;
    this.blocks = (options.blocks ?? DEFAULT_STACK_BLOCKS).map((b, i) => {
      const block = new MBConvBlock(inC, b.out, {
        kernel: new ValueSpace(ks, { key: `ks_block${i + 1}`, mask }),
        expand: new ValueSpace(er, { key: `er_block${i + 1}`, mask }),
        stride: b.stride,
        se: b.se,
        act: b.act,
      });
      inC = b.out;
      return this.registerModule(`blocks.${i}`, block);
    });
    this.classifier = this.registerModule('classifier', new Linear(inC, options.numClasses ?? 10));
  }

  forward(x: tf.Tensor): tf.Tensor {
    let y = activate(this.stemBn.forward(this.stem.forward(x)), 'hswish');
    for (const block of this.blocks) y = block.forward(y);
    return this.classifier.forward(tf.mean(y, [1, 2]));
  }

  emit(e: GraphEmitter, x: string): string {
    let y = e.activation(e.conv(x, this.stem, this.stemBn, 'stem'), 'hswish');
    this.blocks.forEach((block, i) => (y = block.emit(e, y, `blocks.${i}`)));
    return e.linear(e.node('GlobalAveragePool', [y]), this.classifier, 'classifier', 'logits');
  }
}
