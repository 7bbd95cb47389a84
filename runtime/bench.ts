import { existsSync } from 'node:fs';
import { InputError } from '../tensor/index.js';
import { openModel } from './model.js';
import { randomFeeds, type SessionSettings } from './session.js';
import { protocol, timeRepeated, type ProtocolOptions, type RepeatedTiming } from './timing.js';

/** Times a model file end to end on this machine by the timing protocol (what `hbx bench` and `hbx latency measure` report). */
export async function benchModel(path: string, o: { settings?: Partial<SessionSettings>; batch?: number } & ProtocolOptions = {}): Promise<RepeatedTiming> {
  if (!existsSync(path)) throw new InputError(`${path}: no such file`);
  const { settings, batch = 1, ...timing } = o;
  const { session, info } = await openModel(path, settings);
  try {
    if (info.batch !== 'dynamic' && info.batch !== batch) throw new InputError(`--batch: ${path} has a fixed batch of ${info.batch}, got ${batch}`);
    const [t] = await timeRepeated([{ session, feeds: randomFeeds(session, batch) }], protocol(timing));
    return t;
  } finally {
    await session.release();
  }
}
