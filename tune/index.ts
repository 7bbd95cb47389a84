export * from './distributions.js';
export { type FrozenTrial, type TrialState, type StudyDirection, type WorkerId, isFinished } from './frozen.js';
export { Trial, TrialPruned } from './trial.js';
export { Study, createStudy, loadStudy, type CreateStudyOptions, type OptimizeOptions, type Objective, type TellState } from './study.js';
export * from './samplers/index.js';
export * from './pruners/index.js';
export * from './storage/index.js';
