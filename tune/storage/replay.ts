import type { Distribution } from '../distributions.js';
import { newFrozenTrial, type FrozenTrial, type StudyDirection } from '../frozen.js';
import type { Op } from './ops.js';

export interface StudyRecord {
  name: string;
  directions: StudyDirection[];
  trials: FrozenTrial[];
  /** Trial number by the token its creator gave it. */
  byToken: Map<string, number>;
}

const fromJson = (xs: (number | null)[]): number[] => xs.map((x) => (x == null ? Number.NaN : x));

/** The state of every study in a log, advanced one op at a time. */
export class Replay {
  readonly studies = new Map<string, StudyRecord>();

  apply(op: Op): void {
    if (op.op === 'study') {
      if (!this.studies.has(op.study)) this.studies.set(op.study, { name: op.study, directions: op.directions, trials: [], byToken: new Map() });
      return;
    }
    const study = this.studies.get(op.study);
    if (!study) return;
    if (op.op === 'trial') {
      if (study.byToken.has(op.token)) return;
      const trial = newFrozenTrial(study.trials.length, op.worker ? 'running' : 'waiting');
      trial.params = { ...op.params };
      trial.distributions = { ...(op.distributions as Record<string, Distribution>) };
      trial.systemAttrs = { ...(op.systemAttrs as Record<string, unknown>) };
      trial.worker = op.worker;
      if (op.worker) trial.startedAt = trial.heartbeatAt = op.at;
      study.trials.push(trial);
      study.byToken.set(op.token, trial.number);
      return;
    }
    const trial = study.trials[op.trial];
    if (!trial) return;
    switch (op.op) {
      case 'claim':
        if (trial.state !== 'waiting') return;
        trial.state = 'running';
        trial.worker = op.worker;
        trial.startedAt = trial.heartbeatAt = op.at;
        return;
      case 'param':
        trial.params[op.name] = op.value;
        trial.distributions[op.name] = op.distribution as Distribution;
        return;
      case 'report':
        trial.intermediate.set(op.step, fromJson(op.value));
        return;
      case 'attr':
        (op.system ? trial.systemAttrs : trial.userAttrs)[op.key] = op.value;
        return;
      case 'heartbeat':
        trial.heartbeatAt = Math.max(trial.heartbeatAt ?? 0, op.at);
        return;
      case 'finish':
        if (trial.state !== 'running') return;
        trial.state = op.state;
        trial.values = op.values ? fromJson(op.values) : null;
        trial.constraints = op.constraints;
        trial.completedAt = op.at;
        if (op.retry) this.enqueueRetry(study, trial);
        return;
    }
  }

  private enqueueRetry(study: StudyRecord, failed: FrozenTrial): void {
    const retry = newFrozenTrial(study.trials.length, 'waiting');
    const history = [...((failed.systemAttrs.retryHistory as number[] | undefined) ?? []), failed.number];
    retry.systemAttrs = { fixedParams: { ...failed.params }, retriedFrom: failed.number, retryHistory: history };
    study.trials.push(retry);
  }
}
