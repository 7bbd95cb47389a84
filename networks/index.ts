export { activate, hardSigmoid, hardSwish, makeDivisible, type Activation } from './layers.js';
export { MBConvBlock, SqueezeExcite, sortBlockChannels, type MBConvOptions } from './mbconv.js';
export { MBConvStack, DEFAULT_STACK_BLOCKS, type MBConvStackOptions } from './mbconv_stack.js';
export { SPACES, DEFAULT_SPACE, getSpace, registerSpace, spaceOf } from './registry.js';
export { archFormOf, spaceIdOf, type AnySpaceDefinition, type ArchForm, type BlockModel, type Cost, type InactiveKeys, type SpaceDefinition, type SpaceLatency } from './definition.js';
export { isEmittable, type AttrValue, type Emittable, type GraphEmitter } from './emit.js';
export { countEmitted } from './count.js';
export { emittedOps, type EmittedOp } from './emitted_ops.js';
export { perOpLatency, PER_OP_SAMPLES } from './per_op_latency.js';
export { OFA_SPACE, OFA_TRAIN_FLAGS, ofaTrainOptions } from './ofa_space.js';
export { STACK_SPACE } from './stack_space.js';
export { blockKey, ofaArchBlocks, ofaBlockModel, ofaBlocks, ofaLatency, ofaSpaceBlocks, type BlockSpec } from './ofa_latency.js';
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
export { countOFACost, countMacs, countParams } from './ofa_counts.js';
export { buildSubnet, fixedSubnet } from './subnet.js';
export { archFromJson, readArchFor, readArchesFor, underField } from './arch_io.js';
export { extremeArch, isExtremeName, EXTREME_ARCHS, type ExtremeName } from './extreme_arch.js';
export { saveSupernet, loadSupernet, supernetPaths, SUPERNET_FILE, SHIPPED_SUPERNET, FIRST_SUPERNET } from './checkpoint.js';
export { NB201Network, NB201Cell, NB201_OPS, NB201_EDGES, NB201_DEFAULTS, resolveNB201Options, type NB201Op, type NB201Options, type ResolvedNB201Options } from './nb201.js';
export { parseNB201String, formatNB201String } from './nb201_arch.js';
export { NB201_SPACE, countNB201Cost } from './nb201_space.js';
export { ProxylessNetwork, PROXYLESS_STAGES, PROXYLESS_DEFAULTS, ZERO_OP, proxylessLayers, resolveProxylessOptions, type ProxylessOptions, type ResolvedProxylessOptions } from './proxyless.js';
export { PROXYLESS_SPACE, countProxylessCost } from './proxyless_space.js';
export { DartsNetwork, DartsCell, DARTS_OPS, DARTS_NODES, DARTS_DEFAULTS, resolveDartsOptions, type DartsOp, type DartsOptions, type ResolvedDartsOptions } from './darts.js';
export { genotypeToArch, archToGenotype, formatGenotype, type DartsGenotype } from './darts_arch.js';
export { DARTS_SPACE, countDartsCost } from './darts_space.js';
export { ResNetNetwork, BasicBlock, RESNET_STAGES, RESNET_DEFAULTS, resolveResNetOptions, type ResNetOptions, type ResolvedResNetOptions } from './resnet.js';
export { RESNET_SPACE, countResNetCost } from './resnet_space.js';
