export { GraphBuilder, decodeModel, irVersionFor, type AttrValue, type Dim, type ModelOptions } from './graph.js';
export { emitActivation, emitConv, emitHardSigmoid, emitLinear, emitMBConv, emitSqueezeExcite, type EmitContext } from './layers.js';
export { exportOnnx, DEFAULT_OPSET, type ExportOptions } from './network.js';
export { validateOnnx, type ValidationResult } from './validate.js';
