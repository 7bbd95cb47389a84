/**
 * A direct, loop-by-loop convolution with PyTorch semantics (weight [out, in/g, ...k],
 * symmetric zero padding, groups) on channels-last data. The reference the elastic ops
 * are checked against.
 */
export function naiveConv(
  x: Float32Array,
  xShape: number[], // [N, ...spatial, C]
  w: Float32Array,
  wShape: number[], // [O, I/g, ...k]
  { stride = 1, pad = 0, dilation = 1, groups = 1, bias }: { stride?: number; pad?: number; dilation?: number; groups?: number; bias?: Float32Array },
): { values: Float32Array; shape: number[] } {
  const dims = xShape.length - 2;
  const [n, c] = [xShape[0], xShape[xShape.length - 1]];
  const spatial = xShape.slice(1, -1);
  const [o, ipg] = wShape;
  const k = wShape.slice(2);
  const outSpatial = spatial.map((s, i) => Math.floor((s + 2 * pad - dilation * (k[i] - 1) - 1) / stride) + 1);
  const opg = o / groups;
  const outSize = n * outSpatial.reduce((a, b) => a * b, 1) * o;
  const y = new Float32Array(outSize);
  const strides = (shape: number[]) => shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const xs = strides(xShape);
  const ws = strides(wShape);
  const ys = strides([n, ...outSpatial, o]);
  const kCount = k.reduce((a, b) => a * b, 1);
  const outCount = outSpatial.reduce((a, b) => a * b, 1);
  const unravel = (idx: number, shape: number[]) => {
    const r: number[] = [];
    for (let i = shape.length - 1; i >= 0; i--) {
      r[i] = idx % shape[i];
      idx = Math.floor(idx / shape[i]);
    }
    return r;
  };
  for (let b = 0; b < n; b++)
    for (let p = 0; p < outCount; p++) {
      const op = unravel(p, outSpatial);
      for (let oc = 0; oc < o; oc++) {
        const g = Math.floor(oc / opg);
        let sum = bias ? bias[oc] : 0;
        for (let q = 0; q < kCount; q++) {
          const kp = unravel(q, k);
          const ip = op.map((v, i) => v * stride - pad + kp[i] * dilation);
          if (ip.some((v, i) => v < 0 || v >= spatial[i])) continue;
          let xBase = b * xs[0];
          for (let i = 0; i < dims; i++) xBase += ip[i] * xs[i + 1];
          let wBase = oc * ws[0];
          for (let i = 0; i < dims; i++) wBase += kp[i] * ws[i + 2];
          for (let ic = 0; ic < ipg; ic++) sum += x[xBase + g * ipg + ic] * w[wBase + ic * ws[1]];
        }
        let yIdx = b * ys[0] + oc;
        for (let i = 0; i < dims; i++) yIdx += op[i] * ys[i + 1];
        y[yIdx] = sum;
      }
    }
  void c;
  return { values: y, shape: [n, ...outSpatial, o] };
}
