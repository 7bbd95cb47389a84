import { Linear } from '../space/index.js';
import type { BlockModel } from './definition.js';
import type { Emittable } from './emit.js';

/** A latency block from a module that emits itself, its NCHW input and output shapes. */
export function blockModelOf(module: Emittable & { dispose?: () => void }, input: number[], output: number[]): BlockModel {
  return { module, input, output, dispose: () => module.dispose?.() };
}

/** The head most spaces end with as a latency block: global average pooling, then a linear classifier. */
export function poolClassifierBlock(cin: number, size: number, classes: number): BlockModel {
  const fc = new Linear(cin, classes);
  return blockModelOf({ emit: (e, x) => e.linear(e.node('GlobalAveragePool', [x]), fc, 'classifier'), dispose: () => fc.dispose() }, [1, cin, size, size], [1, classes]);
}
