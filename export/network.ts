import { HBX_VERSION, InputError } from '../tensor/index.js';
import { MBConvStack, OFAMobileNetV3 } from '../networks/index.js';
import { currentArch, currentSize, type AnyModule } from '../space/index.js';
import { GraphBuilder } from './graph.js';
import { emitActivation, emitConv, emitLinear, emitMBConv, type EmitContext } from './layers.js';

export interface ExportOptions {
  /** Input height and width; defaults to the arch's resolution where the space has one. */
  resolution?: number;
  /** A fixed batch size, or 'dynamic' (default): the first input dimension is named `batch`. */
  batch?: number | 'dynamic';
  /** ONNX opset, 13 or later (default 17: HardSwish as one op, IR version 8). */
  opset?: number;
  /** Per-channel normalisation the model expects, recorded in the metadata. */
  mean?: number[];
  std?: number[];
  /** Class names, recorded in the metadata. */
  labels?: string[];
}

export const DEFAULT_OPSET = 17;
const IMAGENET_NORM = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

function inputChannels(network: AnyModule): number {
  if (network instanceof OFAMobileNetV3) return network.options.inputChannels;
  if (network instanceof MBConvStack) return currentSize(network.stem.inChannels);
  throw new InputError(`export: no ONNX exporter for ${network.constructor.name}`);
}

function emitNetwork(ctx: EmitContext, network: AnyModule, x: string): string {
  if (network instanceof OFAMobileNetV3) {
    let y = emitActivation(ctx, emitConv(ctx, x, network.stem, network.stemBn, 'stem'), 'hswish');
    const paths = new Map(network.namedModules().map(([path, m]) => [m, path]));
    for (const block of network.activeBlocks()) y = emitMBConv(ctx, y, block, paths.get(block)!);
    y = emitActivation(ctx, emitConv(ctx, y, network.finalExpand, network.finalExpandBn, 'final_expand'), 'hswish');
    y = ctx.g.node('GlobalAveragePool', [y]);
    y = emitActivation(ctx, emitConv(ctx, y, network.featureMix, undefined, 'feature_mix'), 'hswish');
    return emitLinear(ctx, y, network.classifier, 'classifier', 'logits');
  }
  if (network instanceof MBConvStack) {
    let y = emitActivation(ctx, emitConv(ctx, x, network.stem, network.stemBn, 'stem'), 'hswish');
    network.blocks.forEach((block, i) => (y = emitMBConv(ctx, y, block, `blocks.${i}`)));
    return emitLinear(ctx, ctx.g.node('GlobalAveragePool', [y]), network.classifier, 'classifier', 'logits');
  }
  throw new InputError(`export: no ONNX exporter for ${network.constructor.name}`);
}

/**
 * The network under its current arch as ONNX bytes: NCHW float32 input `input`, output
 * `logits`, batch norm folded into the convs, the arch and preprocessing in metadata_props.
 */
export function exportOnnx(network: AnyModule, options: ExportOptions = {}): Uint8Array {
  const opset = options.opset ?? DEFAULT_OPSET;
  if (!Number.isInteger(opset) || opset < 13) throw new InputError(`--opset: expected an integer >= 13, got ${opset}`);
  const resolution = options.resolution ?? (network instanceof OFAMobileNetV3 ? network.resolution.value : undefined);
  if (resolution == null) throw new InputError('export: --resolution is required for this space');
  const channels = inputChannels(network);
  const batch = options.batch ?? 'dynamic';
  const g = new GraphBuilder(network.constructor.name);
  const x = g.input('input', [batch === 'dynamic' ? 'batch' : batch, channels, resolution, resolution]);
  const wasTraining = network.training;
  network.eval();
  const logits = emitNetwork({ g, opset }, network, x);
  network.train(wasTraining);
  const numClasses = currentSize((network as OFAMobileNetV3).classifier.outFeatures);
  g.output(logits, [batch === 'dynamic' ? 'batch' : batch, numClasses]);
  const arch = currentArch(network);
  const norm = channels === 3 ? IMAGENET_NORM : { mean: [0.5], std: [0.5] };
  const metadata: Record<string, string> = {
    space: arch.space,
    arch: JSON.stringify(arch),
    resolution: String(resolution),
    input_channels: String(channels),
    mean: JSON.stringify(options.mean ?? norm.mean),
    std: JSON.stringify(options.std ?? norm.std),
    hbx_version: HBX_VERSION,
  };
  if (options.labels) metadata.labels = JSON.stringify(options.labels);
  return g.encode({ opset, metadata, docString: `hyperbox ${arch.space} subnet at ${resolution}x${resolution}` });
}
