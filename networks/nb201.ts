import * as tf from '@tensorflow/tfjs-core';
import { avgPoolExcludingPadding, BatchNorm2d, Conv2d, currentSize, Linear, Module, OperationSpace, type AnyModule, type MaskDict } from '../space/index.js';
import type { GraphEmitter } from './emit.js';
import { withDefaults } from './options.js';

/** NAS-Bench-201's candidate operations on every edge, in its own order and names. */
export const NB201_OPS = ['none', 'skip_connect', 'nor_conv_1x1', 'nor_conv_3x3', 'avg_pool_3x3'] as const;
export type NB201Op = (typeof NB201_OPS)[number];

/** A cell's nodes: 0 is its input, 3 its output; node i sums an edge from every j < i. */
export const NB201_NODES = 4;

/** Edge keys in NAS-Bench-201's order: 1<-0, 2<-0, 2<-1, 3<-0, 3<-1, 3<-2 (every cell shares them). */
export const NB201_EDGES: { key: string; to: number; from: number }[] = [];
for (let to = 1; to < NB201_NODES; to++) for (let from = 0; from < to; from++) NB201_EDGES.push({ key: `${to}<-${from}`, to, from });

export interface NB201Options {
  /** Channels of the first stage (NB201: 16); the second and third stages double them. */
  channels?: number;
  /** Cells per stage (NB201: 5). */
  cellsPerStage?: number;
  inputChannels?: number;
  numClasses?: number;
  /** Input height and width (NB201: 32 for CIFAR). */
  resolution?: number;
  /** Fixes every edge (Hyperbox mask dict): the network then holds only the chosen operations. */
  mask?: MaskDict;
}

export type ResolvedNB201Options = Required<Omit<NB201Options, 'mask'>>;

export const NB201_DEFAULTS: ResolvedNB201Options = { channels: 16, cellsPerStage: 5, inputChannels: 3, numClasses: 10, resolution: 32 };

export function resolveNB201Options(o: NB201Options): ResolvedNB201Options {
  return withDefaults(NB201_DEFAULTS, o);
}

/** ReLU, conv (no bias), batch norm: NB201's `nor_conv` operations and the residual blocks' halves. */
export class ReLUConvBN extends Module {
  readonly conv: Conv2d;
  readonly bn: BatchNorm2d;

  constructor(cin: number, cout: number, kernel: number, stride = 1) {
    super();
    this.conv = this.registerModule('conv', new Conv2d(cin, cout, kernel, { stride }));
    this.bn = this.registerModule('bn', new BatchNorm2d(cout));
  }

  forward(x: tf.Tensor): tf.Tensor {
    return this.bn.forward(this.conv.forward(tf.relu(x)));
  }

  emit(e: GraphEmitter, x: string, name: string): string {
    return e.conv(e.node('Relu', [x]), this.conv, this.bn, name);
  }
}

/** 3x3 average pooling, stride 1, padding 1, padded cells left out of the average (PyTorch's count_include_pad=False). */
export class AvgPool3x3 extends Module {
  forward(x: tf.Tensor): tf.Tensor {
    return avgPoolExcludingPadding(x as tf.Tensor4D, 3, 1, 1);
  }

  emit(e: GraphEmitter, x: string): string {
    return e.node('AveragePool', [x], { kernel_shape: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1], count_include_pad: 0 });
  }
}

export class Identity extends Module {
  forward(x: tf.Tensor): tf.Tensor {
    return x;
  }
}

/** The `none` operation: zeros (the edge carries nothing). */
export class Zero extends Module {
  forward(x: tf.Tensor): tf.Tensor {
    return tf.zerosLike(x);
  }
}

/** One NB201 cell: an OperationSpace per edge, keyed as NB201 names the edge. */
export class NB201Cell extends Module {
  readonly edges: OperationSpace[];

  constructor(readonly channels: number, mask?: MaskDict) {
    super();
    this.edges = NB201_EDGES.map(({ key }) => {
      const candidates: Record<NB201Op, AnyModule> = {
        none: new Zero(),
        skip_connect: new Identity(),
        nor_conv_1x1: new ReLUConvBN(channels, channels, 1),
        nor_conv_3x3: new ReLUConvBN(channels, channels, 3),
        avg_pool_3x3: new AvgPool3x3(),
      };
      return this.registerModule(`edges.${key}`, new OperationSpace(candidates, { key, mask }));
    });
  }

  forward(x: tf.Tensor): tf.Tensor {
    const nodes = [x];
    for (let to = 1; to < NB201_NODES; to++) {
      const inputs = NB201_EDGES.flatMap((edge, i) => (edge.to === to ? [this.edges[i].forward(nodes[edge.from]) as tf.Tensor] : []));
      nodes.push(tf.addN(inputs));
    }
    return nodes[NB201_NODES - 1];
  }

  /** The chosen operation of each edge (a fixed or one-hot mask). */
  chosenOps(): NB201Op[] {
    return this.edges.map((edge) => edge.choice as NB201Op);
  }

