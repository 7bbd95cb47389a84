import { DepthwiseConv2dNative, getKernel, Identity, registerKernel, Slice, unregisterKernel, type KernelConfig, type KernelFunc } from '@tensorflow/tfjs-core';
import { conv2dBackpropFilterFromConv } from './conv2d_backprop_filter.js';
import { depthwiseBackpropFilterFromConv } from './depthwise_backprop_filter.js';
import { depthwiseBackpropInputFromConv } from './depthwise_backprop_input.js';
import { pair } from './compose.js';
import { depthwiseTiledForWasm } from './depthwise_tiled.js';
import { reductionByPooling, REDUCTIONS } from './wasm_reduce.js';
import { wasmIdentityShared } from './wasm_identity.js';
import { wasmSliceFromHeap } from './wasm_slice.js';

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

/** Kernels of tfjs-wasm replaced by faster ones: each factory gets the backend's own kernel. */
const fasterWasmKernels: [string, string, (native: KernelConfig) => KernelConfig][] = [
  [Slice, 'Slice (in place)', (native) => wasmSliceFromHeap(native.kernelFunc)],
  [Identity, 'Identity (shared)', (native) => wasmIdentityShared(native.kernelFunc)],
  [DepthwiseConv2dNative, 'DepthwiseConv2dNative (tiled)', depthwiseTiledForWasm],
  ...REDUCTIONS.map(([name, mean]): [string, string, (native: KernelConfig) => KernelConfig] => [name, `${name} (pooled)`, (native) => reductionByPooling(native, mean)]),
];

/**
 * Replaces tfjs-wasm's Slice (which copies its whole input out of the heap first), its
 * depthwise convolution (slow for filters other than 1, 4, 9 and 25 taps) and its Sum and Mean
 * over leading axes (which transpose first). Returns what it replaced.
 */
export function registerFasterWasmKernels(): string[] {
  const replaced: string[] = [];
  for (const [kernelName, label, factory] of fasterWasmKernels) {
    const native = getKernel(kernelName, 'wasm');
    if (!native || ours.has(native.kernelFunc)) continue;
    const config = factory(native);
    unregisterKernel(kernelName, 'wasm');
    registerKernel(config);
    ours.add(config.kernelFunc);
    replaced.push(label);
  }
  return replaced;
}
