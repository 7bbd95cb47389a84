import {
  backend_util,
  DepthwiseConv2dNativeBackpropInput,
  type KernelConfig,
  type KernelBackend,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { KernelComposer, type ConvKernelAttrs } from './compose.js';

interface Attrs extends ConvKernelAttrs {
  inputShape: [number, number, number, number];
}

/** One axis of a polyphase split: which filter taps and dy positions feed output phase r. */
function phase(r: number, stride: number, k: number, padBefore: number, outSize: number, inSize: number) {
  const b = r + padBefore;
  const firstTap = b % stride;
  const taps = Math.max(0, Math.ceil((k - firstTap) / stride));
  const count = Math.ceil((inSize - r) / stride); // outputs q with q * stride + r < inSize
  const offset = Math.floor(b / stride) - (taps - 1); // dx[q] reads dy[q + offset + j']
  return { firstTap, taps, count, before: -offset, after: count - 1 + offset + taps - 1 - (outSize - 1) };
}

/**
 * The transposed depthwise convolution (gradient of a depthwise conv with respect to its
 * input), as stride-1 depthwise convolutions of dy with the spatially flipped filter.
 * With stride s > 1 it is split into s x s phases (polyphase): output rows q*s + r only
 * meet the taps r + pad (mod s), so each phase is a small convolution with every s-th tap,
 * and the phases are interleaved; no multiplications by inserted zeros.
 */
export function depthwiseBackpropInputFromConv(backendName: string): KernelConfig {
  const kernelFunc = ({ inputs, backend, attrs }: Parameters<KernelFunc>[0]): TensorInfo => {
    const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
    const { strides, pad, dimRoundingMode, dilations, inputShape } = attrs as unknown as Attrs;
    const info = backend_util.computeConv2DInfo(inputShape, filter.shape as [number, number, number, number], strides, dilations ?? 1, pad, dimRoundingMode, true);
    const k = new KernelComposer(backend as KernelBackend, backendName);
    const [n, inH, inW, c] = inputShape;
    const [kh, kw, , m] = filter.shape;
    const cm = c * m;
    const [sH, sW] = [info.strideHeight, info.strideWidth];
    const [dH, dW] = [info.dilationHeight, info.dilationWidth];
    const sumMultiplier = (dx: TensorInfo) => (m === 1 ? dx : k.sum(k.reshape(dx, [n, inH, inW, c, m]), 4));

    if (sH === 1 && sW === 1) {
      const flipped = k.reshape(k.run('Reverse', { x: filter }, { dims: [0, 1] }), [kh, kw, cm, 1]);
      const beforeH = (kh - 1) * dH - info.padInfo.top;
      const beforeW = (kw - 1) * dW - info.padInfo.left;
      const fitted = k.fitSpatial(dy, [beforeH, beforeW], [inH + (kh - 1) * dH - dy.shape[1] - beforeH, inW + (kw - 1) * dW - dy.shape[2] - beforeW]);
      const dx = k.run('DepthwiseConv2dNative', { x: fitted.x, filter: flipped }, { strides: [1, 1], dilations: [dH, dW], pad: fitted.pad, dataFormat: 'NHWC' });
      return k.finish(sumMultiplier(dx));
    }

    // tfjs allows stride > 1 only with dilation 1.
    const qH = Math.ceil(inH / sH);
    const qW = Math.ceil(inW / sW);
    const rows: TensorInfo[] = [];
    for (let rh = 0; rh < sH; rh++) {
      const ph = phase(rh, sH, kh, info.padInfo.top, info.outHeight, inH);
      const cols: TensorInfo[] = [];
      for (let rw = 0; rw < sW; rw++) {
        const pw = phase(rw, sW, kw, info.padInfo.left, info.outWidth, inW);
        let out: TensorInfo;
        if (ph.taps === 0 || pw.taps === 0 || ph.count === 0 || pw.count === 0) {
          out = k.run('Fill', {}, { shape: [n, ph.count, pw.count, cm], value: 0, dtype: 'float32' });
        } else {
          const taps = k.run(
            'StridedSlice',
            { x: filter },
            { begin: [ph.firstTap, pw.firstTap, 0, 0], end: [kh, kw, c, m], strides: [sH, sW, 1, 1], beginMask: 0, endMask: 0, ellipsisMask: 0, newAxisMask: 0, shrinkAxisMask: 0 },
          );
          const sub = k.reshape(k.run('Reverse', { x: taps }, { dims: [0, 1] }), [ph.taps, pw.taps, cm, 1]);
          const fitted = k.fitSpatial(dy, [ph.before, pw.before], [ph.after, pw.after]);
          out = k.run('DepthwiseConv2dNative', { x: fitted.x, filter: sub }, { strides: [1, 1], dilations: [1, 1], pad: fitted.pad, dataFormat: 'NHWC' });
        }
        // Every phase padded to the size of phase 0, so the phases stack.
        if (ph.count !== qH || pw.count !== qW) {
          out = k.run('PadV2', { x: out }, { paddings: [[0, 0], [0, qH - ph.count], [0, qW - pw.count], [0, 0]], constantValue: 0 });
        }
        cols.push(out);
      }
      rows.push(k.run('Pack', cols as unknown as Record<string, TensorInfo>, { axis: 3 })); // [n, qH, qW, sW, cm]
    }
    const packed = k.run('Pack', rows as unknown as Record<string, TensorInfo>, { axis: 2 }); // [n, qH, sH, qW, sW, cm]
    const interleaved = k.reshape(packed, [n, qH * sH, qW * sW, cm]);
    const dx = qH * sH === inH && qW * sW === inW ? interleaved : k.run('Slice', { x: interleaved }, { begin: [0, 0, 0, 0], size: [n, inH, inW, cm] });
    return k.finish(sumMultiplier(dx));
  };
  return { kernelName: DepthwiseConv2dNativeBackpropInput, backendName, kernelFunc: kernelFunc as unknown as KernelFunc };
}
