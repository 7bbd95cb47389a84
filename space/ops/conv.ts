import * as tf from '@tensorflow/tfjs-core';
import { InputError } from '../../tensor/index.js';
import { Module } from '../module.js';
import { ValueSpace, type SizeArg } from '../value_space.js';
import { kaimingNormalFanOut, uniform } from './init.js';
import { matMulTransposedWeight } from './pointwise.js';
import { flagNow, jointMax, reachableSizes, sizeNow, type FlagArg } from './sizes.js';

export interface ConvOptions {
  stride?: SizeArg;
  groups?: SizeArg;
  bias?: FlagArg;
  dilation?: number;
  /** Learned transform matrices when shrinking the kernel (OFA); off: plain centre crop. */
  kernelTransform?: boolean;
}

type Dims = 1 | 2 | 3;

/**
 * Elastic convolution over 1, 2 or 3 spatial dims, channels-last activations
 * ([N, ...spatial, C]). The weight is kept in PyTorch layout [out, in / groups, ...kernel],
 * allocated once at the largest size any arch can reach; forward uses the active slice:
 * the first `out` and `in / groups` channels and the centre of the kernel, transformed by
 * a learned matrix per shrinking step (7->5, 5->3), identity at initialisation.
 * Padding is symmetric, dilation * (k - 1) / 2 on each side, as OFA and PyTorch use.
 */
export abstract class ConvNd extends Module {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable | undefined;
  /** Transform matrices by step, e.g. '7to5' -> [25, 25]. */
  readonly transforms = new Map<string, tf.Variable>();
  private readonly kernelSteps: [number, number][] = [];
  readonly dilation: number;

  protected constructor(
    readonly dims: Dims,
    readonly inChannels: SizeArg,
    readonly outChannels: SizeArg,
    readonly kernelSize: SizeArg,
    readonly options: ConvOptions = {},
  ) {
    super();
    const stride = options.stride ?? 1;
    const groups = options.groups ?? 1;
    const bias = options.bias ?? false;
    this.dilation = options.dilation ?? 1;
    for (const [name, arg] of Object.entries({ inChannels, outChannels, kernelSize, stride, groups, bias })) {
      if (arg instanceof ValueSpace) this.registerModule(name, arg);
    }
    const maxOut = jointMax([outChannels], (o) => o as number);
    const maxInPerGroup = jointMax([inChannels, groups], (i, g) => Math.ceil((i as number) / (g as number)));
    const kernels = reachableSizes(kernelSize);
    const maxK = kernels[0];
    const kernelShape = new Array<number>(dims).fill(maxK);
    this.weight = this.registerParameter(
      'weight',
      kaimingNormalFanOut([maxOut, maxInPerGroup, ...kernelShape], maxOut * maxK ** dims),
    );
    const hasBias = jointMax([bias], (b) => Number(b)) > 0;
    this.bias = hasBias
      ? this.registerParameter('bias', uniform([maxOut], 1 / Math.sqrt(maxInPerGroup * maxK ** dims)))
      : undefined;
    for (let i = 0; i + 1 < kernels.length; i++) {
      const [from, to] = [kernels[i], kernels[i + 1]];
      if ((from - to) % 2 !== 0) {
        const key = kernelSize instanceof ValueSpace ? kernelSize.key : 'kernelSize';
        throw new InputError(`kernel sizes of '${key}' must all be odd or all even to centre-crop, got ${from} and ${to}`);
      }
      this.kernelSteps.push([from, to]);
      if (options.kernelTransform !== false) {
        const n = to ** dims;
        this.transforms.set(`${from}to${to}`, this.registerParameter(`transform_${from}to${to}`, tf.eye(n)));
      }
    }
  }

