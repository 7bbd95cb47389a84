export { latencySpaceOf, type LatencyBlock, type LatencySpace } from './space.js';
export {
  latencyTableSchema,
  parseTable,
  readTable,
  writeTable,
  emptyTable,
  tablePath,
  hbxHome,
  listTables,
  checkTableFits,
  noTableMessage,
  describeAdaptation,
  describeCalibration,
  describeTiming,
  staleReason,
  type LatencyTable,
  type Calibration,
  type TableEntry,
  type TableTiming,
} from './table.js';
export { LatencyPredictor, calibrated } from './predictor.js';
export { adaptDevice, readTimings, MIN_TIMINGS, type AdaptedDevice, type DeviceTiming } from './adapt.js';
export {
  profileDevice,
  sampleArchs,
  spreadArchs,
  spreadArchsByMacs,
  withCalibration,
  chooseScaling,
  noisyTableReason,
  referenceFor,
  DEFAULT_CALIBRATION_SAMPLES,
  DEFAULT_CALIBRATION_SECONDS,
  MAX_CALIBRATION_SAMPLES,
  MAX_TABLE_SPREAD,
  MAX_OTHER_CORES,
  type ProfileOptions,
} from './profile.js';
export { measureArchs, timeModels, type MeasureOptions } from './measure.js';
export { validatePredictor, validateAgainstTimings, type ValidationReport } from './validate.js';
export { errorReport, fitLinear, leastSquares, spearman, type ErrorReport } from './stats.js';
export { openPredictor, deviceTablePath, variantTablePath, latencySpaceFor, LOCAL_DEVICE, type OpenPredictorOptions } from './devices.js';
export { writeBundle, importResults, type BundleManifest } from './bundle.js';
export { fitPerBlock, PER_BLOCK_MARGIN, MAX_PER_BLOCK_KEYS } from './per_block.js';
