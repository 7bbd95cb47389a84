export { activate, hardSigmoid, hardSwish, makeDivisible, type Activation } from './layers.js';
export { MBConvBlock, SqueezeExcite, type MBConvOptions } from './mbconv.js';
export { MBConvStack, DEFAULT_STACK_BLOCKS, type MBConvStackOptions } from './mbconv_stack.js';
export { SPACES, DEFAULT_SPACE, getSpace, type SpaceEntry } from './registry.js';
