import * as tf from '@tensorflow/tfjs-core';
import { BatchNorm2d, Conv2d, Linear, Module, OperationSpace, type AnyModule, type MaskDict } from '../space/index.js';
import type { GraphEmitter } from './emit.js';
import { activate, makeDivisible, stridedSize } from './layers.js';
import { MBConvBlock } from './mbconv.js';
import { Identity } from './nb201.js';
import { withDefaults } from './options.js';

/** ProxylessNAS's mobile backbone (Cai et al., ICLR 2019): base width, layers and stride of each stage. */
export const PROXYLESS_STAGES: readonly { width: number; layers: number; stride: number }[] = [
  { width: 24, layers: 4, stride: 2 },
  { width: 40, layers: 4, stride: 2 },
  { width: 80, layers: 4, stride: 2 },
  { width: 96, layers: 4, stride: 1 },
  { width: 192, layers: 4, stride: 2 },
  { width: 320, layers: 1, stride: 1 },
];

const BASE = { stem: 32, firstBlock: 16, featureMix: 1280 };

/** The operation a layer that may be skipped takes to skip itself (its residual carries the input). */
export const ZERO_OP = 'zero';

export interface ProxylessOptions {
  widthMult?: number;
  /** Layers of each stage (ProxylessNAS: 4, 4, 4, 4, 4, 1); fewer make a smaller space. */
  stageLayers?: number[];
  stemStride?: number;
  inputChannels?: number;
  numClasses?: number;
  resolution?: number;
  kernelSizes?: number[];
  expandRatios?: number[];
  /** Fixes every layer (Hyperbox mask dict): the network then holds only the chosen operations. */
  mask?: MaskDict;
}

export type ResolvedProxylessOptions = Required<Omit<ProxylessOptions, 'mask'>>;

export const PROXYLESS_DEFAULTS: ResolvedProxylessOptions = {
  widthMult: 1,
  stageLayers: PROXYLESS_STAGES.map((s) => s.layers),
  stemStride: 2,
  inputChannels: 3,
  numClasses: 1000,
  resolution: 224,
  kernelSizes: [3, 5, 7],
  expandRatios: [3, 6],
};

export function resolveProxylessOptions(o: ProxylessOptions): ResolvedProxylessOptions {
  return withDefaults(PROXYLESS_DEFAULTS, o);
}

export function proxylessWidths(widthMult: number) {
  const w = (c: number) => makeDivisible(c * widthMult);
  return { stem: w(BASE.stem), firstBlock: w(BASE.firstBlock), stages: PROXYLESS_STAGES.map((s) => w(s.width)), featureMix: w(BASE.featureMix) };
}

export const mbOpName = (k: number, e: number) => `mb_k${k}_e${e}`;

/** One searchable layer: where it sits, its shape, and its candidate operations in order. */
export interface ProxylessLayer {
  key: string;
  stage: number;
  cin: number;
  cout: number;
  stride: number;
  /** Input height and width. */
  size: number;
  ops: { name: string; k: number; e: number }[];
  /** Whether `zero` is among the ops (every layer but a stage's first, which changes shape). */
  skippable: boolean;
}


/** The searchable layers of a configuration, keyed `layer1`, `layer2`, ... in order. */
export function proxylessLayers(o: ResolvedProxylessOptions): ProxylessLayer[] {
  const w = proxylessWidths(o.widthMult);
  const mbOps = o.kernelSizes.flatMap((k) => o.expandRatios.map((e) => ({ name: mbOpName(k, e), k, e })));
  const layers: ProxylessLayer[] = [];
  let size = stridedSize(o.resolution, o.stemStride);
  let cin = w.firstBlock;
  PROXYLESS_STAGES.forEach((stage, s) => {
    for (let i = 0; i < o.stageLayers[s]; i++) {
      const stride = i === 0 ? stage.stride : 1;
      const skippable = i > 0;
      layers.push({ key: `layer${layers.length + 1}`, stage: s, cin, cout: w.stages[s], stride, size, skippable, ops: skippable ? [...mbOps, { name: ZERO_OP, k: 0, e: 0 }] : mbOps });
      size = stridedSize(size, stride);
      cin = w.stages[s];
    }
  });
  return layers;
}

