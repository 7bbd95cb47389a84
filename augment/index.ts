export { imageAt, type Image, type ImageBatch } from './image.js';
export { grayscale, brightness, color, contrast, sharpness, posterize, solarize, invert, autocontrast, equalize } from './color.js';
export { inverseAffine, affineNearest, shearX, shearY, translateX, translateY, rotate, flipHorizontal, flipVertical, paddedCrop, resizedCrop } from './geometry.js';
export { erase, cutoutRect, randomErasingRect, DEFAULT_ERASING, type Rect, type ErasingOptions } from './erase.js';
export { OP_NAMES, RAND_AUGMENT_OPS, linspace, isOpName, hasMagnitude, isSigned, magnitudeOf, applyOp, type OpName, type MagnitudeRange } from './ops.js';
export { AUTO_AUGMENT_POLICIES } from './autoaugment.js';
export { policySchema, policyFileSchema, readPolicyFile, policyFile, parsePolicy, describePolicy, NONE_POLICY, type Policy, type PolicyStep, type SubPolicies } from './policy.js';
export { applyPolicy, augmentImage, augmentBatch, type AugmentConfig } from './apply.js';
export { mixBatch, mixTargets, sampleBeta, cutMixBox, NO_MIX, type MixConfig, type Mixed } from './mix.js';
