import * as tf from '@tensorflow/tfjs-core';
import { BatchNorm2d, Conv2d, Linear, Module, ValueSpace, type MaskDict, type SizeArg } from '../space/index.js';
import type { GraphEmitter } from './emit.js';
import { makeDivisible } from './layers.js';
import { withDefaults } from './options.js';

/** ResNet's stages: base output channels and stride (ResNet-18/34 widths; CIFAR-style stem). */
export const RESNET_STAGES: readonly { width: number; stride: number }[] = [
  { width: 64, stride: 1 },
  { width: 128, stride: 2 },
  { width: 256, stride: 2 },
  { width: 512, stride: 2 },
];

export interface ResNetOptions {
  /** Scales every base width (stem and stages). */
  widthMult?: number;
  /** Basic blocks per stage (ResNet-18: 2, 2, 2, 2). */
  blocks?: number[];
  /** Width ratios a stage's output and a block's middle channels choose from. */
  ratios?: number[];
  stemStride?: number;
  inputChannels?: number;
  numClasses?: number;
  resolution?: number;
  /** Fixes every decision (Hyperbox mask dict): the network then holds only the chosen widths. */
  mask?: MaskDict;
}

export type ResolvedResNetOptions = Required<Omit<ResNetOptions, 'mask'>>;

export const RESNET_DEFAULTS: ResolvedResNetOptions = {
  widthMult: 1,
  blocks: [2, 2, 2, 2],
  ratios: [0.25, 0.5, 0.75, 1],
  stemStride: 1,
  inputChannels: 3,
  numClasses: 10,
  resolution: 32,
};

export function resolveResNetOptions(o: ResNetOptions): ResolvedResNetOptions {
  return withDefaults(RESNET_DEFAULTS, o);
}

export const stageKey = (s: number) => `stage${s + 1}_width`;
export const blockKey = (i: number) => `block${i + 1}_width`;
export const resnetStem = (o: ResolvedResNetOptions) => makeDivisible(64 * o.widthMult);
/** Channels a width ratio gives on a base width (rounded; Hyperbox's fine-grained widths are exact ratios). */
export const ratioChannels = (base: number, ratio: number) => Math.max(1, Math.round(base * ratio));

/**
 * ResNet's basic block: 3x3 conv (stride), BN, ReLU, 3x3 conv, BN, plus the shortcut (a 1x1
 * conv and BN where the block changes size or its input's width may differ), then ReLU.
 * Elastic widths take the first channels of every weight (OFA's elastic width).
 */
export class BasicBlock extends Module {
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm2d;
  readonly shortcut: { conv: Conv2d; bn: BatchNorm2d } | undefined;

  constructor(cin: SizeArg, mid: SizeArg, cout: SizeArg, stride: number, projection: boolean) {
    super();
    this.conv1 = this.registerModule('conv1', new Conv2d(cin, mid, 3, { stride }));
    this.bn1 = this.registerModule('bn1', new BatchNorm2d(mid));
    this.conv2 = this.registerModule('conv2', new Conv2d(mid, cout, 3));
    this.bn2 = this.registerModule('bn2', new BatchNorm2d(cout));
    this.shortcut = projection ? { conv: this.registerModule('shortcut', new Conv2d(cin, cout, 1, { stride })), bn: this.registerModule('shortcut_bn', new BatchNorm2d(cout)) } : undefined;
  }

  forward(x: tf.Tensor): tf.Tensor {
    const y = this.bn2.forward(this.conv2.forward(tf.relu(this.bn1.forward(this.conv1.forward(x)))));
    const skip = this.shortcut ? this.shortcut.bn.forward(this.shortcut.conv.forward(x)) : x;
    return tf.relu(tf.add(y, skip));
  }

  emit(e: GraphEmitter, x: string, name: string): string {
    const y = e.conv(e.activation(e.conv(x, this.conv1, this.bn1, `${name}.conv1`), 'relu'), this.conv2, this.bn2, `${name}.conv2`);
    const skip = this.shortcut ? e.conv(x, this.shortcut.conv, this.shortcut.bn, `${name}.shortcut`) : x;
    return e.activation(e.node('Add', [y, skip]), 'relu');
  }
}

/**
 * Fine-grained ResNet (Hyperbox's): a CIFAR-style ResNet of basic blocks whose widths are
 * searched: each stage's output channels (`stage{s}_width`, a ratio of its base width, shared
 * by its blocks since they add) and each block's middle channels (`block{i}_width`, a ratio of
 * its stage's base width); the first block of a stage projects its shortcut.
 */
export class ResNetNetwork extends Module {
  readonly spaceId = 'resnet';
  readonly options: ResolvedResNetOptions;
  readonly stem: Conv2d;
  readonly stemBn: BatchNorm2d;
  readonly blocks: BasicBlock[] = [];
  readonly classifier: Linear;
  readonly stageWidths: ValueSpace<number>[];

  constructor(options: ResNetOptions = {}) {
    super();
    const o = resolveResNetOptions(options);
    this.options = o;
    const stem = resnetStem(o);
    this.stem = this.registerModule('stem', new Conv2d(o.inputChannels, stem, 3, { stride: o.stemStride }));
    this.stemBn = this.registerModule('stem_bn', new BatchNorm2d(stem));
    this.stageWidths = RESNET_STAGES.map((_, s) => this.registerModule(`stage_widths.${s}`, new ValueSpace(o.ratios, { key: stageKey(s), mask: options.mask })));
    let cin: SizeArg = stem;
    RESNET_STAGES.forEach((stage, s) => {
      const base = makeDivisible(stage.width * o.widthMult);
      const cout = this.stageWidths[s].map((r) => ratioChannels(base, r as number));
      for (let j = 0; j < o.blocks[s]; j++) {
        const i = this.blocks.length;
        const ratio = this.registerModule(`block_widths.${i}`, new ValueSpace(o.ratios, { key: blockKey(i), mask: options.mask }));
        const mid = ratio.map((r) => ratioChannels(base, r as number));
        this.blocks.push(this.registerModule(`blocks.${i}`, new BasicBlock(cin, mid, cout, j === 0 ? stage.stride : 1, j === 0)));
        cin = cout;
      }
    });
    this.classifier = this.registerModule('classifier', new Linear(cin, o.numClasses));
  }

  forward(x: tf.Tensor): tf.Tensor {
    let y = tf.relu(this.stemBn.forward(this.stem.forward(x)));
    for (const block of this.blocks) y = block.forward(y);
    return this.classifier.forward(tf.mean(y, [1, 2]));
  }

  emit(e: GraphEmitter, x: string): string {
    let y = e.activation(e.conv(x, this.stem, this.stemBn, 'stem'), 'relu');
    this.blocks.forEach((block, i) => (y = block.emit(e, y, `blocks.${i}`)));
    return e.linear(e.node('GlobalAveragePool', [y]), this.classifier, 'classifier', 'logits');
  }
}
