import { HBX_VERSION, InputError } from '../tensor/index.js';
import { isEmittable, spaceOf, type BlockModel, type Emittable } from '../networks/index.js';
import { currentArch, type AnyModule } from '../space/index.js';
import { GraphBuilder } from './graph.js';
import { OnnxEmitter } from './layers.js';

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

/**
 * The network under its current arch as ONNX bytes: NCHW float32 input `input`, output
 * `logits`, batch norm folded into the convs, the arch and preprocessing in metadata_props.
 */
export function exportOnnx(network: AnyModule, options: ExportOptions = {}): Uint8Array {
  const opset = checkOpset(options.opset ?? DEFAULT_OPSET);
  if (!isEmittable(network)) throw new InputError(`export: no ONNX exporter for ${network.constructor.name}`);
  const io = spaceOf(network).io(network);
  const resolution = options.resolution ?? io.resolution;
  if (resolution == null) throw new InputError('export: --resolution is required for this space');
  const batch = options.batch ?? 'dynamic';
  const g = new GraphBuilder(network.constructor.name);
  const x = g.input('input', [batch === 'dynamic' ? 'batch' : batch, io.channels, resolution, resolution]);
  const wasTraining = network.training;
  network.eval();
  const logits = network.emit(new OnnxEmitter({ g, opset }), x, '');
  network.train(wasTraining);
  g.output(logits, [batch === 'dynamic' ? 'batch' : batch, io.classes]);
  const arch = currentArch(network);
  const norm = io.channels === 3 ? IMAGENET_NORM : { mean: [0.5], std: [0.5] };
  const metadata: Record<string, string> = {
    space: arch.space,
    arch: JSON.stringify(arch),
    resolution: String(resolution),
    input_channels: String(io.channels),
    mean: JSON.stringify(options.mean ?? norm.mean),
    std: JSON.stringify(options.std ?? norm.std),
    hbx_version: HBX_VERSION,
  };
  if (options.labels) metadata.labels = JSON.stringify(options.labels);
  return g.encode({ opset, metadata, docString: `hyperbox ${arch.space} subnet at ${resolution}x${resolution}` });
}

function checkOpset(opset: number): number {
  if (!Number.isInteger(opset) || opset < 13) throw new InputError(`--opset: expected an integer >= 13, got ${opset}`);
  return opset;
}

/** A stand-alone model (one latency block) as ONNX bytes: input `input`, fixed shapes. */
export function exportGraph(module: Emittable, input: number[], output: number[], { opset = DEFAULT_OPSET, name = 'block' } = {}): Uint8Array {
  const g = new GraphBuilder(name);
  const y = module.emit(new OnnxEmitter({ g, opset: checkOpset(opset) }), g.input('input', input), name);
  g.output(y, output);
  return g.encode({ opset });
}

/** A space's latency block as ONNX bytes (its random weights disposed after). */
export function blockOnnx(build: () => BlockModel, opset = DEFAULT_OPSET): Uint8Array {
  const block = build();
  try {
    return exportGraph(block.module, block.input, block.output, { opset });
  } finally {
    block.dispose();
  }
}
