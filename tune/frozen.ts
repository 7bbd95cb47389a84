import type { ParamValue, Distribution } from './distributions.js';

export type TrialState = 'waiting' | 'running' | 'complete' | 'pruned' | 'fail';
export type StudyDirection = 'minimize' | 'maximize';

/** A trial as storages keep it and samplers, pruners and reports read it. */
export interface FrozenTrial {
  number: number;
  state: TrialState;
  params: Record<string, ParamValue>;
  distributions: Record<string, Distribution>;
  /** One value per objective once complete (also kept for a pruned trial: its last report). */
  values: number[] | null;
  /** Step -> reported value (one number, or one per objective in a multi-objective study). */
  intermediate: Map<number, number[]>;
  userAttrs: Record<string, unknown>;
  systemAttrs: Record<string, unknown>;
  /** Constraint values (feasible when all <= 0), if the study has constraints. */
  constraints: number[] | null;
  startedAt: number | null;
  completedAt: number | null;
  /** Last sign of life from the worker running it (ms since the epoch). */
  heartbeatAt: number | null;
  worker: WorkerId | null;
}

export interface WorkerId {
  host: string;
  pid: number;
  /** Unique per process start, so a reused pid is not mistaken for the old worker. */
  token: string;
}

/** The trial's report at its deepest step, or null. */
export function lastIntermediate(trial: FrozenTrial): { step: number; value: number[] } | null {
  let best: { step: number; value: number[] } | null = null;
  for (const [step, value] of trial.intermediate) if (best == null || step > best.step) best = { step, value };
  return best;
}

export function lastStep(trial: FrozenTrial): number | null {
  return lastIntermediate(trial)?.step ?? null;
}

/** A trial with nothing suggested, reported or decided yet. */
export function newFrozenTrial(number: number, state: TrialState): FrozenTrial {
  return {
    number,
    state,
    params: {},
    distributions: {},
    values: null,
    intermediate: new Map(),
    userAttrs: {},
    systemAttrs: {},
    constraints: null,
    startedAt: null,
    completedAt: null,
    heartbeatAt: null,
    worker: null,
  };
}