/** The spatial size after the stem and every layer (the head's input). */
export function proxylessFinalSize(o: ResolvedProxylessOptions): number {
  return proxylessLayers(o).reduce((size, l) => stridedSize(size, l.stride), stridedSize(o.resolution, o.stemStride));
}

/**
 * ProxylessNAS's search space over a MobileNetV2 backbone: 3x3 stem, a fixed MBConv (k3, e1),
 * then each layer an `OperationSpace` of MBConv candidates (kernel x expand, separate weights,
 * as ProxylessNAS trains them) plus `zero` where a layer may be skipped; a 1x1 feature-mix
 * conv, global average pooling and a linear classifier. ReLU where ProxylessNAS has ReLU6.
 */
export class ProxylessNetwork extends Module {
  readonly spaceId = 'proxyless';
  readonly options: ResolvedProxylessOptions;
  readonly stem: Conv2d;
  readonly stemBn: BatchNorm2d;
  readonly firstBlock: MBConvBlock;
  readonly layers: OperationSpace[];
  readonly featureMix: Conv2d;
  readonly featureMixBn: BatchNorm2d;
  readonly classifier: Linear;

  constructor(options: ProxylessOptions = {}) {
    super();
    const o = resolveProxylessOptions(options);
    this.options = o;
    const w = proxylessWidths(o.widthMult);
    this.stem = this.registerModule('stem', new Conv2d(o.inputChannels, w.stem, 3, { stride: o.stemStride }));
    this.stemBn = this.registerModule('stem_bn', new BatchNorm2d(w.stem));
    this.firstBlock = this.registerModule('first_block', new MBConvBlock(w.stem, w.firstBlock, { kernel: 3, expand: 1 }));
    this.layers = proxylessLayers(o).map((layer) => {
      const candidates: Record<string, AnyModule> = Object.fromEntries(
        layer.ops.map((op) => [op.name, op.name === ZERO_OP ? new Identity() : new MBConvBlock(layer.cin, layer.cout, { kernel: op.k, expand: op.e, stride: layer.stride })]),
      );
      return this.registerModule(`layers.${layer.key}`, new OperationSpace(candidates, { key: layer.key, mask: options.mask }));
    });
    const last = w.stages[w.stages.length - 1];
    this.featureMix = this.registerModule('feature_mix', new Conv2d(last, w.featureMix, 1));
    this.featureMixBn = this.registerModule('feature_mix_bn', new BatchNorm2d(w.featureMix));
    this.classifier = this.registerModule('classifier', new Linear(w.featureMix, o.numClasses));
  }

  forward(x: tf.Tensor): tf.Tensor {
    let y = this.firstBlock.forward(activate(this.stemBn.forward(this.stem.forward(x)), 'relu'));
    for (const layer of this.layers) y = layer.forward(y) as tf.Tensor;
    y = activate(this.featureMixBn.forward(this.featureMix.forward(y)), 'relu');
    return this.classifier.forward(tf.mean(y, [1, 2]));
  }

  emit(e: GraphEmitter, x: string): string {
    let y = this.firstBlock.emit(e, e.activation(e.conv(x, this.stem, this.stemBn, 'stem'), 'relu'), 'first_block');
    for (const layer of this.layers) {
      const op = layer.choice as string;
      if (op !== ZERO_OP) y = (layer.candidate(op) as MBConvBlock).emit(e, y, `layers.${layer.key}.${op}`);
    }
    y = e.activation(e.conv(y, this.featureMix, this.featureMixBn, 'feature_mix'), 'relu');
    return e.linear(e.node('GlobalAveragePool', [y]), this.classifier, 'classifier', 'logits');
  }
}
