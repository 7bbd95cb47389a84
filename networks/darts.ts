import * as tf from '@tensorflow/tfjs-core';
import { avgPoolExcludingPadding, BatchNorm2d, Conv2d, InputSpace, Linear, Module, OperationSpace, type AnyModule, type MaskDict } from '../space/index.js';
import type { GraphEmitter } from './emit.js';
import { Identity, ReLUConvBN } from './nb201.js';
import { withDefaults } from './options.js';

/** DARTS' candidate operations on every edge, in its own order and names. */
export const DARTS_OPS = ['none', 'max_pool_3x3', 'avg_pool_3x3', 'skip_connect', 'sep_conv_3x3', 'sep_conv_5x5', 'dil_conv_3x3', 'dil_conv_5x5'] as const;
export type DartsOp = (typeof DARTS_OPS)[number];

/** Intermediate nodes per cell (DARTS: 4), numbered 2..5 after the cell's two inputs 0 and 1. */
export const DARTS_NODES = 4;
export type CellType = 'normal' | 'reduce';

export const edgeKey = (type: CellType, node: number, input: number) => `${type}_n${node}_p${input}`;
export const switchKey = (type: CellType, node: number) => `${type}_n${node}_switch`;

export interface DartsOptions {
  /** Channels of the first cells (DARTS search: 16); doubled at each reduction cell. */
  channels?: number;
  /** Cells (DARTS search: 8); reduction cells at a third and two thirds. */
  layers?: number;
  inputChannels?: number;
  numClasses?: number;
  /** Input height and width (DARTS: 32). */
  resolution?: number;
  /** Fixes every decision (Hyperbox mask dict): the network then holds only the chosen operations. */
  mask?: MaskDict;
}

export type ResolvedDartsOptions = Required<Omit<DartsOptions, 'mask'>>;

export const DARTS_DEFAULTS: ResolvedDartsOptions = { channels: 16, layers: 8, inputChannels: 3, numClasses: 10, resolution: 32 };
export const STEM_MULTIPLIER = 3;

export function resolveDartsOptions(o: DartsOptions): ResolvedDartsOptions {
  return withDefaults(DARTS_DEFAULTS, o);
}

export const isReduction = (layer: number, layers: number) => layer === Math.floor(layers / 3) || layer === Math.floor((2 * layers) / 3);

/** A cell as it runs: its type, channels, input size, its inputs' sizes and channels. */
export interface CellShape {
  type: CellType;
  c: number;
  size: number;
  prevPrevSize: number;
  prevPrev: number;
  prev: number;
}

/** Every cell's shape, and the last cell's output size and channels (the classifier's input). */
export function dartsCells(o: ResolvedDartsOptions): { cells: CellShape[]; finalSize: number; finalChannels: number } {
  const stem = STEM_MULTIPLIER * o.channels;
  const cells: CellShape[] = [];
  let [prevPrev, prev, c] = [stem, stem, o.channels];
  let [prevPrevSize, size] = [o.resolution, o.resolution];
  for (let i = 0; i < o.layers; i++) {
    const reduction = isReduction(i, o.layers);
    if (reduction) c *= 2;
    cells.push({ type: reduction ? 'reduce' : 'normal', c, size, prevPrevSize, prevPrev, prev });
    [prevPrev, prev] = [prev, DARTS_NODES * c];
    [prevPrevSize, size] = [size, reduction ? size / 2 : size];
  }
  return { cells, finalSize: size, finalChannels: prev };
}

const halve = (size: number, stride: number) => Math.ceil(size / stride);

/** ReLU, depthwise k x k (dilated), pointwise 1x1, BN: DARTS' dil_conv; a sep_conv is two of them, the second at stride 1. */
export class DilConv extends Module {
  readonly depthwise: Conv2d;
  readonly pointwise: Conv2d;
  readonly bn: BatchNorm2d;

  constructor(channels: number, kernel: number, stride: number, dilation: number) {
    super();
    this.depthwise = this.registerModule('depthwise', new Conv2d(channels, channels, kernel, { stride, groups: channels, dilation }));
    this.pointwise = this.registerModule('pointwise', new Conv2d(channels, channels, 1));
    this.bn = this.registerModule('bn', new BatchNorm2d(channels));
  }

  forward(x: tf.Tensor): tf.Tensor {
    return this.bn.forward(this.pointwise.forward(this.depthwise.forward(tf.relu(x))));
  }

  emit(e: GraphEmitter, x: string, name: string): string {
    return e.conv(e.conv(e.node('Relu', [x]), this.depthwise, undefined, `${name}.depthwise`), this.pointwise, this.bn, `${name}.pointwise`);
  }
}

export class SepConv extends Module {
  readonly first: DilConv;
  readonly second: DilConv;

  constructor(channels: number, kernel: number, stride: number) {
    super();
    this.first = this.registerModule('first', new DilConv(channels, kernel, stride, 1));
    this.second = this.registerModule('second', new DilConv(channels, kernel, 1, 1));
  }

  forward(x: tf.Tensor): tf.Tensor {
    return this.second.forward(this.first.forward(x));
  }

