import { GraphBuilder } from '../export/index.js';

/**
 * The reference model the timing protocol measures the machine's current speed with: a
 * fixed stack of convolutions (about 0.3 ms on one core of a 2-core EPYC), the same bytes on
 * every machine and in every hbx, independent of any search space. Its output is pooled to
 * one value per channel: a large output costs page faults on fresh buffers that have nothing
 * to do with the machine's speed (see TIMING_PROTOCOL).
 */
export function referenceModel(): Uint8Array {
  const g = new GraphBuilder('hbx-reference');
  const channels = 32;
  const size = 24;
  let y = g.input('input', [1, channels, size, size]);
  let seed = 1;
  const weights = (n: number) => Float32Array.from({ length: n }, () => ((seed = (seed * 48271) % 2147483647) / 2147483647 - 0.5) * 0.1);
  for (let i = 0; i < 4; i++) {
    const w = g.initializer(`conv${i}.weight`, weights(channels * channels * 9), [channels, channels, 3, 3]);
    const b = g.initializer(`conv${i}.bias`, weights(channels), [channels]);
    y = g.node('Relu', [g.node('Conv', [y, w, b], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] })]);
  }
  g.output(g.node('GlobalAveragePool', [y]), [1, channels, 1, 1]);
  return g.encode({ opset: 17 });
}
