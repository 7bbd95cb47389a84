export { GraphBuilder, decodeModel, irVersionFor, type Dim, type ModelOptions } from './graph.js';
export { emitActivation, emitBatchNorm, emitConv, emitHardSigmoid, emitLinear, OnnxEmitter, type EmitContext } from './layers.js';
export { blockOnnx, exportGraph, exportOnnx, DEFAULT_OPSET, type ExportOptions } from './network.js';
export { validateOnnx, type ValidationResult } from './validate.js';
