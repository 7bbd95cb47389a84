export { Sgd, cosineLr, NO_DECAY_BN_AND_BIAS, type SgdOptions } from './optimizer.js';
export { PROGRESSIVE_SHRINKING, ALL_ELASTIC, allowedChoices, phaseAt, sandwich, type Phase } from './sampling.js';
export { recalibrateBatchNorm, evaluateTop1, type EvalOptions } from './evaluate.js';
export { trainSupernet, type TrainOptions, type StepReport, type EpochReport } from './trainer.js';
export { trainConfigSchema, DEFAULT_TRAIN, readTrainState, trainStatePath, type TrainConfig, type TrainState } from './state.js';
