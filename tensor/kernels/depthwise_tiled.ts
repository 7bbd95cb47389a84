import {
  backend_util,
  DepthwiseConv2dNative,
  type KernelBackend,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { KernelComposer, type ConvKernelAttrs } from './compose.js';

/**
 * Filter sizes (taps) tfjs-wasm's XNNPACK build runs fast: 5 to 8 GMAC/s against about 1 for
 * every other size, 7x7 included (`bench/depthwise.ts`).
 */
const FAST_TAPS = new Set([1, 4, 9, 25]);

/**
 * Tile side: 2x2 tiles measured fastest at stride 1 (7x7 at [64, 14, 14, 96]: 29 ms against
 * 79 ms as one filter), 3x3 at stride 2, where each tile's window of the input is larger.
 */
const tileSide = (stride: number) => (stride === 1 ? 2 : 3);

/**
 * A depthwise convolution as a sum of convolutions with t x t tiles of its filter (zero-padded
 * to a multiple of t), each over the window of the input its taps meet: out = sum over tiles
 * (a, b) of conv(x shifted by (a*t, b*t) * dilation, tile). Every tile has a fast size.
 */
function tiledDepthwise(k: KernelComposer, x: TensorInfo, filter: TensorInfo, info: backend_util.Conv2DInfo): TensorInfo {
  const [, inH, inW, c] = x.shape;
  const [kh, kw, , m] = filter.shape;
  const { strideHeight: sH, strideWidth: sW, dilationHeight: dH, dilationWidth: dW, outHeight: outH, outWidth: outW } = info;
  const t = tileSide(Math.max(sH, sW));
  const tilesH = Math.ceil(kh / t);
  const tilesW = Math.ceil(kw / t);
  const padded =
    tilesH * t === kh && tilesW * t === kw
      ? filter
      : k.run('PadV2', { x: filter }, { paddings: [[0, tilesH * t - kh], [0, tilesW * t - kw], [0, 0], [0, 0]], constantValue: 0 });
  const windowH = (outH - 1) * sH + (t - 1) * dH + 1;
  const windowW = (outW - 1) * sW + (t - 1) * dW + 1;
  const parts: TensorInfo[] = [];
  for (let a = 0; a < tilesH; a++) {
    for (let b = 0; b < tilesW; b++) {
      const top = a * t * dH - info.padInfo.top;
      const left = b * t * dW - info.padInfo.left;
      if (top >= inH || left >= inW || top + windowH <= 0 || left + windowW <= 0) continue; // meets only padding
      const tile = k.run('Slice', { x: padded }, { begin: [a * t, b * t, 0, 0], size: [t, t, c, m] });
      const window = k.fitSpatial(x, [-top, -left], [top + windowH - inH, left + windowW - inW]);
      parts.push(k.run(DepthwiseConv2dNative, { x: window.x, filter: tile }, { strides: [sH, sW], dilations: [dH, dW], pad: window.pad, dataFormat: 'NHWC' }));
    }
  }
  return parts.length === 0 ? k.run('Fill', {}, { shape: info.outShape, value: 0, dtype: 'float32' }) : k.addAll(parts);
}

/**
 * DepthwiseConv2dNative for tfjs-wasm: the backend's own kernel where the filter has a fast
 * size, tiles of fast size otherwise (hbx's filter gradient is a depthwise convolution whose
 * filter is the output gradient, 196 taps at 14x14, so it goes through here too).
 */
export function depthwiseTiledForWasm(native: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const { x, filter } = args.inputs as { x: TensorInfo; filter: TensorInfo };
    const [kh, kw] = filter.shape;
    const attrs = args.attrs as unknown as ConvKernelAttrs & { dataFormat?: string };
    if (FAST_TAPS.has(kh * kw) || (attrs.dataFormat ?? 'NHWC') !== 'NHWC') return native.kernelFunc(args);
    const info = backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filter.shape as [number, number, number, number],
      attrs.strides,
      attrs.dilations ?? 1,
      attrs.pad,
      attrs.dimRoundingMode,
      true,
    );
    const k = new KernelComposer(args.backend as KernelBackend, 'wasm', { [DepthwiseConv2dNative]: native });
    return k.finish(tiledDepthwise(k, x, filter, info));
  };
  return { ...native, kernelFunc }; // keeps the native kernel's setup (it binds the wasm function)
}