  emit(e: GraphEmitter, x: string, name: string): string {
    return this.second.emit(e, this.first.emit(e, x, `${name}.first`), `${name}.second`);
  }
}

/** 3x3 max or average pooling (padding 1, padded cells left out of the average) and a BN without affine parameters, as DARTS searches with. */
export class PoolBN extends Module {
  readonly bn: BatchNorm2d;

  constructor(
    readonly kind: 'max' | 'avg',
    channels: number,
    readonly stride: number,
  ) {
    super();
    this.bn = this.registerModule('bn', new BatchNorm2d(channels, { affine: false }));
  }

  forward(x: tf.Tensor): tf.Tensor {
    const pooled = this.kind === 'max' ? tf.maxPool(x as tf.Tensor4D, 3, this.stride, 1) : avgPoolExcludingPadding(x as tf.Tensor4D, 3, this.stride, 1);
    return this.bn.forward(pooled);
  }

  emit(e: GraphEmitter, x: string, name: string): string {
    const attrs = { kernel_shape: [3, 3], strides: [this.stride, this.stride], pads: [1, 1, 1, 1], ...(this.kind === 'avg' ? { count_include_pad: 0 } : {}) };
    const pooled = e.node(this.kind === 'max' ? 'MaxPool' : 'AveragePool', [x], attrs);
    return e.batchNorm(pooled, this.bn, this.bn.numFeatures as number, `${name}.bn`);
  }
}

/** Halves the size with two 1x1 stride-2 convs, the second shifted by one pixel, concatenated (DARTS' skip on reductions). */
export class FactorizedReduce extends Module {
  readonly convA: Conv2d;
  readonly convB: Conv2d;
  readonly bn: BatchNorm2d;

  constructor(cin: number, cout: number) {
    super();
    this.convA = this.registerModule('conv_a', new Conv2d(cin, cout / 2, 1, { stride: 2 }));
    this.convB = this.registerModule('conv_b', new Conv2d(cin, cout / 2, 1, { stride: 2 }));
    this.bn = this.registerModule('bn', new BatchNorm2d(cout));
  }

  forward(x: tf.Tensor): tf.Tensor {
    const y = tf.relu(x);
    const shifted = tf.slice(y, [0, 1, 1, 0]);
    return this.bn.forward(tf.concat([this.convA.forward(y), this.convB.forward(shifted)], 3));
  }

  emit(e: GraphEmitter, x: string, name: string): string {
    const y = e.node('Relu', [x]);
    const a = e.conv(y, this.convA, undefined, `${name}.conv_a`);
    const b = e.conv(e.crop(y, 1, 1), this.convB, undefined, `${name}.conv_b`);
    return e.batchNorm(e.node('Concat', [a, b], { axis: 1 }), this.bn, this.bn.numFeatures as number, `${name}.bn`);
  }
}

/** The `none` operation: zeros of the output's shape (halved on a reduction edge). */
export class DartsZero extends Module {
  constructor(readonly stride: number) {
    super();
  }

  forward(x: tf.Tensor): tf.Tensor {
    const [n, h, w, c] = x.shape;
    return tf.zeros([n, halve(h, this.stride), halve(w, this.stride), c]);
  }
}

function candidateOps(channels: number, stride: number): Record<DartsOp, AnyModule> {
  return {
    none: new DartsZero(stride),
    max_pool_3x3: new PoolBN('max', channels, stride),
    avg_pool_3x3: new PoolBN('avg', channels, stride),
    skip_connect: stride === 1 ? new Identity() : new FactorizedReduce(channels, channels),
    sep_conv_3x3: new SepConv(channels, 3, stride),
    sep_conv_5x5: new SepConv(channels, 5, stride),
    dil_conv_3x3: new DilConv(channels, 3, stride, 2),
    dil_conv_5x5: new DilConv(channels, 5, stride, 2),
  };
}

type EmittingOp = AnyModule & { emit(e: GraphEmitter, x: string, name: string): string };

/**
 * A DARTS cell: its inputs (the two previous cells' outputs) preprocessed to `channels`, then
 * node n = 2..5 sums two of the states before it (an `InputSpace` choosing 2, keyed
 * `{type}_n{n}_switch`), each through an operation (an `OperationSpace` per edge, keyed
 * `{type}_n{n}_p{i}`); the output concatenates the four nodes. Cells of one type share keys,
 * so the arch is one normal and one reduction genotype.
 */
export class DartsCell extends Module<[tf.Tensor, tf.Tensor], tf.Tensor> {
  readonly preprocess0: ReLUConvBN | FactorizedReduce;
  readonly preprocess1: ReLUConvBN;
  readonly edges: OperationSpace[][];
  readonly switches: InputSpace[];

