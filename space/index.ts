export { Module, type AnyModule } from './module.js';
export {
  Mutable,
  resolveMask,
  isOneHot,
  type Choice,
  type MaskDict,
  type MaskInput,
  type MaskList,
  type MutableKind,
} from './mutable.js';
export { ValueSpace, DerivedValueSpace, currentSize, isElastic, type SizeArg, type Value, type ValueSpaceOptions } from './value_space.js';
export { OperationSpace, type OperationSpaceOptions } from './operation_space.js';
export { InputSpace, type InputSpaceOptions } from './input_space.js';
export { type Reduction } from './reduction.js';
export { Conv1d, Conv2d, Conv3d, ConvNd, conv2dTorchLayout, type ConvOptions } from './ops/conv.js';
export { Linear, type LinearOptions } from './ops/linear.js';
export { avgPoolExcludingPadding } from './ops/pool.js';
export { BatchNorm1d, BatchNorm2d, BatchNorm3d, BatchNormNd, withSynchronisedBatchNorm, withStatisticsRecorder, type BatchNormOptions, type StatisticsReducer, type StatisticsRecorder, type RecordedStatistics } from './ops/batchnorm.js';
export { seedInit, withoutInit } from './ops/init.js';
export { Mutator, RandomMutator, FixedArchitecture, currentArch, decisionMasks, inputSubsets, uniformMasks, valueCandidates, type Decision } from './mutator.js';
export { EnasMutator, type EnasMutatorOptions } from './enas.js';
export { EvolutionMutator, type ArchConstraint, type EvolutionMutatorOptions, type EvolutionRecord } from './evolution_mutator.js';
export { LogitMutator, DartsMutator, GdasMutator, ProxylessMutator, type LogitMutatorOptions, type GdasOptions } from './differentiable.js';
export {
  parseArch,
  readArchFile,
  underSource,
  writeArchFile,
  readJsonFile,
  writeFileAtomic,
  archSchema,
  maskDictSchema,
  type Arch,
  type ArchSpec,
} from './arch.js';
export { summarizeSpace, type SpaceSummary } from './summary.js';
export { copyActiveWeights } from './extract.js';
export {
  encodeSafetensors,
  decodeSafetensors,
  saveStateDict,
  readTensors,
  downloadTensors,
  readSafetensorsFile,
  loadStateDictFrom,
  type SafetensorsFile,
} from './safetensors.js';
