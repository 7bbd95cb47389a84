import { firstFront } from '../search/pareto.js';
import { contains, isSingle, type ParamValue, type Distribution } from './distributions.js';
import { lastIntermediate, type FrozenTrial, type StudyDirection, type TrialState } from './frozen.js';
import { NopPruner, type Pruner } from './pruners/base.js';
import type { Sampler, StudyView } from './samplers/base.js';
import { TPESampler } from './samplers/tpe.js';
import { openStorage, type Storage, type StorageOptions } from './storage/index.js';
import { Trial, TrialPruned, type TrialHost } from './trial.js';

export type Objective = (trial: Trial) => number | number[] | Promise<number | number[]>;

export interface CreateStudyOptions {
  studyName?: string;
  direction?: StudyDirection;
  directions?: StudyDirection[];
  sampler?: Sampler;
  pruner?: Pruner;
  /** A Storage, 'memory' (default), a journal file path, or a postgresql:// URL. */
  storage?: Storage | string;
  storageOptions?: StorageOptions;
  loadIfExists?: boolean;
  /** Constraint values of a finished trial; it is feasible when every value is <= 0. */
  constraints?: (trial: FrozenTrial) => number[];
}

export interface OptimizeOptions {
  /** Trials this call starts (Optuna's n_trials). */
  nTrials?: number;
  /**
   * The study's total: no trial starts once the study holds this many complete, pruned or
   * running trials, wherever they ran (a resumed or shared study runs only the rest).
   */
  maxTrials?: number;
  timeoutS?: number;
  /** Trials run concurrently in this process (for objectives that wait: commands, I/O). */
  nJobs?: number;
  /** Stop when this many trials in a row have completed without improving the best value. */
  patience?: number;
  /** Record a throwing objective as a failed trial and go on (default: fail it and rethrow). */
  catch?: boolean;
  callbacks?: ((study: Study, trial: FrozenTrial) => void | Promise<void>)[];
  /**
   * Same seed, same trials with nJobs > 1: trial n is sampled from trials 0..n-nJobs only, and
   * waits until those have finished. Costs some idle time when trials differ in length.
   */
  reproducible?: boolean;
}

export type TellState = 'complete' | 'pruned' | 'fail';

let unnamed = 0;

export async function createStudy(options: CreateStudyOptions = {}): Promise<Study> {
  const directions = options.directions ?? [options.direction ?? 'minimize'];
  if (options.direction && options.directions) throw new RangeError('createStudy: give direction or directions, not both');
  const storage = typeof options.storage === 'object' ? options.storage : await openStorage(options.storage ?? 'memory', options.storageOptions);
  const name = options.studyName ?? `study-${process.pid}-${Date.now()}-${unnamed++}`;
  await storage.createStudy(name, directions, options.loadIfExists ?? false);
  return new Study(name, directions, storage, options.sampler ?? new TPESampler(), options.pruner ?? new NopPruner(), options.constraints);
}

/** A study already in a storage, with the directions it was created with. */
export async function loadStudy(options: Omit<CreateStudyOptions, 'direction' | 'directions' | 'loadIfExists'> & { studyName: string }): Promise<Study> {
  const storage = typeof options.storage === 'object' ? options.storage : await openStorage(options.storage ?? 'memory', options.storageOptions);
  await storage.sync();
  const record = storage.record(options.studyName);
  if (!record) throw new RangeError(`no study '${options.studyName}' in ${storage.description} (it holds: ${storage.studyNames().join(', ') || 'none'})`);
  return createStudy({ ...options, storage, directions: record.directions, loadIfExists: true });
}

interface Running {
  trial: Trial;
  heartbeat: NodeJS.Timeout | null;
  /** What the sampler sees for this trial (the whole study, or the trials `lag` or more numbers before it). */
  view: StudyView;
}

export class Study implements StudyView, TrialHost {
  private readonly running = new Map<number, Running>();
  private stopRequested = false;

  constructor(
    readonly name: string,
    readonly directions: readonly StudyDirection[],
    readonly storage: Storage,
    readonly sampler: Sampler,
    readonly pruner: Pruner,
    private readonly constraintsOf?: (trial: FrozenTrial) => number[],
  ) {}

  get trials(): readonly FrozenTrial[] {
    return this.storage.record(this.name)!.trials;
  }

  getTrials(states?: readonly TrialState[]): FrozenTrial[] {
    return this.trials.filter((t) => states == null || states.includes(t.state));
  }

  get direction(): StudyDirection {
    if (this.directions.length !== 1) throw new RangeError('direction: this study has several objectives (use directions)');
    return this.directions[0];
  }

