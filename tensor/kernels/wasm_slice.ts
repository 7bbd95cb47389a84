import { Slice, slice_util, util, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';

type TypedArray = Float32Array | Int32Array | Uint8Array;

/** The part of tfjs-wasm's backend this kernel uses. */
interface WasmBackendView {
  makeOutput(shape: number[], dtype: string): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): TypedArray;
}

/**
 * Copies `size` elements from `begin` of `x` (row-major, shape `shape`) into `out`, as runs of
 * contiguous elements: trailing axes taken whole are merged into the run.
 */
export function copySlice(x: TypedArray, shape: number[], begin: number[], size: number[], out: TypedArray): void {
  const strides = [...util.computeStrides(shape), 1];
  let axis = shape.length - 1;
  while (axis > 0 && size[axis] === shape[axis]) axis--;
  const run = size[axis] * strides[axis];
  const outer = size.slice(0, axis);
  const count = outer.reduce((a, b) => a * b, 1);
  const index = new Array<number>(axis).fill(0);
  let base = begin.reduce((sum, b, d) => sum + b * strides[d], 0);
  for (let i = 0; i < count; i++) {
    out.set(x.subarray(base, base + run), i * run);
    for (let d = axis - 1; d >= 0; d--) {
      base += strides[d];
      if (++index[d] < outer[d]) break;
      base -= index[d] * strides[d];
      index[d] = 0;
    }
  }
}

/**
 * tfjs-wasm's own Slice first copies the whole input out of the wasm heap (readSync), which
 * costs 18 ms for a 6 MB tensor on a VM where fresh pages fault slowly. This one reads the
 * heap in place and copies only what the slice keeps.
 */
export function wasmSliceFromHeap(fallback: KernelFunc): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const { inputs, attrs } = args;
    const x = inputs.x as TensorInfo;
    if (x.dtype === 'string') return fallback(args);
    const backend = args.backend as unknown as WasmBackendView;
    const { begin, size } = attrs as unknown as { begin: number | number[]; size: number | number[] };
    const [begin_, size_] = slice_util.parseSliceParams(x as never, begin, size);
    const out = backend.makeOutput(size_, x.dtype);
    if (util.sizeFromShape(size_) > 0) copySlice(backend.typedArrayFromHeap(x), x.shape, begin_, size_, backend.typedArrayFromHeap(out));
    return out;
  };
  return { kernelName: Slice, backendName: 'wasm', kernelFunc };
}