  /** The weight an arch uses: [out, in / groups, k, ...]. */
  activeWeight(out: number, inPerGroup: number, k: number): tf.Tensor {
    const full = this.weight.shape;
    let w: tf.Tensor = this.weight;
    if (out !== full[0] || inPerGroup !== full[1]) {
      w = tf.slice(w, new Array(full.length).fill(0), [out, inPerGroup, ...full.slice(2)]);
    }
    for (const [from, to] of this.kernelSteps) {
      if (to < k) break;
      w = this.shrinkKernel(w, from, to);
    }
    return w;
  }

  private shrinkKernel(w: tf.Tensor, from: number, to: number): tf.Tensor {
    const start = (from - to) / 2;
    const spatial = new Array<number>(this.dims).fill(start);
    const cropped = tf.slice(w, [0, 0, ...spatial], [w.shape[0], w.shape[1], ...new Array(this.dims).fill(to)]);
    const matrix = this.transforms.get(`${from}to${to}`);
    if (!matrix) return cropped;
    const [out, inPerGroup] = w.shape as [number, number];
    const flat = tf.reshape(cropped, [out * inPerGroup, to ** this.dims]);
    return tf.reshape(tf.matMul(flat, matrix, false, true), cropped.shape);
  }

  /** Sizes in force now, checked against the input. */
  protected activeSizes(x: tf.Tensor) {
    const cin = sizeNow(this.inChannels, 'inChannels');
    const cout = sizeNow(this.outChannels, 'outChannels');
    const k = sizeNow(this.kernelSize, 'kernelSize');
    const stride = sizeNow(this.options.stride ?? 1, 'stride');
    const groups = sizeNow(this.options.groups ?? 1, 'groups');
    const channels = x.shape[x.rank - 1];
    if (channels !== cin) {
      throw new Error(`conv: input has ${channels} channels, the active arch expects ${cin}`);
    }
    if (cin % groups !== 0 || cout % groups !== 0) {
      throw new InputError(`conv: groups ${groups} must divide in (${cin}) and out (${cout}) channels`);
    }
    return { cin, cout, k, stride, groups };
  }

  /** Whether the current arch uses the bias. */
  get biasActive(): boolean {
    return this.bias != null && flagNow(this.options.bias ?? false);
  }

  protected addBias(y: tf.Tensor, cout: number): tf.Tensor {
    if (!this.biasActive) return y;
    const b = cout === this.bias!.shape[0] ? this.bias! : tf.slice(this.bias!, [0], [cout]);
    return tf.add(y, b);
  }

  padding(k: number): number {
    return Math.floor((this.dilation * (k - 1)) / 2);
  }
}

/** Runs a 2-D convolution with PyTorch-layout weight w [out, in/g, kh, kw] on NHWC x. */
export function conv2dTorchLayout(
  x: tf.Tensor4D,
  w: tf.Tensor,
  stride: [number, number],
  pad: [number, number],
  dilation: [number, number],
  groups: number,
): tf.Tensor4D {
  if ((stride[0] > 1 || stride[1] > 1) && (dilation[0] > 1 || dilation[1] > 1)) {
    // tfjs takes strides or dilations, not both: the dilated conv at stride 1, then every
    // stride-th output (a 1x1 pooling, which has a gradient where a strided slice has none).
    const full = conv2dTorchLayout(x, w, [1, 1], pad, dilation, groups);
    return tf.avgPool(full, [1, 1], stride, 'valid');
  }
  const [out, inPerGroup, kh, kw] = w.shape;
  const cin = x.shape[3];
  if (kh === 1 && kw === 1 && groups === 1 && stride[0] === 1 && stride[1] === 1 && pad[0] === 0 && pad[1] === 0) {
    // A pointwise conv is a matmul; as one its gradients are matmuls too (fast GEMMs)
    // instead of the general conv-backprop kernels.
    const [n, h, wd] = x.shape;
    const y = matMulTransposedWeight(tf.reshape(x, [n * h * wd, cin]) as tf.Tensor2D, tf.reshape(w, [out, cin]) as tf.Tensor2D);
    return tf.reshape(y, [n, h, wd, out]);
  }
  const explicit: [[number, number], [number, number], [number, number], [number, number]] = [
    [0, 0],
    [pad[0], pad[0]],
    [pad[1], pad[1]],
    [0, 0],
  ];
  const hwio = tf.transpose(w, [2, 3, 1, 0]) as tf.Tensor4D;
  if (groups === 1) return tf.conv2d(x, hwio, stride, explicit, 'NHWC', dilation);
  if (groups === cin && inPerGroup === 1) {
    const filter = tf.reshape(hwio, [kh, kw, cin, out / cin]) as tf.Tensor4D;
    return tf.depthwiseConv2d(x, filter, stride, explicit, 'NHWC', dilation);
  }
  const xs = tf.split(x, groups, 3);
  const ws = tf.split(hwio, groups, 3);
  const ys = xs.map((xi, i) => tf.conv2d(xi as tf.Tensor4D, ws[i] as tf.Tensor4D, stride, explicit, 'NHWC', dilation));
  return tf.concat(ys, 3);
}

