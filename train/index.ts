export { Sgd, cosineLr, NO_DECAY_BN_AND_BIAS, type SgdOptions } from './optimizer.js';
export { PROGRESSIVE_SHRINKING, ALL_ELASTIC, allowedChoices, phaseAt, sandwich, type Phase } from './sampling.js';
export { recalibrateBatchNorm, evaluateTop1, type EvalOptions } from './evaluate.js';
export { trainSupernet, trainConfigSchema, DEFAULT_TRAIN, type TrainConfig, type TrainOptions, type StepReport, type EpochReport } from './trainer.js';
