import * as tf from '@tensorflow/tfjs-core';
import { BatchNorm2d, Conv2d, Linear, Module, ValueSpace, type MaskDict } from '../space/index.js';
import type { GraphEmitter } from './emit.js';
import { activate, makeDivisible, type Activation } from './layers.js';
import { MBConvBlock, sortBlockChannels } from './mbconv.js';

export interface OFAMobileNetV3Options {
  widthMult?: number;
  numClasses?: number;
  inputChannels?: number;
  /** 2 for ImageNet-size inputs, 1 for small images. */
  stemStride?: number;
  kernelSizes?: number[];
  expandRatios?: number[];
  depths?: number[];
  resolutions?: number[];
  /** Fixes every decision (Hyperbox mask dict): the network then holds exactly that subnet. */
  mask?: MaskDict;
}

export type ResolvedOFAOptions = Required<Omit<OFAMobileNetV3Options, 'mask'>>;

/** OFA's ImageNet configuration. */
export const OFA_IMAGENET: ResolvedOFAOptions = {
  widthMult: 1.0,
  numClasses: 1000,
  inputChannels: 3,
  stemStride: 2,
  kernelSizes: [3, 5, 7],
  expandRatios: [3, 4, 6],
  depths: [2, 3, 4],
  resolutions: Array.from({ length: 25 }, (_, i) => 128 + 4 * i),
};

export const OFA_STAGES: readonly { width: number; stride: number; act: Activation; se: boolean }[] = [
  { width: 24, stride: 2, act: 'relu', se: false },
  { width: 40, stride: 2, act: 'relu', se: true },
  { width: 80, stride: 2, act: 'hswish', se: false },
  { width: 112, stride: 1, act: 'hswish', se: true },
  { width: 160, stride: 2, act: 'hswish', se: true },
];

const BASE = { stem: 16, firstBlock: 16, finalExpand: 960, lastChannel: 1280 };

export function resolveOFAOptions(options: OFAMobileNetV3Options = {}): ResolvedOFAOptions {
  const { mask: _mask, ...rest } = options;
  const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
  const r = { ...OFA_IMAGENET, ...rest };
  return { ...r, kernelSizes: sorted(r.kernelSizes), expandRatios: sorted(r.expandRatios), depths: sorted(r.depths), resolutions: sorted(r.resolutions) };
}

/** Widths after the width multiplier. */
export function ofaWidths(widthMult: number) {
  const w = (c: number) => makeDivisible(c * widthMult);
  return {
    stem: w(BASE.stem),
    firstBlock: w(BASE.firstBlock),
    stages: OFA_STAGES.map((s) => w(s.width)),
    finalExpand: w(BASE.finalExpand),
    lastChannel: w(BASE.lastChannel),
  };
}

/** Blocks a stage holds in the supernet (its largest depth). */
export const blocksPerStage = (o: ResolvedOFAOptions) => Math.max(...o.depths);

/**
 * The OFA MobileNetV3 supernet (Cai et al., ICLR 2020), from space/ primitives: keys
 * `ks_block{1..20}`, `er_block{1..20}`, `depth{1..5}`, `resolution`. Elastic kernel through
 * transform matrices, elastic width through sorted middle channels (`sortChannels()`),
 * elastic depth keeping the first d blocks of each stage. With `mask`, every decision is
 * fixed and only the chosen blocks and widths are allocated.
 */
export class OFAMobileNetV3 extends Module {
  readonly spaceId = 'ofa-mbv3';
  readonly options: ResolvedOFAOptions;
  readonly resolution: ValueSpace<number>;
  readonly depth: ValueSpace<number>[];
  readonly stem: Conv2d;
  readonly stemBn: BatchNorm2d;
  readonly firstBlock: MBConvBlock;
  /** Blocks of each stage (all of them in a supernet, the first d in a fixed subnet). */
  readonly stages: MBConvBlock[][];
  readonly finalExpand: Conv2d;
  readonly finalExpandBn: BatchNorm2d;
  readonly featureMix: Conv2d;
  readonly classifier: Linear;