export class Conv2d extends ConvNd {
  constructor(inChannels: SizeArg, outChannels: SizeArg, kernelSize: SizeArg, options: ConvOptions = {}) {
    super(2, inChannels, outChannels, kernelSize, options);
  }

  forward(x: tf.Tensor): tf.Tensor {
    const { cin, cout, k, stride, groups } = this.activeSizes(x);
    const w = this.activeWeight(cout, cin / groups, k);
    const p = this.padding(k);
    const y = conv2dTorchLayout(x as tf.Tensor4D, w, [stride, stride], [p, p], [this.dilation, this.dilation], groups);
    return this.addBias(y, cout);
  }
}

/** Input [N, L, C]; weight [out, in/g, k]. */
export class Conv1d extends ConvNd {
  constructor(inChannels: SizeArg, outChannels: SizeArg, kernelSize: SizeArg, options: ConvOptions = {}) {
    super(1, inChannels, outChannels, kernelSize, options);
  }

  forward(x: tf.Tensor): tf.Tensor {
    const { cin, cout, k, stride, groups } = this.activeSizes(x);
    const w = this.activeWeight(cout, cin / groups, k);
    const w2d = tf.reshape(w, [cout, cin / groups, 1, k]);
    const x2d = tf.expandDims(x, 1) as tf.Tensor4D;
    const y = conv2dTorchLayout(x2d, w2d, [1, stride], [0, this.padding(k)], [1, this.dilation], groups);
    return this.addBias(tf.squeeze(y, [1]), cout);
  }
}

/** Input [N, D, H, W, C]; weight [out, in/g, kd, kh, kw]. */
export class Conv3d extends ConvNd {
  constructor(inChannels: SizeArg, outChannels: SizeArg, kernelSize: SizeArg, options: ConvOptions = {}) {
    super(3, inChannels, outChannels, kernelSize, options);
  }

  forward(x: tf.Tensor): tf.Tensor {
    const { cin, cout, k, stride, groups } = this.activeSizes(x);
    const w = this.activeWeight(cout, cin / groups, k);
    const p = this.padding(k);
    const padded = p > 0 ? tf.pad(x, [[0, 0], [p, p], [p, p], [p, p], [0, 0]]) : x;
    const filter = tf.transpose(w, [2, 3, 4, 1, 0]) as tf.Tensor5D;
    const d = this.dilation;
    const run = (xi: tf.Tensor, fi: tf.Tensor) =>
      tf.conv3d(xi as tf.Tensor5D, fi as tf.Tensor5D, stride, 'valid', 'NDHWC', [d, d, d]);
    let y: tf.Tensor;
    if (groups === 1) {
      y = run(padded, filter);
    } else {
      const filters = tf.split(filter, groups, 4);
      y = tf.concat(tf.split(padded, groups, 4).map((xi, i) => run(xi, filters[i])), 4);
    }
    return this.addBias(y, cout);
  }
}
