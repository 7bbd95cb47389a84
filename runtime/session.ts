import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, sep } from 'node:path';
import ort from 'onnxruntime-node';
import { InputError, readInputFile } from '../tensor/index.js';

export type GraphOptimizationLevel = 'disabled' | 'basic' | 'extended' | 'all';

/**
 * Where a model runs: `cpu` is onnxruntime-node's CPU provider (native kernels); `wasm` is
 * ONNX Runtime's WebAssembly build (onnxruntime-web in Node: the kernels a browser runs),
 * from the optional package onnxruntime-web.
 */
export type Provider = 'cpu' | 'wasm';
export const PROVIDERS: readonly Provider[] = ['cpu', 'wasm'];

/** Explicit ONNX Runtime settings: the same ones are used to profile and to deploy. */
export interface SessionSettings {
  provider: Provider;
  /** Intra-op threads (the ones that matter on CPU). */
  threads: number;
  interOpThreads: number;
  graphOptimizationLevel: GraphOptimizationLevel;
}

export const DEFAULT_SESSION: SessionSettings = { provider: 'cpu', threads: 1, interOpThreads: 1, graphOptimizationLevel: 'all' };

export const RUNTIME_NAME = 'onnxruntime-node';
export const RUNTIME_VERSION: string = ort.env.versions.common;

const WEB_PACKAGE = 'onnxruntime-web';
const missingWeb = () => new InputError(`--provider: 'wasm' runs on the optional package ${WEB_PACKAGE}, which is not installed (npm install ${WEB_PACKAGE})`);

/** The package and version a provider runs on (what a latency table records). */
export function runtimeOf(provider: Provider): { name: string; version: string } {
  if (provider === 'cpu') return { name: RUNTIME_NAME, version: RUNTIME_VERSION };
  let entry: string;
  try {
    entry = createRequire(import.meta.url).resolve(WEB_PACKAGE);
  } catch {
    throw missingWeb();
  }
  // Its exports do not include package.json: read it from the folder the entry point is in.
  const root = entry.slice(0, entry.lastIndexOf(`${sep}${WEB_PACKAGE}${sep}`) + WEB_PACKAGE.length + 1);
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  return { name: WEB_PACKAGE, version: pkg.version };
}

let web: Promise<typeof ort> | undefined;
async function moduleFor(provider: Provider): Promise<typeof ort> {
  if (provider === 'cpu') return ort;
  web ??= (import(WEB_PACKAGE) as Promise<{ default?: typeof ort } & typeof ort>).then(
    (m) => m.default ?? m,
    () => {
      web = undefined;
      throw missingWeb();
    },
  );
  return web;
}

/** Each session's Tensor class: onnxruntime-web's sessions take only its own tensors. */
const tensorOf = new WeakMap<object, typeof ort.Tensor>();

export async function createSession(model: Uint8Array | string, settings: Partial<SessionSettings> = {}): Promise<ort.InferenceSession> {
  const s = { ...DEFAULT_SESSION, ...settings };
  if (!PROVIDERS.includes(s.provider)) throw new InputError(`--provider: '${s.provider}' is not available, expected one of ${PROVIDERS.join(', ')}`);
  const runtime = await moduleFor(s.provider);
  if (s.provider === 'wasm') runtime.env.wasm.numThreads = s.threads;
  const bytes = typeof model === 'string' ? readInputFile(model) : model;
  try {
    const session = await runtime.InferenceSession.create(bytes, {
      executionProviders: [s.provider],
      intraOpNumThreads: s.threads,
      interOpNumThreads: s.interOpThreads,
      executionMode: 'sequential',
      graphOptimizationLevel: s.graphOptimizationLevel,
    });
    tensorOf.set(session, runtime.Tensor);
    return session;
  } catch (err) {
    const what = typeof model === 'string' ? model : 'model';
    throw new InputError(`${what}: not a loadable ONNX model (${String((err as Error).message ?? err).split('\n')[0]})`);
  }
}

/** Float32 feeds of the right shape for every input (dynamic dimensions taken as 1). */
export function randomFeeds(session: ort.InferenceSession, batch = 1): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  const Tensor = tensorOf.get(session) ?? ort.Tensor;
  const meta = session.inputMetadata as unknown as { name: string; isTensor: boolean; shape: (number | string)[] }[];
  for (const input of meta) {
    const dims = input.shape.map((d, i) => (typeof d === 'number' && d > 0 ? d : i === 0 ? batch : 1));
    const size = dims.reduce((a, b) => a * b, 1);
    const data = new Float32Array(size);
    for (let i = 0; i < size; i++) data[i] = Math.sin(i * 12.9898) * 0.5;
    feeds[input.name] = new Tensor('float32', data, dims);
  }
  return feeds;
}
