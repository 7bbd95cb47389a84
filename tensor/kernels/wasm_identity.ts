import { Identity, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';

/** The part of tfjs-wasm's backend this kernel uses. */
interface RefCountedBackend {
  incRef(dataId: object): void;
}

/**
 * tfjs-core clones (Identity) every tensor it saves for the backward pass, and tfjs-wasm's
 * Identity copies the data: 1,275 copies in one training pass of a small subnet, 12% of its
 * kernel time. No wasm kernel writes into its inputs, so the clone can share the data under a
 * reference count, as tfjs-wasm's own Reshape and tfjs-cpu's Identity already do.
 */
export function wasmIdentityShared(fallback: KernelFunc): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const x = args.inputs.x as TensorInfo;
    if (x.dtype === 'string') return fallback(args);
    (args.backend as unknown as RefCountedBackend).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
  return { kernelName: Identity, backendName: 'wasm', kernelFunc };
}
