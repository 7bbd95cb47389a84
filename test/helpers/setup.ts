import { beforeAll } from 'vitest';
import { initBackend } from '../../tensor/index.js';

/** Every suite runs on the default (wasm) backend unless it switches on purpose. */
export function useWasm(): void {
  beforeAll(async () => {
    await initBackend('wasm');
  });
}