  constructor(options: OFAMobileNetV3Options = {}) {
    super();
    const o = resolveOFAOptions(options);
    this.options = o;
    const mask = options.mask;
    const widths = ofaWidths(o.widthMult);
    this.resolution = this.registerModule('resolution', new ValueSpace(o.resolutions, { key: 'resolution', mask }));
    this.stem = this.registerModule('stem', new Conv2d(o.inputChannels, widths.stem, 3, { stride: o.stemStride }));
    this.stemBn = this.registerModule('stem_bn', new BatchNorm2d(widths.stem));
    this.firstBlock = this.registerModule('blocks.0', new MBConvBlock(widths.stem, widths.firstBlock, { kernel: 3, expand: 1, act: 'relu' }));
    const perStage = blocksPerStage(o);
    let inC = widths.firstBlock;
    let index = 1;
    this.depth = [];
    this.stages = OFA_STAGES.map((stage, s) => {
      const depth = this.registerModule(`depth${s + 1}`, new ValueSpace(o.depths, { key: `depth${s + 1}`, mask }));
      this.depth.push(depth);
      const built = mask ? depth.value : perStage;
      const blocks: MBConvBlock[] = [];
      for (let i = 0; i < perStage; i++, index++) {
        if (i >= built) continue; // keep numbering: block i of stage s is always blocks.<index>
        const block = new MBConvBlock(inC, widths.stages[s], {
          kernel: new ValueSpace(o.kernelSizes, { key: `ks_block${index}`, mask }),
          expand: new ValueSpace(o.expandRatios, { key: `er_block${index}`, mask }),
          stride: i === 0 ? stage.stride : 1,
          act: stage.act,
          se: stage.se,
        });
        blocks.push(this.registerModule(`blocks.${index}`, block));
        inC = widths.stages[s];
      }
      return blocks;
    });
    this.finalExpand = this.registerModule('final_expand', new Conv2d(inC, widths.finalExpand, 1));
    this.finalExpandBn = this.registerModule('final_expand_bn', new BatchNorm2d(widths.finalExpand));
    this.featureMix = this.registerModule('feature_mix', new Conv2d(widths.finalExpand, widths.lastChannel, 1));
    this.classifier = this.registerModule('classifier', new Linear(widths.lastChannel, o.numClasses));
  }

  /** The blocks the current arch runs, in order (first block included). */
  activeBlocks(): MBConvBlock[] {
    return [this.firstBlock, ...this.stages.flatMap((blocks, s) => blocks.slice(0, this.depth[s].value))];
  }

  forward(x: tf.Tensor): tf.Tensor {
    let y = activate(this.stemBn.forward(this.stem.forward(x)), 'hswish');
    for (const block of this.activeBlocks()) y = block.forward(y);
    y = activate(this.finalExpandBn.forward(this.finalExpand.forward(y)), 'hswish');
    y = activate(this.featureMix.forward(tf.mean(y, [1, 2], true)), 'hswish');
    return this.classifier.forward(tf.reshape(y, [y.shape[0], -1]));
  }

  emit(e: GraphEmitter, x: string): string {
    let y = e.activation(e.conv(x, this.stem, this.stemBn, 'stem'), 'hswish');
    const paths = new Map(this.namedModules().map(([path, m]) => [m, path]));
    for (const block of this.activeBlocks()) y = block.emit(e, y, paths.get(block)!);
    y = e.activation(e.conv(y, this.finalExpand, this.finalExpandBn, 'final_expand'), 'hswish');
    y = e.activation(e.conv(e.node('GlobalAveragePool', [y]), this.featureMix, undefined, 'feature_mix'), 'hswish');
    return e.linear(y, this.classifier, 'classifier', 'logits');
  }

  /** Reorders every block's middle channels by importance (before shrinking the expand ratio). */
  sortChannels(): void {
    for (const blocks of this.stages) for (const block of blocks) sortBlockChannels(block);
  }
}
