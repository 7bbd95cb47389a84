import type ort from 'onnxruntime-node';
import { decodeModel } from '../export/index.js';
import { InputError, readInputFile } from '../tensor/index.js';
import { createSession, type SessionSettings } from './session.js';

/** What running a classifier needs to know about its input and output. */
export interface ModelInfo {
  path: string;
  input: string;
  output: string;
  /** 'dynamic' when the first dimension is symbolic. */
  batch: number | 'dynamic';
  channels: number;
  /** Undefined when the model's spatial size is symbolic. */
  height: number | undefined;
  width: number | undefined;
  /** From hbx's metadata_props, when the model has them. */
  mean: number[] | undefined;
  std: number[] | undefined;
  labels: string[] | undefined;
  metadata: Record<string, string>;
}

export interface OpenModel {
  session: ort.InferenceSession;
  info: ModelInfo;
}

function parseJsonList<T>(value: string | undefined, path: string, key: string, check: (v: unknown) => v is T): T[] | undefined {
  if (value == null) return undefined;
  try {
    const v = JSON.parse(value);
    if (Array.isArray(v) && v.every(check)) return v;
  } catch {
    // fall through
  }
  throw new InputError(`${path}: metadata '${key}' is not a JSON list`);
}

/** Loads a model once (the session is reused for every batch) and reads its input contract. */
export async function openModel(path: string, settings: Partial<SessionSettings> = {}): Promise<OpenModel> {
  const bytes = readInputFile(path);
  const session = await createSession(bytes, settings).catch((err: Error) => {
    throw new InputError(err.message.replace(/^model:/, `${path}:`));
  });
  let metadata: Record<string, string> = {};
  try {
    metadata = Object.fromEntries(decodeModel(bytes).metadataProps.map((p) => [p.key ?? '', p.value ?? '']));
  } catch {
    // ONNX Runtime accepted it; metadata is optional.
  }
  const inputs = session.inputMetadata as unknown as { name: string; shape: (number | string)[] }[];
  if (inputs.length !== 1) throw new InputError(`${path}: expected a model with one input, it has ${inputs.length}`);
  const [first] = inputs;
  if (first.shape.length !== 4) throw new InputError(`${path}: input '${first.name}' has shape [${first.shape}], expected [batch, channels, height, width]`);
  const [b, c, h, w] = first.shape;
  if (typeof c !== 'number') throw new InputError(`${path}: input '${first.name}' has a symbolic channel count; it must be fixed`);
  const fixed = (d: number | string) => (typeof d === 'number' && d > 0 ? d : undefined);
  const isNumber = (v: unknown): v is number => typeof v === 'number';
  const isString = (v: unknown): v is string => typeof v === 'string';
  return {
    session,
    info: {
      path,
      input: first.name,
      output: session.outputNames[0],
      batch: typeof b === 'number' && b > 0 ? b : 'dynamic',
      channels: c,
      height: fixed(h),
      width: fixed(w),
      mean: parseJsonList(metadata.mean, path, 'mean', isNumber),
      std: parseJsonList(metadata.std, path, 'std', isNumber),
      labels: parseJsonList(metadata.labels, path, 'labels', isString),
      metadata,
    },
  };
}
