import {
  backend_util,
  Conv2DBackpropFilter,
  type KernelConfig,
  type KernelBackend,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { KernelComposer, pair, type ConvKernelAttrs } from './compose.js';

interface Attrs extends ConvKernelAttrs {
  dataFormat?: 'NHWC' | 'NCHW';
  filterShape: [number, number, number, number];
  // `dilations` is not in tfjs's attribute set for this kernel; supported so dilated convs can be trained.
}

/**
 * dW[kh,kw,ci,co] = sum over n,oh,ow of x[n, oh*s - pad + kh*d, ow*s - pad + kw*d, ci] * dy[n,oh,ow,co].
 * That is a forward convolution with the batch and channel roles swapped: the input is x
 * with ci as batch and n as channels, the filter is dy (spatial OHxOW, n in, co out)
 * dilated by the forward stride, stepped by the forward dilation.
 */
export function conv2dBackpropFilterFromConv(backendName: string): KernelConfig {
  const kernelFunc = ({ inputs, backend, attrs }: Parameters<KernelFunc>[0]): TensorInfo => {
    const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
    const { strides, pad, dataFormat, dimRoundingMode, filterShape, dilations } = attrs as unknown as Attrs;
    if (dataFormat === 'NCHW') {
      throw new Error(`Conv2DBackpropFilter on ${backendName} supports NHWC only`);
    }
    const info = backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filterShape,
      strides,
      dilations ?? 1,
      pad,
      dimRoundingMode,
    );
    const k = new KernelComposer(backend as KernelBackend, backendName);
    const [strideH, strideW] = [info.strideHeight, info.strideWidth];
    const [dilH, dilW] = pair(dilations);
    const [inH, inW] = [info.inHeight, info.inWidth];
    const needH = (info.filterHeight - 1) * dilH + (info.outHeight - 1) * strideH + 1;
    const needW = (info.filterWidth - 1) * dilW + (info.outWidth - 1) * strideW + 1;
    const { top, left } = info.padInfo;

    const xT = k.transpose(x, [3, 1, 2, 0]); // [ci, H, W, n]
    const fitted = k.fitSpatial(xT, [top, left], [needH - top - inH, needW - left - inW]);
    const dyT = k.transpose(dy, [1, 2, 0, 3]); // [OH, OW, n, co]
    const grad = k.run(
      'Conv2D',
      { x: fitted.x, filter: dyT },
      { strides: [dilH, dilW], pad: fitted.pad, dilations: [strideH, strideW], dataFormat: 'NHWC' },
    ); // [ci, KH, KW, co]
    return k.finish(k.transpose(grad, [1, 2, 0, 3]));
  };
  return { kernelName: Conv2DBackpropFilter, backendName, kernelFunc: kernelFunc as unknown as KernelFunc };
}
