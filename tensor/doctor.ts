import * as tf from '@tensorflow/tfjs-core';
import { availableParallelism } from 'node:os';
import { BACKENDS, loadTensorflowPackage, TENSORFLOW_INSTALL, TENSORFLOW_PACKAGES, type BackendName } from './backend.js';
import { isInputError } from './errors.js';
import { loadWebgpu, WebgpuUnavailable } from './webgpu.js';

export interface BackendDiagnosis {
  name: BackendName;
  works: boolean;
  /** What was found: the package and what a probe computed, or why it fails. */
  detail: string;
  /** What to do where it does not work. */
  fix?: string;
}

export interface Diagnosis {
  cores: number;
  backends: BackendDiagnosis[];
}

const firstLine = (err: unknown) => (err instanceof Error ? err.message : String(err)).split('\n')[0];

/** Reads a result the way every backend allows (webgpu cannot read synchronously in Node). */
async function computed(f: () => tf.Tensor): Promise<number[]> {
  const t = f();
  const values = Array.from(await t.data());
  t.dispose();
  return values;
}

/** Switches to `name`, adds 1 + 2 and multiplies two 2x2 matrices there, and switches back. */
async function probe(name: string): Promise<string | undefined> {
  const previous = tf.getBackend();
  try {
    if (!(await tf.setBackend(name))) return `tf.setBackend('${name}') returned false`;
    const [sum] = await computed(() => tf.tidy(() => tf.add(tf.scalar(1), tf.scalar(2))));
    const product = await computed(() => tf.tidy(() => tf.matMul(tf.tensor2d([1, 2, 3, 4], [2, 2]), tf.eye(2))));
    if (sum !== 3 || product.join() !== '1,2,3,4') return `computed 1 + 2 = ${sum}, [[1,2],[3,4]] x I = ${product}`;
    return undefined;
  } catch (err) {
    return firstLine(err);
  } finally {
    if (previous && previous !== tf.getBackend()) await tf.setBackend(previous);
  }
}

async function diagnoseBuiltIn(name: 'wasm' | 'cpu'): Promise<BackendDiagnosis> {
  const failure = await probe(name);
  const pkg = `@tensorflow/tfjs-backend-${name}`;
  if (failure) return { name, works: false, detail: `${pkg}: ${failure}`, fix: 'reinstall with npm ci' };
  const note = name === 'wasm' ? 'one XNNPACK thread per engine unless --wasm-threads N; hbx train --workers N runs N engines' : 'plain JavaScript, about 35x slower than wasm for training';
  return { name, works: true, detail: `${pkg}: computes correctly (${note})` };
}

async function diagnoseTensorflow(): Promise<BackendDiagnosis> {
  let pkg: string;
  try {
    pkg = await loadTensorflowPackage();
  } catch (err) {
    if (isInputError(err)) return { name: 'tensorflow', works: false, detail: `neither ${TENSORFLOW_PACKAGES.join(' nor ')} is installed`, fix: TENSORFLOW_INSTALL };
    return { name: 'tensorflow', works: false, detail: `installed but fails to load: ${firstLine(err)}`, fix: 'npm rebuild it where storage.googleapis.com is reachable' };
  }
  const failure = await probe('tensorflow');
  return failure
    ? { name: 'tensorflow', works: false, detail: `${pkg}: ${failure}`, fix: `npm rebuild ${pkg}` }
    : { name: 'tensorflow', works: true, detail: `${pkg}: computes correctly` };
}

async function diagnoseWebgpu(): Promise<BackendDiagnosis> {
  let adapter;
  try {
    adapter = await loadWebgpu();
  } catch (err) {
    if (err instanceof WebgpuUnavailable) return { name: 'webgpu', works: false, detail: err.reason, fix: err.fix };
    return { name: 'webgpu', works: false, detail: `the webgpu package fails to load: ${firstLine(err)}`, fix: 'reinstall it with npm ci; it needs Linux, macOS or Windows on x64 or arm64' };
  }
  const failure = await probe('webgpu');
  const device = `${adapter.description} (${adapter.software ? 'software: computes on the CPU' : adapter.architecture || adapter.vendor})`;
  return failure
    ? { name: 'webgpu', works: false, detail: `${device}: ${failure}`, fix: 'update the GPU driver (or Mesa for lavapipe)' }
    : { name: 'webgpu', works: true, detail: `${device}: computes correctly (hbx train and hbx eval; one process on one adapter)` };
}

/**
 * Which compute backends work in this process and why the others do not. Probing leaves the
 * active backend as it was; a probed tensorflow backend stays registered (its native module
 * cannot be unloaded).
 */
export async function diagnoseBackends(): Promise<Diagnosis> {
  const backends: BackendDiagnosis[] = [];
  for (const name of BACKENDS) {
    backends.push(name === 'tensorflow' ? await diagnoseTensorflow() : name === 'webgpu' ? await diagnoseWebgpu() : await diagnoseBuiltIn(name));
  }
  return { cores: availableParallelism(), backends };
}
