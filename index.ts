export * from './tensor/index.js';
export * from './space/index.js';
export * from './networks/index.js';
export * from './train/index.js';
export * from './export/index.js';
export * from './runtime/index.js';
export * from './latency/index.js';
export * from './datasets/index.js';