  emit(e: GraphEmitter, x: string, name: string): string {
    const ops = this.chosenOps();
    const nodes = [x];
    for (let to = 1; to < NB201_NODES; to++) {
      const terms: string[] = [];
      NB201_EDGES.forEach((edge, i) => {
        if (edge.to !== to || ops[i] === 'none') return;
        const input = nodes[edge.from];
        if (ops[i] === 'skip_connect') terms.push(input);
        else if (ops[i] === 'avg_pool_3x3') terms.push((this.edges[i].candidate(ops[i]) as AvgPool3x3).emit(e, input));
        else terms.push((this.edges[i].candidate(ops[i]) as ReLUConvBN).emit(e, input, `${name}.edges.${edge.key}`));
      });
      // A node no edge feeds holds zeros of its input's shape.
      nodes.push(terms.length === 0 ? e.node('Sub', [x, x]) : terms.reduce((sum, t) => e.node('Add', [sum, t])));
    }
    return nodes[NB201_NODES - 1];
  }
}

/** NB201's residual reduction block: two ReLU-conv-BN (the first with stride 2) plus an average-pooled 1x1 shortcut. */
export class ResidualReduction extends Module {
  readonly convA: ReLUConvBN;
  readonly convB: ReLUConvBN;
  readonly shortcut: Conv2d;

  constructor(cin: number, cout: number) {
    super();
    this.convA = this.registerModule('conv_a', new ReLUConvBN(cin, cout, 3, 2));
    this.convB = this.registerModule('conv_b', new ReLUConvBN(cout, cout, 3, 1));
    this.shortcut = this.registerModule('downsample', new Conv2d(cin, cout, 1));
  }

  forward(x: tf.Tensor): tf.Tensor {
    const residual = this.shortcut.forward(tf.avgPool(x as tf.Tensor4D, 2, 2, 'valid'));
    return tf.add(residual, this.convB.forward(this.convA.forward(x)));
  }

  emit(e: GraphEmitter, x: string, name: string): string {
    const pooled = e.node('AveragePool', [x], { kernel_shape: [2, 2], strides: [2, 2] });
    const residual = e.conv(pooled, this.shortcut, undefined, `${name}.downsample`);
    return e.node('Add', [residual, this.convB.emit(e, this.convA.emit(e, x, `${name}.conv_a`), `${name}.conv_b`)]);
  }
}

/**
 * NAS-Bench-201's network (Dong & Yang, ICLR 2020): 3x3 stem with BN; three stages of
 * `cellsPerStage` cells at C, 2C and 4C channels, a residual reduction block between stages;
 * BN, ReLU, global average pooling and a linear classifier. Every cell shares one genotype:
 * six edge decisions keyed `1<-0` ... `3<-2`, each one of the five NB201 operations.
 */
export class NB201Network extends Module {
  readonly spaceId = 'nb201';
  readonly options: ResolvedNB201Options;
  readonly stem: Conv2d;
  readonly stemBn: BatchNorm2d;
  /** Cells and reduction blocks in order. */
  readonly layers: (NB201Cell | ResidualReduction)[] = [];
  readonly lastBn: BatchNorm2d;
  readonly classifier: Linear;

  constructor(options: NB201Options = {}) {
    super();
    const o = resolveNB201Options(options);
    this.options = o;
    this.stem = this.registerModule('stem', new Conv2d(o.inputChannels, o.channels, 3));
    this.stemBn = this.registerModule('stem_bn', new BatchNorm2d(o.channels));
    let c = o.channels;
    for (let stage = 0; stage < 3; stage++) {
      if (stage > 0) {
        this.layers.push(this.registerModule(`cells.${this.layers.length}`, new ResidualReduction(c, 2 * c)));
        c *= 2;
      }
      for (let i = 0; i < o.cellsPerStage; i++) this.layers.push(this.registerModule(`cells.${this.layers.length}`, new NB201Cell(c, options.mask)));
    }
    this.lastBn = this.registerModule('last_bn', new BatchNorm2d(c));
    this.classifier = this.registerModule('classifier', new Linear(c, o.numClasses));
  }

  forward(x: tf.Tensor): tf.Tensor {
    let y = this.stemBn.forward(this.stem.forward(x));
    for (const layer of this.layers) y = layer.forward(y);
    y = tf.relu(this.lastBn.forward(y));
    return this.classifier.forward(tf.mean(y, [1, 2]));
  }

  emit(e: GraphEmitter, x: string): string {
    let y = e.conv(x, this.stem, this.stemBn, 'stem');
    this.layers.forEach((layer, i) => (y = layer.emit(e, y, `cells.${i}`)));
    y = e.node('Relu', [e.batchNorm(y, this.lastBn, currentSize(this.lastBn.numFeatures), 'last_bn')]);
    return e.linear(e.node('GlobalAveragePool', [y]), this.classifier, 'classifier', 'logits');
  }
}
