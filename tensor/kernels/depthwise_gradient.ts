import { DepthwiseConv2dNative, DepthwiseConv2dNativeBackpropFilter, DepthwiseConv2dNativeBackpropInput, engine, registerGradient, type NamedAttrMap, type Tensor, type Tensor4D } from '@tensorflow/tfjs-core';

/**
 * The gradient of a depthwise convolution, dilated ones included: tfjs-core's refuses dilation
 * rates above 1, although the backprop kernels registered here (and TensorFlow's) take them.
 * Registered after tfjs's own gradients, so it replaces it.
 */
export function registerDilatedDepthwiseGradient(): void {
  registerGradient({
    kernelName: DepthwiseConv2dNative,
    inputsToSave: ['x', 'filter'],
    gradFunc: (dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
      const [x, filter] = saved as [Tensor4D, Tensor4D];
      const { strides, pad, dimRoundingMode } = attrs;
      const dilations = attrs.dilations ?? [1, 1];
      const common = { strides, pad, dimRoundingMode, dilations };
      return {
        x: () => engine().runKernel(DepthwiseConv2dNativeBackpropInput, { dy: dy as Tensor, filter }, { ...common, inputShape: x.shape } as unknown as NamedAttrMap) as Tensor,
        filter: () => engine().runKernel(DepthwiseConv2dNativeBackpropFilter, { x, dy: dy as Tensor }, { ...common, filterShape: filter.shape } as unknown as NamedAttrMap) as Tensor,
      };
    },
  });
}
