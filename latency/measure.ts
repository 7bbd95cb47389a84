import { exportOnnx } from '../export/index.js';
import { createSession, randomFeeds, timeInterleaved, type SessionSettings, type Timing } from '../runtime/index.js';
import type { AnyModule, Arch } from '../space/index.js';
import type { LatencySpace } from './ofa_space.js';

export interface MeasureOptions {
  settings: SessionSettings;
  runs?: number;
  warmup?: number;
  /** Models timed together, run by run in turn. */
  groupSize?: number;
  onProgress?: (done: number, total: number) => void;
}

/** Times ONNX models interleaved in groups (so machine drift hits them alike); medians in ms. */
export async function timeModels(models: (() => Uint8Array)[], options: MeasureOptions): Promise<Timing[]> {
  const { settings, runs = 40, warmup = 5, groupSize = 10, onProgress } = options;
  const out: Timing[] = [];
  for (let start = 0; start < models.length; start += groupSize) {
    const items = [];
    for (const make of models.slice(start, start + groupSize)) {
      const session = await createSession(make(), settings);
      items.push({ session, feeds: randomFeeds(session) });
    }
    out.push(...(await timeInterleaved(items, { warmup, runs })));
    for (const it of items) await it.session.release();
    onProgress?.(out.length, models.length);
  }
  return out;
}

/**
 * Exports each arch (inherited weights, batch 1) and times it end to end, alone by default
 * (as deployed, and as `hbx latency measure` does): timed run by run in turn with others,
 * a sub-millisecond model loses its caches to them and measures up to twice as slow.
 */
export async function measureArchs(space: LatencySpace, supernet: AnyModule, archs: Arch[], options: MeasureOptions): Promise<Timing[]> {
  options = { groupSize: 1, ...options };
  return timeModels(
    archs.map((arch) => () => {
      const subnet = space.subnet(supernet, arch);
      const bytes = exportOnnx(subnet, { batch: 1 });
      subnet.dispose();
      return bytes;
    }),
    options,
  );
}