  constructor(
    readonly type: CellType,
    cinPrevPrev: number,
    cinPrev: number,
    readonly channels: number,
    reductionPrev: boolean,
    mask?: MaskDict,
  ) {
    super();
    this.preprocess0 = this.registerModule('preprocess0', reductionPrev ? new FactorizedReduce(cinPrevPrev, channels) : new ReLUConvBN(cinPrevPrev, channels, 1));
    this.preprocess1 = this.registerModule('preprocess1', new ReLUConvBN(cinPrev, channels, 1));
    this.edges = [];
    this.switches = [];
    for (let j = 0; j < DARTS_NODES; j++) {
      const node = j + 2;
      this.edges.push(
        Array.from({ length: node }, (_, i) => {
          const stride = type === 'reduce' && i < 2 ? 2 : 1;
          return this.registerModule(`edges.${edgeKey(type, node, i)}`, new OperationSpace(candidateOps(channels, stride), { key: edgeKey(type, node, i), mask }));
        }),
      );
      this.switches.push(this.registerModule(`switches.${switchKey(type, node)}`, new InputSpace({ nCandidates: node, nChosen: 2, key: switchKey(type, node), mask })));
    }
  }

  forward(s0: tf.Tensor, s1: tf.Tensor): tf.Tensor {
    const states = [this.preprocess0.forward(s0), this.preprocess1.forward(s1)];
    this.switches.forEach((sw, j) => {
      // Only the inputs the switch keeps are computed; the others are placeholders it drops.
      const used = sw.mask.map((v) => v !== 0);
      const first = used.indexOf(true);
      const outs = states.map((s, i) => (used[i] ? (this.edges[j][i].forward(s) as tf.Tensor) : undefined));
      states.push(sw.forward(outs.map((o) => o ?? outs[first]!)) as tf.Tensor);
    });
    return tf.concat(states.slice(2), 3);
  }

  emit(e: GraphEmitter, s0: string, s1: string, name: string): string {
    const states = [
      this.preprocess0.emit(e, s0, `${name}.preprocess0`),
      this.preprocess1.emit(e, s1, `${name}.preprocess1`),
    ];
    this.switches.forEach((sw, j) => {
      const terms: string[] = [];
      (sw.choice as number[]).forEach((i) => {
        const edge = this.edges[j][i];
        const op = edge.choice as DartsOp;
        if (op === 'none') return;
        terms.push(op === 'skip_connect' && !(edge.candidate(op) instanceof FactorizedReduce) ? states[i] : (edge.candidate(op) as EmittingOp).emit(e, states[i], `${name}.edges.${edge.key}.${op}`));
      });
      states.push(terms.length ? terms.reduce((sum, t) => e.node('Add', [sum, t])) : this.zeros(e, states[0]));
    });
    return e.node('Concat', states.slice(2), { axis: 1 });
  }

  /** Zeros of a node's shape (a node fed only by `none`). */
  private zeros(e: GraphEmitter, input: string): string {
    const shaped = this.type === 'reduce' ? e.node('AveragePool', [input], { kernel_shape: [1, 1], strides: [2, 2] }) : input;
    return e.node('Sub', [shaped, shaped]);
  }
}

/**
 * DARTS' search network (Liu et al., ICLR 2019): 3x3 stem to 3C channels with BN; `layers`
 * cells, reduction cells (stride 2, channels doubled) at a third and two thirds, each cell
 * fed by the two before it; global average pooling and a linear classifier.
 */
export class DartsNetwork extends Module {
  readonly spaceId = 'darts';
  readonly options: ResolvedDartsOptions;
  readonly stem: Conv2d;
  readonly stemBn: BatchNorm2d;
  readonly cells: DartsCell[] = [];
  readonly classifier: Linear;

  constructor(options: DartsOptions = {}) {
    super();
    const o = resolveDartsOptions(options);
    this.options = o;
    const stemChannels = STEM_MULTIPLIER * o.channels;
    this.stem = this.registerModule('stem', new Conv2d(o.inputChannels, stemChannels, 3));
    this.stemBn = this.registerModule('stem_bn', new BatchNorm2d(stemChannels));
    const { cells, finalChannels } = dartsCells(o);
    cells.forEach((cell, i) => {
      // After a reduction cell, the cell two back is twice this one's input size.
      this.cells.push(this.registerModule(`cells.${i}`, new DartsCell(cell.type, cell.prevPrev, cell.prev, cell.c, cell.prevPrevSize !== cell.size, options.mask)));
    });
    this.classifier = this.registerModule('classifier', new Linear(finalChannels, o.numClasses));
  }

  forward(x: tf.Tensor): tf.Tensor {
    let s0 = this.stemBn.forward(this.stem.forward(x));
    let s1 = s0;
    for (const cell of this.cells) [s0, s1] = [s1, cell.forward(s0, s1)];
    return this.classifier.forward(tf.mean(s1, [1, 2]));
  }

  emit(e: GraphEmitter, x: string): string {
    let s0 = e.conv(x, this.stem, this.stemBn, 'stem');
    let s1 = s0;
    this.cells.forEach((cell, i) => ([s0, s1] = [s1, cell.emit(e, s0, s1, `cells.${i}`)]));
    return e.linear(e.node('GlobalAveragePool', [s1]), this.classifier, 'classifier', 'logits');
  }
}
