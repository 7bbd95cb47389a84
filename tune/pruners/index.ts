export { type Pruner, NopPruner } from './base.js';
export { PercentilePruner, MedianPruner, percentileOf, type PercentileOptions } from './percentile.js';
export { SuccessiveHalvingPruner, HyperbandPruner, type HalvingOptions, type HyperbandOptions } from './halving.js';
export { ThresholdPruner, PatientPruner } from './simple.js';
