import * as tf from '@tensorflow/tfjs-core';
import ort from 'onnxruntime-node';
import type { AnyModule } from '../space/index.js';

export interface ValidationResult {
  maxAbsDiff: number;
  onnx: Float32Array;
  tfjs: Float32Array;
  shape: number[];
}

/**
 * Runs the ONNX bytes in ONNX Runtime (CPU, 1 thread) and the network (eval mode) in tfjs
 * on the same NHWC input, and compares the outputs.
 */
export async function validateOnnx(network: AnyModule, onnxBytes: Uint8Array, input: tf.Tensor4D): Promise<ValidationResult> {
  const session = await ort.InferenceSession.create(onnxBytes, {
    executionProviders: ['cpu'],
    intraOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  });
  const nchw = tf.tidy(() => tf.transpose(input, [0, 3, 1, 2]));
  const feeds = { input: new ort.Tensor('float32', nchw.dataSync() as Float32Array, nchw.shape) };
  nchw.dispose();
  const result = await session.run(feeds);
  await session.release();
  const onnx = result.logits.data as Float32Array;
  const wasTraining = network.training;
  network.eval();
  const y = tf.tidy(() => network.forward(input) as tf.Tensor);
  network.train(wasTraining);
  const tfjs = y.dataSync() as Float32Array;
  const shape = y.shape;
  y.dispose();
  let maxAbsDiff = 0;
  for (let i = 0; i < tfjs.length; i++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(tfjs[i] - onnx[i]));
  if (onnx.length !== tfjs.length) maxAbsDiff = Infinity;
  return { maxAbsDiff, onnx: Float32Array.from(onnx), tfjs: Float32Array.from(tfjs), shape };
}
