import {
  backend_util,
  DepthwiseConv2dNativeBackpropFilter,
  type KernelConfig,
  type KernelBackend,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { KernelComposer, type ConvKernelAttrs } from './compose.js';

interface Attrs extends ConvKernelAttrs {
  filterShape: [number, number, number, number];
}

/**
 * dW[kh,kw,c,m] = sum over n,oh,ow of x[n, ih, iw, c] * dy[n, oh, ow, c*M + m].
 * Folding the batch into the channels (channel n*C + c) turns it into one depthwise
 * convolution of x with dy as the filter (channel multiplier M), dilated by the forward
 * stride and stepped by the forward dilation; a sum over n finishes it.
 */
export function depthwiseBackpropFilterFromConv(backendName: string): KernelConfig {
  const kernelFunc = ({ inputs, backend, attrs }: Parameters<KernelFunc>[0]): TensorInfo => {
    const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
    const { strides, pad, dimRoundingMode, dilations, filterShape } = attrs as unknown as Attrs;
    const info = backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filterShape,
      strides,
      dilations ?? 1,
      pad,
      dimRoundingMode,
      true,
    );
    const k = new KernelComposer(backend as KernelBackend, backendName);
    const [n, inH, inW, c] = x.shape;
    const [kh, kw, , m] = filterShape;
    const { outHeight: outH, outWidth: outW } = info;
    const needH = (kh - 1) * info.dilationHeight + (outH - 1) * info.strideHeight + 1;
    const needW = (kw - 1) * info.dilationWidth + (outW - 1) * info.strideWidth + 1;
    const { top, left } = info.padInfo;

    const xFolded = k.reshape(k.transpose(x, [1, 2, 0, 3]), [1, inH, inW, n * c]);
    const fitted = k.fitSpatial(xFolded, [top, left], [needH - top - inH, needW - left - inW]);
    const dyT = k.transpose(k.reshape(dy, [n, outH, outW, c, m]), [1, 2, 0, 3, 4]);
    const filter = k.reshape(dyT, [outH, outW, n * c, m]);
    const perSample = k.run(
      'DepthwiseConv2dNative',
      { x: fitted.x, filter },
      {
        strides: [info.dilationHeight, info.dilationWidth],
        dilations: [info.strideHeight, info.strideWidth],
        pad: fitted.pad,
        dataFormat: 'NHWC',
      },
    ); // [1, KH, KW, n*C*M]
    const summed = k.sum(k.reshape(perSample, [kh, kw, n, c * m]), 2);
    return k.finish(k.reshape(summed, [kh, kw, c, m]));
  };
  return {
    kernelName: DepthwiseConv2dNativeBackpropFilter,
    backendName,
    kernelFunc: kernelFunc as unknown as KernelFunc,
  };
}
