import { beforeAll } from 'vitest';
import { initBackend, loadGradients } from '../../tensor/index.js';

/** Every suite runs on the default (wasm) backend unless it switches on purpose; `gradients` for suites that differentiate. */
export function useWasm(options: { gradients?: boolean } = {}): void {
  beforeAll(async () => {
    await initBackend('wasm');
    if (options.gradients) await loadGradients();
  });
}
