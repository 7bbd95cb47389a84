import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import { InputError } from './errors.js';
import { registerTrainingKernels, registerFasterWasmKernels } from './kernels/index.js';
import { registerDilatedDepthwiseGradient } from './kernels/depthwise_gradient.js';
import { registerThreadedWasm, wasmThreads as wasmThreadsCount } from './wasm_threads.js';
import { loadWebgpu, type WebgpuAdapter } from './webgpu.js';

export const BACKENDS = ['wasm', 'cpu', 'tensorflow', 'webgpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

export interface BackendInfo {
  name: BackendName;
  /** Where the choice came from. */
  source: 'argument' | 'HBX_BACKEND' | 'default';
  /** For `tensorflow`: the npm package that provided it. */
  package?: string;
  /** For `webgpu`: the adapter (GPU, or lavapipe on the CPU). */
  adapter?: WebgpuAdapter;
  /** Kernels hbx registered because the backend lacked them or was slow at them. */
  addedKernels: string[];
  /** XNNPACK threads of the wasm engine (1: tfjs's single-threaded build; other backends 1). */
  wasmThreads: number;
}

/** tfjs-backend-wasm's threaded build creates at most 8 XNNPACK threads. */
export const MAX_WASM_THREADS = 8;

/** XNNPACK threads per wasm engine: explicit value, then `HBX_WASM_THREADS`, then 1. */
export function resolveWasmThreads(requested?: string | number, env: NodeJS.ProcessEnv = process.env): number {
  const [value, where] = requested != null ? [String(requested), '--wasm-threads'] : env.HBX_WASM_THREADS ? [env.HBX_WASM_THREADS, 'HBX_WASM_THREADS'] : ['1', ''];
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < 1 || n > MAX_WASM_THREADS) {
    throw new InputError(`${where}: expected a whole number of threads from 1 to ${MAX_WASM_THREADS}, got '${value}'`);
  }
  return n;
}

export interface BackendOptions {
  /** XNNPACK threads per wasm engine (see resolveWasmThreads); ignored by other backends. */
  wasmThreads?: string | number;
}

export const TENSORFLOW_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'];

let active: BackendInfo | undefined;

/** Picks the backend name: explicit argument, then `HBX_BACKEND`, then wasm. */
export function resolveBackendName(
  requested?: string,
  env: NodeJS.ProcessEnv = process.env,
): Pick<BackendInfo, 'name' | 'source'> {
  const [value, source] =
    requested != null
      ? [requested, 'argument' as const]
      : env.HBX_BACKEND
        ? [env.HBX_BACKEND, 'HBX_BACKEND' as const]
        : ['wasm', 'default' as const];
  if (!(BACKENDS as readonly string[]).includes(value)) {
    const where = source === 'argument' ? '--backend' : 'HBX_BACKEND';
    throw new InputError(`${where}: unknown backend '${value}', expected one of ${BACKENDS.join(', ')}`);
  }
  return { name: value as BackendName, source };
}

/** How a user gets a tensorflow backend: both packages download libtensorflow when installed. */
export const TENSORFLOW_INSTALL =
  'npm install @tensorflow/tfjs-node-gpu for CUDA (with the CUDA and cuDNN versions its README names) or @tensorflow/tfjs-node for CPU; ' +
  'their install scripts download libtensorflow from storage.googleapis.com, which must be reachable';

const require = createRequire(import.meta.url);

function installed(pkg: string): boolean {
  try {
    require.resolve(pkg);
    return true;
  } catch {
    return false;
  }
}

/**
 * Imports the first installed tfjs-node package and returns its name. Not installed: an
 * InputError saying how to install one; installed but failing to load: that package's error.
 */
export async function loadTensorflowPackage(): Promise<string> {
  const pkg = TENSORFLOW_PACKAGES.find(installed);
  if (!pkg) {
    throw new InputError(`backend 'tensorflow': neither ${TENSORFLOW_PACKAGES.join(' nor ')} is installed; ${TENSORFLOW_INSTALL}; or use --backend wasm`);
  }
  await import(pkg);
  return pkg;
}

/**
 * Chooses the compute backend once per process. Later calls with the same choice return
 * the same info; a different choice is an error (tensors would be stranded).
 */
export async function initBackend(requested?: string, options: BackendOptions = {}): Promise<BackendInfo> {
  const { name, source } = resolveBackendName(requested);
  const wasmThreads = name === 'wasm' ? resolveWasmThreads(options.wasmThreads) : 1;
  if (active) {
    if (active.name !== name) {
      throw new InputError(`backend already initialised as '${active.name}', cannot switch to '${name}'`);
    }
    if (active.wasmThreads !== wasmThreads) {
      throw new InputError(`wasm backend already initialised with ${active.wasmThreads} thread(s), cannot switch to ${wasmThreads}`);
    }
    return active;
  }
  tf.enableProdMode();
  const pkg = name === 'tensorflow' ? await loadTensorflowPackage() : undefined;
  const adapter = name === 'webgpu' ? await loadWebgpu() : undefined;
  // cpu's own backprop kernels compute dilated calls as undilated ones: ours take those.
  const addedKernels = name === 'tensorflow' ? [] : registerTrainingKernels(name);
  if (name === 'wasm') addedKernels.push(...registerFasterWasmKernels());
  if (name === 'wasm' && wasmThreads > 1) registerThreadedWasm(wasmThreads);
  if (!(await tf.setBackend(name))) {
    throw new Error(`backend '${name}' failed to initialise`);
  }
  await tf.ready();
  if (name === 'wasm' && wasmThreads > 1 && wasmThreadsCount() !== wasmThreads) {
    throw new Error(`wasm backend: asked for ${wasmThreads} XNNPACK threads, the threaded build runs ${wasmThreadsCount()}`);
  }
  active = { name, source, package: pkg, adapter, addedKernels, wasmThreads };
  return active;
}

let gradients: Promise<void> | undefined;
let gradientsReady = false;

/**
 * Registers the gradient of every kernel, and tfjs's chained tensor methods (`x.reshape()`).
 * tfjs-core's node bundle leaves both out; the @tensorflow/tfjs bundle registers them (the only
 * way to get them under plain Node ESM), but it also loads layers, converter and data, about
 * 0.45 s of a 1.3 s start-up, so only what computes gradients (training, the accuracy
 * predictor) loads it. hbx's own code calls ops as functions (`tf.reshape(x)`).
 */
export function loadGradients(): Promise<void> {
  gradients ??= import('@tensorflow/tfjs').then(() => {
    registerDilatedDepthwiseGradient();
    gradientsReady = true;
  });
  return gradients;
}

/** Throws unless loadGradients() has finished: for synchronous code that computes gradients. */
export function requireGradients(what: string): void {
  if (!gradientsReady) throw new Error(`${what} computes gradients: await loadGradients() first`);
}

/** The backend chosen by `initBackend`, if any. */
export function activeBackend(): BackendInfo | undefined {
  return active;
}
