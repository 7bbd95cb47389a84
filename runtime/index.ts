export { createSession, randomFeeds, runtimeOf, DEFAULT_SESSION, PROVIDERS, RUNTIME_NAME, RUNTIME_VERSION, type Provider, type SessionSettings, type GraphOptimizationLevel } from './session.js';
export { timeRepeated, summarize, quantile, TIMING_PROTOCOL, protocol, type Timing, type RepeatedTiming, type ProtocolOptions, type TimedItem, type TimingProtocol } from './timing.js';
export { openModel, type ModelInfo, type OpenModel } from './model.js';
export { preprocessImage, type Preprocess, type ResizeMode } from './preprocess.js';
export { classifyImages, expandInputs, readLabels, resolvePreprocess, type ClassifyOptions, type Prediction, type Failure } from './classify.js';
export { benchModel } from './bench.js';
export { otherCpuMeter } from './load.js';
export { referenceModel } from './reference.js';
