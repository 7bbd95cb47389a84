import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../../tensor/index.js';
import { copySlice } from '../../tensor/kernels/wasm_slice.js';

await initBackend('wasm');

/** A shape of rank 1 to 5 and a slice inside it. */
const sliceCase = fc
  .array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 5 })
  .chain((shape) =>
    fc
      .tuple(...shape.map((d) => fc.integer({ min: 0, max: d - 1 }).chain((b) => fc.tuple(fc.constant(b), fc.integer({ min: 0, max: d - b })))))
      .map((pairs) => ({ shape, begin: pairs.map((p) => p[0]), size: pairs.map((p) => p[1]) })),
  );

/** The reference: every output index mapped back to its input index. */
function sliceByIndex(values: number[], shape: number[], begin: number[], size: number[]): number[] {
  const out: number[] = [];
  const total = size.reduce((a, b) => a * b, 1);
  for (let i = 0; i < total; i++) {
    let rest = i;
    let flat = 0;
    for (let d = shape.length - 1, stride = 1; d >= 0; stride *= shape[d], d--) {
      flat += (begin[d] + (rest % size[d])) * stride;
      rest = Math.floor(rest / size[d]);
    }
    out.push(values[flat]);
  }
  return out;
}

describe('wasm Slice that reads the heap in place', () => {
  it('equals an index-by-index reference on every slice of every shape up to rank 5 (float32 and int32)', async () => {
    await fc.assert(
      fc.asyncProperty(sliceCase, fc.constantFrom('float32', 'int32'), async ({ shape, begin, size }, dtype) => {
        const n = shape.reduce((a, b) => a * b, 1);
        const values = Array.from({ length: n }, (_, i) => i * 3 - 7);
        const x = tf.tensor(values, shape, dtype as 'float32' | 'int32');
        const got = tf.slice(x, begin, size);
        expect(got.shape).toEqual(size);
        expect(got.dtype).toBe(dtype);
        expect(Array.from(await got.data())).toEqual(sliceByIndex(values, shape, begin, size));
        tf.dispose([x, got]);
      }),
      { numRuns: 300 },
    );
  });

  it('copies runs: a slice of whole trailing axes is one run', () => {
    const x = Float32Array.from({ length: 2 * 3 * 4 }, (_, i) => i);
    const out = new Float32Array(1 * 2 * 4);
    copySlice(x, [2, 3, 4], [1, 1, 0], [1, 2, 4], out);
    expect(Array.from(out)).toEqual([16, 17, 18, 19, 20, 21, 22, 23]);
    const corner = new Float32Array(4);
    copySlice(x, [2, 3, 4], [0, 1, 2], [2, 1, 2], corner);
    expect(Array.from(corner)).toEqual([6, 7, 18, 19]);
  });
});
