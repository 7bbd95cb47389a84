import onnxProto from 'onnx-proto';
import { HBX_VERSION } from '../tensor/index.js';
import type { AttrValue } from '../networks/index.js';

const { onnx } = onnxProto;

export type Dim = number | string;

export interface ModelOptions {
  opset: number;
  metadata?: Record<string, string>;
  docString?: string;
}

/** ONNX IR version that goes with an opset (the oldest IR that defines it). */
export function irVersionFor(opset: number): number {
  if (opset <= 8) return 3;
  if (opset <= 10) return 5;
  if (opset <= 12) return 7;
  if (opset <= 18) return 8;
  return 9;
}

function toAttribute(name: string, v: AttrValue): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new Error(`attribute ${name}: ${v} is not an integer; pass { float: ${v} }`);
    return { name, type: T.INT, i: v };
  }
  if (Array.isArray(v)) return { name, type: T.INTS, ints: v };
  if ('float' in v) return { name, type: T.FLOAT, f: v.float };
  return { name, type: T.FLOATS, floats: v.floats };
}

function valueInfo(name: string, dims: Dim[]): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

/**
 * Builds an ONNX graph node by node: float32 inputs, outputs and initializers, unique
 * value names, typed attributes. Used for whole subnets and for single blocks (latency
 * profiling).
 */
export class GraphBuilder {
  private readonly nodes: onnxProto.onnx.INodeProto[] = [];
  private readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  private readonly inputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly outputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly used = new Set<string>();

  constructor(readonly name = 'hbx') {}

  /** A value name not used yet, based on `base`. */
  fresh(base: string): string {
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }

  input(name: string, dims: Dim[]): string {
    this.used.add(name);
    this.inputs.push(valueInfo(name, dims));
    return name;
  }

  output(name: string, dims: Dim[]): void {
    this.outputs.push(valueInfo(name, dims));
  }

  /** A float32 constant; returns its value name. */
  initializer(base: string, data: Float32Array, dims: number[]): string {
    const size = dims.reduce((a, b) => a * b, 1);
    if (size !== data.length) throw new Error(`initializer ${base}: ${data.length} values for shape [${dims}]`);
    const name = this.fresh(base);
    const raw = new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
    this.initializers.push({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: raw });
    return name;
  }

  /** An int64 constant (shapes, slice bounds); returns its value name. */
  int64Initializer(base: string, values: number[]): string {
    const name = this.fresh(base);
    const data = BigInt64Array.from(values.map((v) => BigInt(v)));
    this.initializers.push({ name, dims: [values.length], dataType: onnx.TensorProto.DataType.INT64, rawData: new Uint8Array(data.buffer) });
    return name;
  }

  /** Adds a node; returns the name of its (first) output. `output` names it explicitly. */
  node(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, output?: string): string {
    const out = output ?? this.fresh(`${opType.toLowerCase()}`);
    if (output) this.used.add(output);
    this.nodes.push({
      opType,
      input: inputs,
      output: [out],
      name: this.fresh(`${opType}_node`),
      attribute: Object.entries(attrs).map(([k, v]) => toAttribute(k, v)),
    });
    return out;
  }

  toModel({ opset, metadata = {}, docString }: ModelOptions): onnxProto.onnx.IModelProto {
    return {
      irVersion: irVersionFor(opset),
      producerName: 'hyperbox',
      producerVersion: HBX_VERSION,
      docString,
      opsetImport: [{ domain: '', version: opset }],
      metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
      graph: {
        name: this.name,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    };
  }

  encode(options: ModelOptions): Uint8Array {
    return onnx.ModelProto.encode(onnx.ModelProto.create(this.toModel(options))).finish();
  }
}

/** Decodes ONNX bytes (for tests and for reading metadata back). */
export function decodeModel(bytes: Uint8Array): onnxProto.onnx.ModelProto {
  return onnx.ModelProto.decode(bytes);
}
