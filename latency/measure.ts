import { exportOnnx } from '../export/index.js';
import { createSession, protocol, randomFeeds, referenceModel, timeRepeated, type ProtocolOptions, type RepeatedTiming, type SessionSettings } from '../runtime/index.js';
import type { AnyModule, Arch } from '../space/index.js';
import type { LatencySpace } from './space.js';

export interface MeasureOptions extends ProtocolOptions {
  settings: SessionSettings;
  /** Models whose sessions are open together (the protocol's passes go round them). */
  groupSize?: number;
  /**
   * Take the machine's speed out with the reference model: figures are scaled to the speed at
   * which the reference took `referenceMs` (a table's), or, with `true`, its median here.
   */
  reference?: boolean | { referenceMs: number };
  onProgress?: (done: number, total: number) => void;
}

/** Times ONNX models by the timing protocol, a group of open sessions at a time. */
export async function timeModels(models: (() => Uint8Array)[], options: MeasureOptions): Promise<RepeatedTiming[]> {
  const { settings, groupSize = 10, onProgress, reference, ...timing } = options;
  const out: RepeatedTiming[] = [];
  const referenceSession = reference ? await createSession(referenceModel(), settings) : undefined;
  const referenceItem = referenceSession && { session: referenceSession, feeds: randomFeeds(referenceSession) };
  // One base for every group: without a table's, the reference's first figure here.
  let referenceMs = typeof reference === 'object' ? reference.referenceMs : undefined;
  for (let start = 0; start < models.length; start += groupSize) {
    const items = [];
    for (const make of models.slice(start, start + groupSize)) {
      const session = await createSession(make(), settings);
      items.push({ session, feeds: randomFeeds(session) });
    }
    const timed = await timeRepeated(items, protocol(timing), referenceItem && { item: referenceItem, ms: referenceMs });
    referenceMs ??= timed[0]?.referenceMs;
    out.push(...timed);
    for (const it of items) await it.session.release();
    onProgress?.(out.length, models.length);
  }
  await referenceSession?.release();
  return out;
}

/** Exports each arch (inherited weights, batch 1) and times it end to end by the protocol. */
export async function measureArchs(space: LatencySpace, supernet: AnyModule, archs: Arch[], options: MeasureOptions): Promise<RepeatedTiming[]> {
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
