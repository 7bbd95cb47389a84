import * as tf from '@tensorflow/tfjs-core';
import * as wasmBackend from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import { dirname, join } from 'node:path';

/**
 * tfjs-backend-wasm ships a multi-threaded SIMD build (XNNPACK on a pthreadpool) but never
 * loads it under Node (its flag answers "no threads" for Node, tfjs issue 3830). Emscripten's
 * output itself runs in Node on worker_threads; what tfjs's loader gets wrong is only where the
 * thread's script lives (a browser Blob URL). This loads that build with real files, and sizes
 * XNNPACK's thread pool: the build caps it at half of `os.cpus()` (it assumes two hardware
 * threads per core), read once while the module instantiates.
 */
const require = createRequire(import.meta.url);
const WASM_OUT = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'wasm-out');
const MAIN_SCRIPT = join(WASM_OUT, 'tfjs-backend-wasm-threaded-simd.js');

interface ThreadedModule {
  cwrap(name: string, ret: string | null, args: string[]): (...a: number[]) => number;
  PThread: { runningWorkers: { unref(): void }[] };
  tfjs?: Record<string, (...a: number[]) => number>;
}

/** The pthread worker's script, written to a file Node's Worker can start. */
function writeWorkerScript(): string {
  const { wasmWorkerContents } = require(join(WASM_OUT, 'tfjs-backend-wasm-threaded-simd.worker.js')) as { wasmWorkerContents: string };
  const dir = mkdtempSync(join(os.tmpdir(), 'hbx-wasm-threads-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'worker.cjs');
  // The contents come from a template literal whose "\n" escapes became newlines inside strings.
  writeFileSync(file, wasmWorkerContents.replace(/\n/g, '\\n'));
  return file;
}

async function instantiate(threads: number): Promise<ThreadedModule> {
  const factory = require(MAIN_SCRIPT) as (config: object) => Promise<ThreadedModule>;
  const workerScript = writeWorkerScript();
  // The build reads require('os').cpus(); an ESM namespace is read-only, the CommonJS module is not.
  const osModule = require('node:os') as { cpus: typeof os.cpus };
  const cpus = osModule.cpus;
  osModule.cpus = () => Array.from({ length: 2 * threads }, () => cpus()[0]);
  try {
    return await factory({
      locateFile: (path: string) => (path.endsWith('.worker.js') ? workerScript : join(WASM_OUT, path)),
      mainScriptUrlOrBlob: MAIN_SCRIPT,
    });
  } finally {
    osModule.cpus = cpus;
  }
}

/** The entry points tfjs's own loader wraps (backend_wasm.ts `init`). */
function wrapEntryPoints(module: ThreadedModule): void {
  module.tfjs = {
    init: module.cwrap('init', null, []),
    initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: module.cwrap('get_threads_count', 'number', []),
    registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: module.cwrap('dispose_data', null, ['number']),
    dispose: module.cwrap('dispose', null, []),
  };
}

/**
 * Makes the `wasm` backend the threaded build with `threads` XNNPACK threads (the calling
 * thread included). Call before the backend is set; kernels registered for `wasm` stay.
 */
export function registerThreadedWasm(threads: number): void {
  tf.removeBackend('wasm');
  tf.registerBackend('wasm', async () => {
    const module = await instantiate(threads);
    wrapEntryPoints(module);
    wasmBackend.setThreadsCount(threads);
    const backend = new wasmBackend.BackendWasm(module as never);
    // XNNPACK's threads wait for work for the life of the process: they must not keep it alive.
    for (const worker of module.PThread.runningWorkers) worker.unref();
    return backend;
  }, 2);
}

/** XNNPACK threads of the active wasm backend (1 for the single-threaded build). */
export function wasmThreads(): number {
  return wasmBackend.getThreadsCount();
}
