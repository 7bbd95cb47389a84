import { join } from 'node:path';
import { InputError } from '../tensor/errors.js';
import { directionsOf, distributionsOf, prunerOf, samplerOf, type TuneConfig } from './config.js';
import type { FrozenTrial } from './frozen.js';
import { commandObjective } from './objectives/command.js';
import { SHIPPED_SUPERNET, trainSubnetObjective, trainSupernetObjective } from './objectives/train.js';
import { summarizeStudy, writeStudyOutputs, type StudySummary } from './outputs.js';
import { writeStudyReport } from './report.js';
import { openStorage } from './storage/index.js';
import { createStudy, type Objective, type Study } from './study.js';

export interface TuneRunOptions {
  /** Continue the study if the storage already holds it (else that is an error). */
  resume?: boolean;
  onTrial?: (study: Study, trial: FrozenTrial) => void;
  /** The plots and report.html are written last; a failure there is reported, not thrown over the study's own error. */
  onReportError?: (err: Error) => void;
}

export function storageOf(config: TuneConfig): string {
  return config.storage ?? join(config.out, 'journal.jsonl');
}

export async function openConfiguredStudy(config: TuneConfig, resume: boolean): Promise<Study> {
  const spec = storageOf(config);
  const storage = await openStorage(spec, { heartbeatIntervalS: config.heartbeatS, gracePeriodS: 6 * config.heartbeatS, maxRetry: config.maxRetry }).catch((err: Error) => {
    throw config.storage ? new InputError(`${config.file}: field 'storage': ${err.message}`) : err;
  });
  await storage.sync();
  const exists = storage.record(config.study) != null;
  if (exists && !resume) {
    await storage.close();
    throw new InputError(`${config.file}: field 'study': '${config.study}' already exists in ${storage.description}; pass --resume to continue it, or name another study`);
  }
  try {
    return await createStudy({ studyName: config.study, directions: directionsOf(config), storage, sampler: samplerOf(config), pruner: prunerOf(config), loadIfExists: true });
  } catch (err) {
    await storage.close();
    throw new InputError(`${config.file}: field 'directions': ${(err as Error).message}`);
  }
}

/** The objective a config names: a command, or a built-in training run. */
export function objectiveOf(config: TuneConfig): Objective {
  const o = config.objective;
  const space = distributionsOf(config);
  if (!('builtin' in o)) return commandObjective({ command: o.command, space, where: `${config.file}: field 'objective.command'`, timeoutS: o.timeoutS });
  if (o.builtin === 'train-subnet') return trainSubnetObjective({ ...o, supernet: o.supernet ?? SHIPPED_SUPERNET, space });
  return trainSupernetObjective({ ...o, space, out: config.out, source: `${config.file}: objective.spaceOptions` });
}

/** Runs the study a config describes and keeps its outputs current after every trial. */
export async function runTune(config: TuneConfig, options: TuneRunOptions = {}): Promise<StudySummary> {
  const study = await openConfiguredStudy(config, options.resume ?? false);
  const objective = objectiveOf(config);
  try {
    await study.optimize(objective, {
      maxTrials: config.trials,
      timeoutS: config.timeoutS,
      nJobs: config.jobs,
      reproducible: config.reproducible,
      patience: config.patience,
      catch: config.catch,
      callbacks: [
        (s, t) => {
          writeStudyOutputs(s, config.out);
          options.onTrial?.(s, t);
        },
      ],
    });
  } finally {
    writeStudyOutputs(study, config.out);
    await writeStudyReport(study, config.out).catch((err: Error) => options.onReportError?.(err));
    await study.storage.close();
  }
  return summarizeStudy(study);
}
