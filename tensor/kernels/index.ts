import { getKernel, registerKernel } from '@tensorflow/tfjs-core';
import { conv2dBackpropFilterFromConv } from './conv2d_backprop_filter.js';
import { depthwiseBackpropFilterFromConv } from './depthwise_backprop_filter.js';
import { depthwiseBackpropInputFromConv } from './depthwise_backprop_input.js';

/** Kernels built here from forward convolutions, for backends that lack them. */
export const trainingKernelFactories = [
  conv2dBackpropFilterFromConv,
  depthwiseBackpropFilterFromConv,
  depthwiseBackpropInputFromConv,
];

/** Registers, for `backendName`, each training kernel it lacks. Returns the names registered. */
export function registerTrainingKernels(backendName: string): string[] {
  const added: string[] = [];
  for (const factory of trainingKernelFactories) {
    const config = factory(backendName);
    if (getKernel(config.kernelName, backendName) != null) continue;
    registerKernel(config);
    added.push(config.kernelName);
  }
  return added;
}
