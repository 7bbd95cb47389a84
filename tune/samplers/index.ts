export { type Sampler, type StudyView, decisionRng, hash32, uniformChoice } from './base.js';
export { RandomSampler } from './random.js';
export { GridSampler } from './grid.js';
export { TPESampler, defaultGamma, defaultWeights, type TPEOptions } from './tpe.js';
export { ParzenEstimator, axisOf, type Axis, type ParzenOptions } from './parzen.js';
export { intersectionSearchSpace, groupSearchSpaces } from './search_space.js';
