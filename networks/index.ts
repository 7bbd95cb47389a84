export { activate, hardSigmoid, hardSwish, makeDivisible, type Activation } from './layers.js';
export { MBConvBlock, SqueezeExcite, sortBlockChannels, type MBConvOptions } from './mbconv.js';
export { MBConvStack, DEFAULT_STACK_BLOCKS, type MBConvStackOptions } from './mbconv_stack.js';
export { SPACES, DEFAULT_SPACE, getSpace, type SpaceEntry } from './registry.js';
export {
  OFAMobileNetV3,
  OFA_IMAGENET,
  OFA_STAGES,
  ofaWidths,
  blocksPerStage as blocksPerStageOf,
  resolveOFAOptions,
  type OFAMobileNetV3Options,
  type ResolvedOFAOptions,
} from './ofa_mbv3.js';
export { archToOfa, ofaToArch, parseOFAArch, isOFAForm, ofaArchSchema, ofaSkippedKeys, type OFAArch } from './ofa_arch.js';
export { countOFACost, countMacs, countParams, type Cost } from './ofa_counts.js';
export { buildSubnet } from './subnet.js';
export { archFromJson, readArchFor, readArchesFor, underField } from './arch_io.js';
export { saveSupernet, loadSupernet, supernetPaths, SUPERNET_FILE, SHIPPED_SUPERNET } from './checkpoint.js';
