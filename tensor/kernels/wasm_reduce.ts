import { AvgPool, Mean, Sum, util, type KernelBackend, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { KernelComposer } from './compose.js';

/** Below this many elements the backend's own reduction is as fast. */
const MIN_SIZE = 1 << 14;

/** The divisor of n closest to sqrt(n) from below, or 1 when it is under 8. */
function splitFactor(n: number): number {
  for (let d = Math.floor(Math.sqrt(n)); d >= 8; d--) if (n % d === 0) return d;
  return 1;
}

/**
 * The means over the middle axis of x viewed as [lead, rows, cols], as average pooling
 * (XNNPACK's, channels innermost, so nothing is transposed). rows = r1 * r2 with both factors
 * at least 8 is averaged in two steps, blocks of r1 rows and then the r2 block means, which
 * keeps float32 rounding near sqrt(rows) ulps instead of rows.
 */
function middleMeans(k: KernelComposer, x: TensorInfo, lead: number, rows: number, cols: number): TensorInfo {
  const r1 = splitFactor(rows);
  const r2 = rows / r1;
  const pool = (t: TensorInfo, shape: number[], window: [number, number]) =>
    k.run(AvgPool, { x: k.reshape(t, shape) }, { filterSize: window, strides: window, pad: 'valid' });
  const blockMeans = pool(x, [lead, r2, r1, cols], [1, r1]); // [lead, r2, 1, cols]
  return r2 === 1 ? blockMeans : pool(blockMeans, [lead, r2, 1, cols], [r2, 1]);
}

/**
 * Sum and Mean for tfjs-wasm over consecutive axes that leave the last one (a batch norm's
 * statistics and its gradient's sums over N, H, W; global pooling over H, W): the backend's own
 * kernels transpose the reduced axes innermost first and took 32 ms at [64, 14, 14, 576] over
 * N, H, W; average pooling takes about 2. Every other reduction goes to the backend's own kernel.
 */
export function reductionByPooling(native: KernelConfig, mean: boolean): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const x = args.inputs.x as TensorInfo;
    const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
    const axes = util.parseAxisParam(axis, x.shape).sort((a, b) => a - b);
    const [first, last] = [axes[0], axes[axes.length - 1]];
    const consecutive = axes.length > 0 && last - first === axes.length - 1 && last < x.shape.length - 1;
    if (x.dtype !== 'float32' || !consecutive || util.sizeFromShape(x.shape) < MIN_SIZE) return native.kernelFunc(args);
    const size = (from: number, to: number) => util.sizeFromShape(x.shape.slice(from, to));
    const rows = size(first, last + 1);
    const k = new KernelComposer(args.backend as KernelBackend, 'wasm');
    const means = middleMeans(k, x, size(0, first), rows, size(last + 1, x.shape.length));
    const result = mean ? means : k.run('Multiply', { a: means, b: k.run('Fill', {}, { shape: [], value: rows, dtype: 'float32' }) });
    const outShape = keepDims ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
    return k.finish(k.reshape(result, outShape));
  };
  return { ...native, kernelFunc };
}

export const REDUCTIONS: [string, boolean][] = [
  [Sum, false],
  [Mean, true],
];
