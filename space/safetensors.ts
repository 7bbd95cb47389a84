import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { InputError, readInputFile, zodInputError } from '../tensor/index.js';
import { writeFileAtomic } from './arch.js';
import type { AnyModule } from './module.js';

/**
 * The safetensors format (readable from Python's `safetensors` and from numpy): an 8-byte
 * little-endian header length, a JSON header naming each tensor's dtype, shape and byte
 * range, free-form string metadata under `__metadata__`, then the raw little-endian data.
 * hbx writes float32 tensors named by module path.
 */
export interface SafetensorsFile {
  tensors: Record<string, { shape: number[]; data: Float32Array }>;
  metadata: Record<string, string>;
}

const entrySchema = z
  .object({
    dtype: z.literal('F32'),
    shape: z.array(z.number().int().nonnegative()),
    data_offsets: z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]),
  })
  .strict();

export function encodeSafetensors({ tensors, metadata }: SafetensorsFile): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  const names = Object.keys(tensors).sort();
  for (const name of names) {
    const bytes = tensors[name].data.byteLength;
    header[name] = { dtype: 'F32', shape: tensors[name].shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8); // keep the data 8-byte aligned
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const name of names) {
    const d = tensors[name].data;
    out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), at);
    at += d.byteLength;
  }
  return out;
}

export function decodeSafetensors(bytes: Uint8Array, source = 'safetensors'): SafetensorsFile {
  if (bytes.length < 8) throw new InputError(`${source}: not a safetensors file (${bytes.length} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength > bytes.length - 8) throw new InputError(`${source}: not a safetensors file (header length ${headerLength} exceeds the file)`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
  } catch {
    throw new InputError(`${source}: not a safetensors file (header is not JSON)`);
  }
  const { __metadata__: meta, ...entries } = header;
  const metaParsed = z.record(z.string(), z.string()).optional().safeParse(meta);
  if (!metaParsed.success) throw zodInputError(source, metaParsed.error.issues.map((i) => ({ ...i, path: ['__metadata__', ...i.path] })));
  const dataStart = 8 + headerLength;
  const tensors: SafetensorsFile['tensors'] = {};
  for (const [name, raw] of Object.entries(entries)) {
    const r = entrySchema.safeParse(raw);
    if (!r.success) throw zodInputError(source, r.error.issues.map((i) => ({ ...i, path: [name, ...i.path] })));
    const [begin, end] = r.data.data_offsets;
    const count = r.data.shape.reduce((a, b) => a * b, 1);
    if (end - begin !== count * 4 || dataStart + end > bytes.length) {
      throw new InputError(`${source}: tensor '${name}': byte range [${begin}, ${end}) does not fit shape [${r.data.shape}] in the file`);
    }
    const copy = bytes.slice(dataStart + begin, dataStart + end);
    tensors[name] = { shape: r.data.shape, data: new Float32Array(copy.buffer, copy.byteOffset, count) };
  }
  return { tensors, metadata: metaParsed.data ?? {} };
}

/** A copy of each tensor's values, read synchronously. */
export function readTensors(named: Record<string, tf.Tensor>): SafetensorsFile['tensors'] {
  return Object.fromEntries(Object.entries(named).map(([name, v]) => [name, { shape: v.shape, data: Float32Array.from(v.dataSync() as Float32Array) }]));
}

/** `readTensors` without a synchronous read: the only kind a GPU backend (webgpu) allows in Node. */
export async function downloadTensors(named: Record<string, tf.Tensor>): Promise<SafetensorsFile['tensors']> {
  const entries = Object.entries(named);
  const values = await Promise.all(entries.map(([, v]) => v.data()));
  return Object.fromEntries(entries.map(([name, v], i) => [name, { shape: v.shape, data: Float32Array.from(values[i] as Float32Array) }]));
}

/**
 * Saves a module's state dict (parameters and buffers) atomically; `tensors`, where given, are
 * its values already read (see `downloadTensors`).
 */
export function saveStateDict(module: AnyModule, path: string, metadata: Record<string, string> = {}, tensors = readTensors(module.stateDict())): void {
  writeFileAtomic(path, encodeSafetensors({ tensors, metadata }));
}

export function readSafetensorsFile(path: string): SafetensorsFile {
  return decodeSafetensors(readInputFile(path), path);
}

/** Loads tensors into a module; shapes and names must match exactly. */
export function loadStateDictFrom(module: AnyModule, file: SafetensorsFile, source: string): void {
  const state = tf.tidy(() => Object.fromEntries(Object.entries(file.tensors).map(([n, t]) => [n, tf.keep(tf.tensor(t.data, t.shape))])));
  try {
    module.loadStateDict(state, { source });
  } finally {
    for (const t of Object.values(state)) t.dispose();
  }
}
