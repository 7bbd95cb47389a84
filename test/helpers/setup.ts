import { beforeAll } from 'vitest';
import { initBackend, loadGradients, loadWebgpu } from '../../tensor/index.js';

/** Every suite runs on the default (wasm) backend unless it switches on purpose; `gradients` for suites that differentiate. */
export function useWasm(options: { gradients?: boolean } = {}): void {
  beforeAll(async () => {
    await initBackend('wasm');
    if (options.gradients) await loadGradients();
  });
}

/**
 * Whether the webgpu backend runs here (Dawn with a Vulkan adapter). CI installs lavapipe, so
 * there it must: its suites are not skipped in CI, they fail.
 */
export async function webgpuAvailable(): Promise<boolean> {
  try {
    await loadWebgpu();
    return true;
  } catch (err) {
    if (process.env.CI) throw err;
    return false;
  }
}
