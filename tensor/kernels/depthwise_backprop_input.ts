import {
  backend_util,
  DepthwiseConv2dNativeBackpropInput,
  type KernelConfig,
  type KernelBackend,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { KernelComposer, type ConvKernelAttrs } from './compose.js';

interface Attrs extends ConvKernelAttrs {
  inputShape: [number, number, number, number];
}

/**
 * The transposed depthwise convolution: spread dy out by the stride (zeros between
 * rows and columns), then a stride-1 depthwise convolution with the spatially flipped
 * filter (one output per input channel and multiplier), then a sum over the multiplier.
 */
export function depthwiseBackpropInputFromConv(backendName: string): KernelConfig {
  const kernelFunc = ({ inputs, backend, attrs }: Parameters<KernelFunc>[0]): TensorInfo => {
    const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
    const { strides, pad, dimRoundingMode, dilations, inputShape } = attrs as unknown as Attrs;
    const info = backend_util.computeConv2DInfo(
      inputShape,
      filter.shape as [number, number, number, number],
      strides,
      dilations ?? 1,
      pad,
      dimRoundingMode,
      true,
    );
    const k = new KernelComposer(backend as KernelBackend, backendName);
    const [n, inH, inW, c] = inputShape;
    const [kh, kw, , m] = filter.shape;
    const [sH, sW] = [info.strideHeight, info.strideWidth];
    const [dH, dW] = [info.dilationHeight, info.dilationWidth];
    const { outHeight: outH, outWidth: outW } = info;

    let spread = dy;
    if (sH > 1 || sW > 1) {
      const cm = c * m;
      const padded = k.run(
        'PadV2',
        { x: k.reshape(dy, [n, outH, 1, outW, 1, cm]) },
        { paddings: [[0, 0], [0, 0], [0, sH - 1], [0, 0], [0, sW - 1], [0, 0]], constantValue: 0 },
      );
      spread = k.reshape(padded, [n, outH * sH, outW * sW, cm]);
    }
    const beforeH = (kh - 1) * dH - info.padInfo.top;
    const beforeW = (kw - 1) * dW - info.padInfo.left;
    const afterH = inH + (kh - 1) * dH - spread.shape[1] - beforeH;
    const afterW = inW + (kw - 1) * dW - spread.shape[2] - beforeW;
    const fitted = k.fitSpatial(spread, [beforeH, beforeW], [afterH, afterW]);
    const flipped = k.reshape(k.run('Reverse', { x: filter }, { dims: [0, 1] }), [kh, kw, c * m, 1]);
    const dx = k.run(
      'DepthwiseConv2dNative',
      { x: fitted.x, filter: flipped },
      { strides: [1, 1], dilations: [dH, dW], pad: fitted.pad },
    ); // [n, H, W, C*M]
    if (m === 1) return k.finish(dx);
    return k.finish(k.sum(k.reshape(dx, [n, inH, inW, c, m]), 4));
  };
  return {
    kernelName: DepthwiseConv2dNativeBackpropInput,
    backendName,
    kernelFunc: kernelFunc as unknown as KernelFunc,
  };
}
