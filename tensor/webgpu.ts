import { createRequire } from 'node:module';
import { InputError } from './errors.js';

/** The two optional packages: Dawn's Node binding (its Linux binary is in the npm tarball) and tfjs's backend. */
export const WEBGPU_PACKAGES = ['webgpu', '@tensorflow/tfjs-backend-webgpu'];

export const WEBGPU_INSTALL = `npm install ${WEBGPU_PACKAGES.join(' ')} (optional dependencies of hyperbox: npm ci installs them unless optional dependencies are omitted)`;

/** What a machine without a Vulkan adapter needs. */
export const VULKAN_INSTALL =
  "install the Vulkan loader (apt-get install libvulkan1) and a Vulkan driver: on an NVIDIA machine the driver's own Vulkan ICD; " +
  "for the CPU, Mesa's lavapipe at version 24 or later (apt-get install -t bookworm-backports mesa-vulkan-drivers on Debian 12, whose own Mesa 22.3 Dawn rejects)";

export interface WebgpuAdapter {
  vendor: string;
  architecture: string;
  description: string;
  /** A software adapter (lavapipe): WebGPU computing on the CPU. */
  software: boolean;
}

interface Navigator {
  gpu?: GPULike;
}
interface GPULike {
  requestAdapter(o?: { powerPreference?: string }): Promise<{ info: { vendor: string; architecture: string; description: string; isFallbackAdapter?: boolean } } | null>;
}

/** The webgpu backend cannot run here: why, and what to do. */
export class WebgpuUnavailable extends InputError {
  constructor(
    readonly reason: string,
    readonly fix: string,
  ) {
    super(`backend 'webgpu': ${reason}; ${fix}; or use --backend wasm`);
  }
}

const require = createRequire(import.meta.url);
let loaded: Promise<WebgpuAdapter> | undefined;

/**
 * Gives Node a WebGPU implementation (Dawn, from the `webgpu` package) and registers tfjs's
 * webgpu backend, which only registers itself where `navigator.gpu` already exists. Returns the
 * adapter the backend will use. Fails with an InputError naming the fix: a package missing, or
 * no Vulkan adapter.
 */
export function loadWebgpu(): Promise<WebgpuAdapter> {
  loaded ??= load();
  loaded.catch(() => (loaded = undefined));
  return loaded;
}

async function load(): Promise<WebgpuAdapter> {
  const missing = WEBGPU_PACKAGES.filter((pkg) => {
    try {
      require.resolve(pkg);
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length) throw new WebgpuUnavailable(`${missing.join(' and ')} not installed`, WEBGPU_INSTALL);
  const [dawn, backend] = WEBGPU_PACKAGES; // by variable: the packages are optional, so the build must not need their types
  const { create, globals } = (await import(dawn)) as { create(flags: string[]): GPULike; globals: object };
  // tfjs-backend-webgpu reads GPUBufferUsage, GPUMapMode and friends as globals, as in a browser.
  Object.assign(globalThis, globals);
  const scope = globalThis as { navigator?: Navigator };
  scope.navigator ??= {};
  scope.navigator.gpu ??= create([]);
  const adapter = await scope.navigator.gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new WebgpuUnavailable('Dawn found no Vulkan adapter', VULKAN_INSTALL);
  await import(backend);
  const { vendor, architecture, description, isFallbackAdapter } = adapter.info;
  return { vendor, architecture, description, software: Boolean(isFallbackAdapter) || architecture === 'software' };
}
