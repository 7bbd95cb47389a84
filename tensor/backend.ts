import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import { InputError } from './errors.js';
import { registerTrainingKernels, registerFasterWasmKernels } from './kernels/index.js';
import { registerDilatedDepthwiseGradient } from './kernels/depthwise_gradient.js';
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
export async function initBackend(requested?: string): Promise<BackendInfo> {
  const { name, source } = resolveBackendName(requested);
  if (active) {
    if (active.name !== name) {
      throw new InputError(`backend already initialised as '${active.name}', cannot switch to '${name}'`);
    }
    return active;
  }
  tf.enableProdMode();
  const pkg = name === 'tensorflow' ? await loadTensorflowPackage() : undefined;
  const adapter = name === 'webgpu' ? await loadWebgpu() : undefined;
  // cpu's own backprop kernels compute dilated calls as undilated ones: ours take those.
  const addedKernels = name === 'tensorflow' ? [] : registerTrainingKernels(name);
  if (name === 'wasm') addedKernels.push(...registerFasterWasmKernels());
  if (!(await tf.setBackend(name))) {
    throw new Error(`backend '${name}' failed to initialise`);
  }
  await tf.ready();
  active = { name, source, package: pkg, adapter, addedKernels };
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
