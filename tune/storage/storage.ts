import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { ParamValue, Distribution } from '../distributions.js';
import type { FrozenTrial, StudyDirection, WorkerId } from '../frozen.js';
import type { Op } from './ops.js';
import { Replay, type StudyRecord } from './replay.js';

/** Where the log lives. A synchronous backend has written an op durably when `append` returns. */
export interface LogBackend {
  readonly description: string;
  readonly synchronous: boolean;
  append(ops: Op[]): void | Promise<void>;
  /** Ops any process appended since the last call, in log order. */
  readNew(): Op[] | Promise<Op[]>;
  close(): void | Promise<void>;
}

export interface StorageOptions {
  /** A running trial writes a heartbeat this often (0: never). */
  heartbeatIntervalS?: number;
  /** A running trial whose heartbeat is older than this is failed (its worker died). */
  gracePeriodS?: number;
  /** How many times a trial that failed that way is re-enqueued with its parameters. */
  maxRetry?: number;
}

const PROCESS_TOKEN = randomUUID();
let claimCount = 0;

function newWorker(): WorkerId {
  return { host: hostname(), pid: process.pid, token: `${PROCESS_TOKEN}:${++claimCount}` };
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A worker on this host that is gone: its process has exited, or its pid now belongs to another process start. */
function deadOnThisHost(worker: WorkerId): boolean {
  if (worker.host !== hostname()) return false;
  if (worker.pid === process.pid) return !worker.token.startsWith(`${PROCESS_TOKEN}:`);
  return !processAlive(worker.pid);
}

const toJson = (xs: readonly number[]): (number | null)[] => xs.map((x) => (Number.isFinite(x) ? x : null));

/** Studies kept as a replayed log of operations (see ops.ts), over any backend. */
export class Storage {
  private readonly replay = new Replay();
  private pending: Promise<void> = Promise.resolve();
  private failure: unknown = null;
  private syncing: Promise<void> = Promise.resolve();
  readonly heartbeatIntervalS: number;
  readonly gracePeriodS: number;
  readonly maxRetry: number;

  constructor(
    readonly backend: LogBackend,
    options: StorageOptions = {},
  ) {
    this.heartbeatIntervalS = options.heartbeatIntervalS ?? 0;
    this.gracePeriodS = options.gracePeriodS ?? Math.max(3 * this.heartbeatIntervalS, 1);
    this.maxRetry = options.maxRetry ?? 0;
  }

  get description(): string {
    return this.backend.description;
  }

  write(...ops: Op[]): void {
    if (this.backend.synchronous && this.failure == null) {
      this.backend.append(ops);
      return;
    }
    this.pending = this.pending
      .then(() => this.backend.append(ops))
      .catch((err) => {
        this.failure ??= err;
      });
  }

  async flush(): Promise<void> {
    await this.pending;
    if (this.failure != null) throw this.failure;
  }

  /** Reads what every process has written since the last sync (one sync at a time, so no op is read twice). */
  sync(): Promise<void> {
    const next = this.syncing.then(async () => {
      await this.flush();
      for (const op of await this.backend.readNew()) this.replay.apply(op);
    });
    this.syncing = next.catch(() => {});
    return next;
  }

  record(name: string): StudyRecord | undefined {
    return this.replay.studies.get(name);
  }

  studyNames(): string[] {
    return [...this.replay.studies.keys()];
  }

  async createStudy(name: string, directions: StudyDirection[], loadIfExists: boolean): Promise<StudyRecord> {
    await this.sync();
    const existing = this.record(name);
    if (existing && !loadIfExists) throw new Error(`study '${name}' already exists in ${this.description} (pass loadIfExists to continue it)`);
    if (!existing) {
      this.write({ op: 'study', study: name, directions, at: Date.now() });
      await this.sync();
    }
    const record = this.record(name)!;
    if (record.directions.join() !== directions.join()) {
      throw new Error(`study '${name}' in ${this.description} has directions ${record.directions.join(',')}, not ${directions.join(',')}`);
    }
    return record;
  }

  /** Starts a trial for this process: the oldest waiting one if any is left, else a new one. */
  async startTrial(study: string): Promise<FrozenTrial> {
    await this.sync();
    await this.failStaleTrials(study);
    const record = this.record(study)!;
    for (;;) {
      const waiting = record.trials.find((t) => t.state === 'waiting');
      const worker = newWorker();
      if (waiting) this.write({ op: 'claim', study, trial: waiting.number, worker, at: Date.now() });
      else this.write(this.trialOp(study, worker, {}));
      await this.sync();
      const mine = waiting ?? record.trials[record.byToken.get(worker.token)!];
      if (mine.worker?.token === worker.token) return mine;
    }
  }

  async enqueueTrial(study: string, params: Record<string, ParamValue>, userAttrs: Record<string, unknown> = {}): Promise<void> {
    const op = this.trialOp(study, null, { fixedParams: params });
    this.write(op);
    await this.sync();
    const number = this.record(study)!.byToken.get(op.token)!;
    for (const [key, value] of Object.entries(userAttrs)) this.write({ op: 'attr', study, trial: number, key, value, system: false });
  }

  private trialOp(study: string, worker: WorkerId | null, systemAttrs: Record<string, unknown>): Extract<Op, { op: 'trial' }> {
    return { op: 'trial', study, token: worker?.token ?? randomUUID(), worker, params: {}, distributions: {}, systemAttrs, at: Date.now() };
  }

  setParam(study: string, trial: number, name: string, value: ParamValue, distribution: Distribution): void {
    this.write({ op: 'param', study, trial, name, value, distribution });
  }

  report(study: string, trial: number, step: number, value: readonly number[]): void {
    this.write({ op: 'report', study, trial, step, value: toJson(value) });
  }

  setAttr(study: string, trial: number, key: string, value: unknown, system = false): void {
    this.write({ op: 'attr', study, trial, key, value, system });
  }

  heartbeat(study: string, trial: number): void {
    this.write({ op: 'heartbeat', study, trial, at: Date.now() });
  }

  async finishTrial(study: string, trial: number, state: 'complete' | 'pruned' | 'fail', values: readonly number[] | null, constraints: number[] | null): Promise<void> {
    this.write({ op: 'finish', study, trial, state, values: values ? toJson(values) : null, constraints, retry: false, at: Date.now() });
    await this.sync();
  }

  /** Fails running trials whose worker is gone, re-enqueueing their parameters while retries are left. */
  async failStaleTrials(study: string): Promise<number[]> {
    const record = this.record(study);
    if (!record) return [];
    const now = Date.now();
    const stale = record.trials.filter(
      (t) =>
        t.state === 'running' &&
        t.worker != null &&
        (deadOnThisHost(t.worker) || (this.heartbeatIntervalS > 0 && now - (t.heartbeatAt ?? 0) > this.gracePeriodS * 1000)),
    );
    for (const t of stale) {
      const retries = ((t.systemAttrs.retryHistory as number[] | undefined) ?? []).length;
      this.write({ op: 'finish', study, trial: t.number, state: 'fail', values: null, constraints: null, retry: retries < this.maxRetry, at: now });
    }
    if (stale.length) await this.sync();
    return stale.map((t) => t.number);
  }

  async close(): Promise<void> {
    await this.flush();
    await this.backend.close();
  }
}
