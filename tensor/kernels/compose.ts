import {
  backend_util,
  getKernel,
  type KernelBackend,
  type KernelConfig,
  type NamedAttrMap,
  type NamedTensorInfoMap,
  type TensorInfo,
} from '@tensorflow/tfjs-core';

const ADD_N_INPUTS = 6;

/**
 * Runs kernels of one backend directly (no engine, no tape) to build a composite kernel,
 * and frees every intermediate result except the one handed back.
 */
export class KernelComposer {
  private readonly temps: TensorInfo[] = [];

  /** `overrides`: kernels to run instead of the registered ones (a kernel composing itself). */
  constructor(
    private readonly backend: KernelBackend,
    private readonly backendName: string,
    private readonly overrides: Record<string, KernelConfig> = {},
  ) {}

  run(kernelName: string, inputs: NamedTensorInfoMap, attrs: object = {}): TensorInfo {
    const kernel = this.overrides[kernelName] ?? getKernel(kernelName, this.backendName);
    if (kernel == null) {
      throw new Error(`kernel ${kernelName} is not registered for backend ${this.backendName}`);
    }
    const out = kernel.kernelFunc({ inputs, attrs: attrs as NamedAttrMap, backend: this.backend });
    if (Array.isArray(out)) throw new Error(`kernel ${kernelName} returned several outputs`);
    this.temps.push(out);
    return out;
  }

  transpose(x: TensorInfo, perm: number[]): TensorInfo {
    return this.run('Transpose', { x }, { perm });
  }

  reshape(x: TensorInfo, shape: number[]): TensorInfo {
    return this.run('Reshape', { x }, { shape });
  }

  sum(x: TensorInfo, axis: number): TensorInfo {
    return this.run('Sum', { x }, { axis: [axis], keepDims: false });
  }

  /**
   * The sum of same-shaped tensors, in AddN calls of at most ADD_N_INPUTS inputs: webgpu's AddN
   * cannot bind more storage buffers than that in one shader.
   */
  addAll(xs: TensorInfo[]): TensorInfo {
    let level = xs;
    while (level.length > 1) {
      const next: TensorInfo[] = [];
      for (let i = 0; i < level.length; i += ADD_N_INPUTS) {
        const chunk = level.slice(i, i + ADD_N_INPUTS);
        next.push(chunk.length === 1 ? chunk[0] : this.run('AddN', chunk as unknown as NamedTensorInfoMap));
      }
      level = next;
    }
    return level[0];
  }

  /**
   * Pads (positive amounts) or crops (negative amounts) the two spatial axes of an NHWC
   * tensor. Crops are done here; pads are returned as explicit conv padding so that the
   * convolution does them without a copy.
   */
  fitSpatial(x: TensorInfo, before: [number, number], after: [number, number]): {
    x: TensorInfo;
    pad: backend_util.ExplicitPadding;
  } {
    const [n, h, w, c] = x.shape;
    const cropTop = Math.max(0, -before[0]);
    const cropLeft = Math.max(0, -before[1]);
    const keepH = h - cropTop - Math.max(0, -after[0]);
    const keepW = w - cropLeft - Math.max(0, -after[1]);
    const cropped =
      keepH === h && keepW === w
        ? x
        : this.run('Slice', { x }, { begin: [0, cropTop, cropLeft, 0], size: [n, keepH, keepW, c] });
    const pad: backend_util.ExplicitPadding = [
      [0, 0],
      [Math.max(0, before[0]), Math.max(0, after[0])],
      [Math.max(0, before[1]), Math.max(0, after[1])],
      [0, 0],
    ];
    return { x: cropped, pad };
  }

  /** Hands `result` to the caller and frees every other intermediate. */
  finish(result: TensorInfo): TensorInfo {
    for (const t of this.temps) {
      if (t !== result) this.backend.disposeData(t.dataId);
    }
    this.temps.length = 0;
    return result;
  }
}

export type Pair = [number, number];

/** Attributes every convolution kernel takes. */
export interface ConvKernelAttrs {
  strides: number | Pair;
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  dilations?: number | Pair;
}

export function pair(v: number | [number, number] | undefined, fallback = 1): Pair {
  if (v == null) return [fallback, fallback];
  return typeof v === 'number' ? [v, v] : [v[0], v[1]];
}
