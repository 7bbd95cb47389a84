import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lastStep, type TrialState } from './frozen.js';
import type { Study } from './study.js';

export interface StudySummary {
  study: string;
  storage: string;
  directions: string[];
  counts: Record<TrialState, number>;
  /** Single objective: the best trial; several: the Pareto front. */
  best: { number: number; values: number[]; params: Record<string, unknown> }[];
}

export function summarizeStudy(study: Study): StudySummary {
  const counts: Record<TrialState, number> = { complete: 0, pruned: 0, fail: 0, running: 0, waiting: 0 };
  for (const t of study.trials) counts[t.state]++;
  const complete = counts.complete > 0;
  const best = !complete ? [] : study.directions.length === 1 ? [study.bestTrial] : study.bestTrials;
  return {
    study: study.name,
    storage: study.storage.description,
    directions: [...study.directions],
    counts,
    best: best.map((t) => ({ number: t.number, values: t.values!, params: t.params })),
  };
}

/** One row per trial: number, state, each objective, each parameter, the deepest reported step, seconds. */
export function trialsCsv(study: Study): string {
  const names = [...new Set(study.trials.flatMap((t) => Object.keys(t.params)))].sort();
  const objectives = study.directions.length === 1 ? ['value'] : study.directions.map((_, i) => `value_${i}`);
  const header = ['number', 'state', ...objectives, ...names.map((n) => `param_${n}`), 'last_step', 'duration_s'];
  const rows = study.trials.map((t) => [
    t.number,
    t.state,
    ...objectives.map((_, i) => t.values?.[i] ?? ''),
    ...names.map((n) => (n in t.params ? t.params[n] : '')),
    lastStep(t) ?? '',
    t.startedAt != null && t.completedAt != null ? ((t.completedAt - t.startedAt) / 1000).toFixed(3) : '',
  ]);
  return [header, ...rows].map((r) => r.map(csvCell).join(',')).join('\n') + '\n';
}

function csvCell(v: unknown): string {
  const s = v == null ? '' : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function writeAtomically(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

/** trials.csv, study.json and (once a trial completed) best-params.json, each replaced whole, never half-written. */
export function writeStudyOutputs(study: Study, out: string): StudySummary {
  mkdirSync(out, { recursive: true });
  const summary = summarizeStudy(study);
  writeAtomically(join(out, 'trials.csv'), trialsCsv(study));
  const trials = study.trials.map((t) => ({
    number: t.number,
    state: t.state,
    values: t.values,
    params: t.params,
    intermediate: Object.fromEntries([...t.intermediate].map(([s, v]) => [s, v.length === 1 ? v[0] : v])),
    userAttrs: t.userAttrs,
    systemAttrs: t.systemAttrs,
  }));
  writeAtomically(join(out, 'study.json'), `${JSON.stringify({ ...summary, trials }, null, 2)}\n`);
  if (summary.best.length === 1) writeAtomically(join(out, 'best-params.json'), `${JSON.stringify(summary.best[0].params, null, 2)}\n`);
  return summary;
}
