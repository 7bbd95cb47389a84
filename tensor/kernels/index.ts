import { getKernel, registerKernel, unregisterKernel, type KernelConfig, type KernelFunc } from '@tensorflow/tfjs-core';
import { conv2dBackpropFilterFromConv } from './conv2d_backprop_filter.js';
import { depthwiseBackpropFilterFromConv } from './depthwise_backprop_filter.js';
import { depthwiseBackpropInputFromConv } from './depthwise_backprop_input.js';
import { pair } from './compose.js';

/** Kernels built here from forward convolutions, for backends that lack them. */
export const trainingKernelFactories = [
  conv2dBackpropFilterFromConv,
  depthwiseBackpropFilterFromConv,
  depthwiseBackpropInputFromConv,
];

/** Kernel functions registered here, so that a second registration leaves them as they are. */
const ours = new WeakSet<KernelFunc>();

const dilated = (attrs: object | undefined) => pair((attrs as { dilations?: number | [number, number] } | undefined)?.dilations).some((d) => d > 1);

/**
 * A backend's own kernel for undilated calls and ours for dilated ones: webgpu's backprop
 * kernels (like cpu's) compute a dilated call as if it were undilated.
 */
function withDilatedFallback(native: KernelConfig, composed: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args) => (dilated(args.attrs) ? composed : native).kernelFunc(args);
  return { ...composed, kernelFunc };
}

/**
 * Registers, for `backendName`, each training kernel it lacks, and routes dilated calls of the
 * ones it has to ours. Returns what it registered: a kernel's name, or `NAME (dilated)` where
 * only dilated calls were taken over.
 */
export function registerTrainingKernels(backendName: string): string[] {
  const added: string[] = [];
  for (const factory of trainingKernelFactories) {
    const composed = factory(backendName);
    const native = getKernel(composed.kernelName, backendName);
    if (native && ours.has(native.kernelFunc)) continue;
    const config = native ? withDilatedFallback(native, composed) : composed;
    if (native) unregisterKernel(composed.kernelName, backendName);
    registerKernel(config);
    ours.add(config.kernelFunc);
    added.push(native ? `${composed.kernelName} (dilated)` : composed.kernelName);
  }
  return added;
}
