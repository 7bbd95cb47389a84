export { createSession, randomFeeds, DEFAULT_SESSION, RUNTIME_NAME, RUNTIME_VERSION, type SessionSettings, type GraphOptimizationLevel } from './session.js';
export { timeSession, timeInterleaved, summarize, quantile, type Timing, type TimingOptions } from './timing.js';