  /** The best complete trial (feasible ones first, when the study has constraints); ties go to the earlier trial. */
  get bestTrial(): FrozenTrial {
    const sign = this.direction === 'minimize' ? 1 : -1;
    const candidates = this.completeTrials(true);
    if (candidates.length === 0) throw new RangeError(`study '${this.name}' has no complete${this.constraintsOf ? ' feasible' : ''} trial yet`);
    return candidates.reduce((best, t) => (sign * t.values![0] < sign * best.values![0] ? t : best));
  }

  get bestValue(): number {
    return this.bestTrial.values![0];
  }

  get bestParams(): Record<string, ParamValue> {
    return { ...this.bestTrial.params };
  }

  /** The Pareto front of complete (feasible) trials. */
  get bestTrials(): FrozenTrial[] {
    const trials = this.completeTrials(true);
    const points = trials.map((t) => t.values!.map((v, i) => (this.directions[i] === 'minimize' ? v : -v)));
    return firstFront(points)
      .map((i) => trials[i])
      .sort((a, b) => a.number - b.number);
  }

  private completeTrials(feasibleOnly: boolean): FrozenTrial[] {
    const complete = this.getTrials(['complete']).filter((t) => t.values && t.values.every(Number.isFinite));
    if (!feasibleOnly || !this.constraintsOf) return complete;
    return complete.filter((t) => (t.constraints ?? []).every((c) => c <= 0));
  }

  async refresh(): Promise<void> {
    await this.storage.sync();
  }

  async enqueueTrial(params: Record<string, ParamValue>, options: { userAttrs?: Record<string, unknown>; skipIfExists?: boolean } = {}): Promise<void> {
    if (options.skipIfExists) {
      await this.refresh();
      const same = (t: FrozenTrial) => JSON.stringify((t.systemAttrs.fixedParams as Record<string, ParamValue> | undefined) ?? t.params) === JSON.stringify(params);
      if (this.trials.some(same)) return;
    }
    await this.storage.enqueueTrial(this.name, params, options.userAttrs);
  }

  /**
   * Starts a trial (ask-and-tell interface); `fixedDistributions` are suggested at once. With
   * `lag`, the sampler sees only trials numbered at most n - lag, once they have all finished.
   */
  async ask(fixedDistributions: Record<string, Distribution> = {}, lag = 0): Promise<Trial> {
    const stored = await this.storage.startTrial(this.name);
    const own = structuredClone(stored);
    const view = lag > 0 ? await this.finishedView(own.number - lag) : this;
    for (const [key, value] of Object.entries(this.sampler.beforeTrial?.(view, own) ?? {})) {
      own.systemAttrs[key] = value;
      this.storage.setAttr(this.name, own.number, key, value, true);
    }
    const space = this.sampler.inferRelativeSearchSpace(view, own);
    const relative = Object.keys(space).length ? this.sampler.sampleRelative(view, own, space) : {};
    const trial = new Trial(this, own, relative);
    let heartbeat: NodeJS.Timeout | null = null;
    if (this.storage.heartbeatIntervalS > 0) {
      heartbeat = setInterval(() => {
        this.storage.heartbeat(this.name, trial.number);
        this.storage.sync().catch(() => {});
      }, this.storage.heartbeatIntervalS * 1000);
      heartbeat.unref();
    }
    this.running.set(trial.number, { trial, heartbeat, view });
    for (const [name, distribution] of Object.entries(fixedDistributions)) trial.suggest(name, distribution);
    return trial;
  }

  /** The trials numbered up to `last`, once none of them is waiting or running. */
  private async finishedView(last: number): Promise<StudyView> {
    const settled = () => this.trials.filter((t) => t.number <= last).every((t) => t.state !== 'running' && t.state !== 'waiting');
    while (!settled()) {
      await new Promise((r) => setTimeout(r, 20));
      await this.storage.sync();
    }
    return { name: this.name, directions: this.directions, trials: this.trials.filter((t) => t.number <= last) };
  }

  /** Ends a trial: values for 'complete'; a pruned trial keeps its last report as its value. */
  async tell(trialOrNumber: Trial | number, values?: number | readonly number[], state: TellState = 'complete'): Promise<FrozenTrial> {
    const number = typeof trialOrNumber === 'number' ? trialOrNumber : trialOrNumber.number;
    const running = this.running.get(number);
    if (!running) throw new RangeError(`tell: trial ${number} is not running in this process`);
    const own = running.trial.frozen;
    let finalValues: number[] | null = values == null ? null : typeof values === 'number' ? [values] : [...values];
    let finalState: TellState = state;
    if (state === 'pruned') finalValues = lastIntermediate(own)?.value ?? null;
    if (state === 'complete' && (finalValues == null || finalValues.length !== this.directions.length || !finalValues.every(Number.isFinite))) {
      finalState = 'fail';
      own.systemAttrs.failReason = `expected ${this.directions.length} finite value(s), got ${JSON.stringify(values ?? null)}`;
      this.storage.setAttr(this.name, number, 'failReason', own.systemAttrs.failReason, true);
    }
    const constraints = this.constraintsOf && finalState === 'complete' ? this.constraintsOf({ ...own, state: 'complete', values: finalValues }) : null;
    if (running.heartbeat) clearInterval(running.heartbeat);
    this.running.delete(number);
    await this.storage.finishTrial(this.name, number, finalState, finalState === 'fail' ? null : finalValues, constraints);
    const stored = this.trials[number];
    this.sampler.afterTrial?.(this, stored, stored.state);
    return stored;
  }

