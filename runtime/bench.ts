import { existsSync } from 'node:fs';
import { InputError } from '../tensor/index.js';
import { openModel } from './model.js';
import { randomFeeds, type SessionSettings } from './session.js';
import { timeSession, type Timing } from './timing.js';

/** Times a model file end to end on this machine (what `hbx bench` and `hbx latency measure` report). */
export async function benchModel(
  path: string,
  o: { settings?: Partial<SessionSettings>; runs?: number; warmup?: number; batch?: number } = {},
): Promise<Timing> {
  if (!existsSync(path)) throw new InputError(`${path}: no such file`);
  const { session, info } = await openModel(path, o.settings);
  const batch = o.batch ?? 1;
  try {
    if (info.batch !== 'dynamic' && info.batch !== batch) throw new InputError(`--batch: ${path} has a fixed batch of ${info.batch}, got ${batch}`);
    return await timeSession(session, randomFeeds(session, batch), { runs: o.runs, warmup: o.warmup });
  } finally {
    await session.release();
  }
}
