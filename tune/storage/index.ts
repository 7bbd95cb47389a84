import { JournalFileBackend } from './journal_file.js';
import { MemoryBackend } from './memory.js';
import { PostgresBackend } from './postgres.js';
import { Storage, type StorageOptions } from './storage.js';

export { Storage, type LogBackend, type StorageOptions } from './storage.js';
export { MemoryBackend } from './memory.js';
export { JournalFileBackend } from './journal_file.js';
export { PostgresBackend } from './postgres.js';
export { opSchema, type Op } from './ops.js';

/** Heartbeats for storages that outlive a process: a worker silent for a minute is taken for dead. */
const PERSISTENT_DEFAULTS: StorageOptions = { heartbeatIntervalS: 10, gracePeriodS: 60, maxRetry: 0 };

/** 'memory', a postgresql:// URL, or a journal file path. */
export async function openStorage(spec: string, options: StorageOptions = {}): Promise<Storage> {
  if (spec === 'memory') return new Storage(new MemoryBackend(), options);
  const merged = { ...PERSISTENT_DEFAULTS, ...options };
  if (/^postgres(ql)?:\/\//.test(spec)) return new Storage(await PostgresBackend.connect(spec), merged);
  return new Storage(new JournalFileBackend(spec), merged);
}
