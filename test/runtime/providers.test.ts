import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  checkTableFits,
  createSession,
  DEFAULT_SESSION,
  initBackend,
  LatencyPredictor,
  profileDevice,
  randomFeeds,
  referenceModel,
  resolveOFAOptions,
  runtimeOf,
  sampleArchs,
  latencySpaceOf,
  OFAMobileNetV3,
} from '../../index.js';

await initBackend('wasm');

const wasm = { ...DEFAULT_SESSION, provider: 'wasm' as const };

describe("provider 'wasm': ONNX Runtime's WebAssembly build (onnxruntime-web) in Node", () => {
  it('runs a model to the same outputs as the native CPU provider, and names its package and version', async () => {
    const model = referenceModel();
    const [native, web] = [await createSession(model), await createSession(model, wasm)];
    const out = async (s: typeof native) => (Object.values(await s.run(randomFeeds(s)))[0].data as Float32Array);
    const [a, b] = [await out(native), await out(web)];
    expect(b.length).toBe(a.length);
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
    expect(worst).toBeLessThan(1e-4);
    expect(a.some((v) => v !== 0)).toBe(true);
    const pkg = JSON.parse(readFileSync('node_modules/onnxruntime-web/package.json', 'utf8')) as { version: string };
    expect(runtimeOf('wasm')).toEqual({ name: 'onnxruntime-web', version: pkg.version });
    expect(runtimeOf('cpu').name).toBe('onnxruntime-node');
  });

  it('profiles a device table on it; the table records the provider, and cpu settings do not fit it', async () => {
    const space = latencySpaceOf(new OFAMobileNetV3(resolveOFAOptions({ widthMult: 0.5, numClasses: 10, stemStride: 1, resolutions: [24] })));
    const path = join(mkdtempSync(join(tmpdir(), 'hbx-wasm-')), 'browser.json');
    const table = await profileDevice({ device: 'browser', space, settings: wasm, path, runs: 6, calibrationSamples: 4, calibrationSeconds: 0, timing: { minPassMs: 0 } });
    expect(table.runtime).toMatchObject({ name: 'onnxruntime-web', provider: 'wasm' });
    const predictor = new LatencyPredictor(table, space);
    for (const arch of sampleArchs(space, [24], 5, 3)) expect(predictor.predict(arch)).toBeGreaterThan(0);
    expect(() => checkTableFits(table, path, { space: space.space, spaceOptions: space.spaceOptions, settings: DEFAULT_SESSION })).toThrow(
      `${path}: field 'runtime.provider': table was profiled with wasm, this run uses cpu`,
    );
  });
});