  /** Runs trials until nTrials have started, maxTrials are in the study, timeoutS has passed, patience ran out, or stop() was called. */
  async optimize(objective: Objective, options: OptimizeOptions = {}): Promise<void> {
    const deadline = options.timeoutS != null ? Date.now() + options.timeoutS * 1000 : Infinity;
    this.stopRequested = false;
    await this.storage.failStaleTrials(this.name);
    let started = 0;
    const mayStart = () =>
      !this.stopRequested &&
      (options.nTrials == null || started < options.nTrials) &&
      (options.maxTrials == null || this.countedTowardsTotal() < options.maxTrials) &&
      Date.now() < deadline &&
      !this.patienceSpent(options.patience) &&
      !this.sampler.isExhausted?.(this);
    const job = async () => {
      while (mayStart()) {
        started++;
        const lag = options.reproducible ? Math.max(1, options.nJobs ?? 1) : 0;
        const finished = await this.runTrial(objective, options.catch ?? false, lag);
        for (const callback of options.callbacks ?? []) await callback(this, finished);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, options.nJobs ?? 1) }, job));
  }

  stop(): void {
    this.stopRequested = true;
  }

  /**
   * Failed trials do not count (a study stopped by a failing objective, mended and resumed, still
   * gets its budget), nor waiting ones: the next trial started runs them.
   */
  private countedTowardsTotal(): number {
    return this.getTrials(['complete', 'pruned', 'running']).length;
  }

  private async runTrial(objective: Objective, catchErrors: boolean, lag: number): Promise<FrozenTrial> {
    const trial = await this.ask({}, lag);
    let result: number | number[];
    try {
      result = await objective(trial);
    } catch (err) {
      if (err instanceof TrialPruned) return this.tell(trial, undefined, 'pruned');
      this.storage.setAttr(this.name, trial.number, 'failReason', err instanceof Error ? err.message : String(err), true);
      const failed = await this.tell(trial, undefined, 'fail');
      if (catchErrors) return failed;
      this.stopRequested = true;
      throw err;
    }
    return this.tell(trial, result, 'complete');
  }

  /** True when the last `patience` complete trials did not improve on the best before them (single objective). */
  private patienceSpent(patience: number | undefined): boolean {
    if (patience == null || this.directions.length !== 1) return false;
    const sign = this.directions[0] === 'minimize' ? 1 : -1;
    const complete = this.completeTrials(true);
    let best = Infinity;
    let since = 0;
    for (const t of complete) {
      const v = sign * t.values![0];
      if (v < best) {
        best = v;
        since = 0;
      } else since++;
    }
    return since >= patience;
  }

  // TrialHost: what a Trial asks of its study.

  suggest(trial: Trial, name: string, distribution: Distribution): ParamValue {
    const fixed = (trial.frozen.systemAttrs.fixedParams as Record<string, ParamValue> | undefined)?.[name];
    const relative = trial.relativeParams[name];
    let value: ParamValue;
    if (fixed !== undefined && contains(distribution, fixed)) value = fixed;
    else if (relative !== undefined && contains(distribution, relative)) value = relative;
    else if (isSingle(distribution)) value = distribution.type === 'categorical' ? distribution.choices[0] : distribution.low;
    else value = this.sampler.sampleIndependent(this.running.get(trial.number)?.view ?? this, trial.frozen, name, distribution);
    trial.frozen.params[name] = value;
    trial.frozen.distributions[name] = distribution;
    this.storage.setParam(this.name, trial.number, name, value, distribution);
    return value;
  }

  report(trial: Trial, step: number, value: number[]): void {
    if (value.length !== 1 && value.length !== this.directions.length) {
      throw new RangeError(`report: expected 1 or ${this.directions.length} values, got ${value.length}`);
    }
    // As Optuna: a step reported twice keeps its first value.
    if (trial.frozen.intermediate.has(step)) return;
    trial.frozen.intermediate.set(step, value);
    this.storage.report(this.name, trial.number, step, value);
  }

  shouldPrune(trial: Trial): boolean {
    return this.pruner.prune(this, trial.frozen);
  }

  setUserAttr(trial: Trial, key: string, value: unknown): void {
    trial.frozen.userAttrs[key] = value;
    this.storage.setAttr(this.name, trial.number, key, value);
  }
}
