export { Sgd, cosineLr, NO_DECAY_BN_AND_BIAS, type SgdOptions } from './optimizer.js';
export { PROGRESSIVE_SHRINKING, ALL_ELASTIC, allowedChoices, phaseAt, sandwich, isOrdered, uniformArchs, type Phase } from './sampling.js';
export { recalibrateBatchNorm, evaluateTop1, evaluateTop1Async, type EvalOptions } from './evaluate.js';
export { SOLO, SharedMemoryCollective, collectiveMemory, type Collective } from './collective.js';
export { defaultWorkers, shardOf, type Shard } from './data_parallel.js';
export { SPLITS, assignArchs, checkSubnetSplit, resolveSplit, type Split } from './subnet_split.js';
export { trainSupernet, type TrainOptions, type StepReport, type EpochReport, type TrainableSupernet } from './trainer.js';
export { trainSubnet, type SubnetTrainConfig, type SubnetTrainOptions, type SubnetEpochReport } from './subnet_trainer.js';
export { softmaxCrossEntropy, smoothedOneHot } from './loss.js';
export { trainingBatch, type TrainingBatch } from './batches.js';
export {
  trainConfigSchema,
  DEFAULT_TRAIN,
  readTrainState,
  heldOutMismatch,
  trainStatePath,
  trainParamsSchema,
  TRAIN_PARAM_NAMES,
  readTrainParams,
  applyTrainParams,
  type TrainConfig,
  type TrainState,
  type TrainParams,
} from './state.js';
export { searchAugmentationDifferentiable, DEFAULT_DIFFERENTIABLE, type DifferentiableAugmentConfig, type DifferentiableAugmentOptions, type DifferentiableAugmentResult } from './augment_search.js';
export {
  searchDifferentiable,
  DEFAULT_DIFFERENTIABLE_SEARCH,
  type DifferentiableSearchConfig,
  type DifferentiableSearchOptions,
  type DifferentiableEpochReport,
} from './nas.js';
export { searchEnas, type EnasSearchConfig, type EnasSearchOptions, type EnasEpochReport } from './enas.js';
