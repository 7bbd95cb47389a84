import ort from 'onnxruntime-node';
import { InputError, readInputFile } from '../tensor/index.js';

export type GraphOptimizationLevel = 'disabled' | 'basic' | 'extended' | 'all';

/** Explicit ONNX Runtime settings: the same ones are used to profile and to deploy. */
export interface SessionSettings {
  provider: 'cpu';
  /** Intra-op threads (the ones that matter on CPU). */
  threads: number;
  interOpThreads: number;
  graphOptimizationLevel: GraphOptimizationLevel;
}

export const DEFAULT_SESSION: SessionSettings = { provider: 'cpu', threads: 1, interOpThreads: 1, graphOptimizationLevel: 'all' };

export const RUNTIME_NAME = 'onnxruntime-node';
export const RUNTIME_VERSION: string = ort.env.versions.common;

export async function createSession(model: Uint8Array | string, settings: Partial<SessionSettings> = {}): Promise<ort.InferenceSession> {
  const s = { ...DEFAULT_SESSION, ...settings };
  if (s.provider !== 'cpu') throw new InputError(`--provider: '${s.provider}' is not available, expected cpu`);
  const bytes = typeof model === 'string' ? readInputFile(model) : model;
  try {
    return await ort.InferenceSession.create(bytes, {
      executionProviders: [s.provider],
      intraOpNumThreads: s.threads,
      interOpNumThreads: s.interOpThreads,
      executionMode: 'sequential',
      graphOptimizationLevel: s.graphOptimizationLevel,
    });
  } catch (err) {
    const what = typeof model === 'string' ? model : 'model';
    throw new InputError(`${what}: not a loadable ONNX model (${String((err as Error).message ?? err).split('\n')[0]})`);
  }
}

/** Float32 feeds of the right shape for every input (dynamic dimensions taken as 1). */
export function randomFeeds(session: ort.InferenceSession, batch = 1): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  const meta = session.inputMetadata as unknown as { name: string; isTensor: boolean; shape: (number | string)[] }[];
  for (const input of meta) {
    const dims = input.shape.map((d, i) => (typeof d === 'number' && d > 0 ? d : i === 0 ? batch : 1));
    const size = dims.reduce((a, b) => a * b, 1);
    const data = new Float32Array(size);
    for (let i = 0; i < size; i++) data[i] = Math.sin(i * 12.9898) * 0.5;
    feeds[input.name] = new ort.Tensor('float32', data, dims);
  }
  return feeds;
}
