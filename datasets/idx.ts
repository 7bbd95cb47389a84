import { gunzipSync, gzipSync } from 'node:zlib';
import { InputError, readInputFile } from '../tensor/index.js';
import { writeFileAtomic } from '../space/index.js';

/** An IDX file (the MNIST format): unsigned bytes with their dimensions. */
export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

const UBYTE = 0x08;

/** Reads an IDX file of unsigned bytes, gzip-compressed or raw; errors name the file. */
export function readIdx(path: string): IdxArray {
  let bytes: Uint8Array = readInputFile(path);
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch {
      throw new InputError(`${path}: corrupt gzip data`);
    }
  }
  return decodeIdx(bytes, path);
}

export function decodeIdx(bytes: Uint8Array, source = 'idx'): IdxArray {
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) throw new InputError(`${source}: not an IDX file (bad magic number)`);
  if (bytes[2] !== UBYTE) throw new InputError(`${source}: IDX type 0x${bytes[2].toString(16)} is not supported, expected unsigned bytes (0x08)`);
  const rank = bytes[3];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 4 + 4 * rank) throw new InputError(`${source}: truncated IDX header`);
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i, false));
  const size = dims.reduce((a, b) => a * b, 1);
  const start = 4 + 4 * rank;
  if (bytes.length - start !== size) {
    throw new InputError(`${source}: IDX data holds ${bytes.length - start} bytes, dimensions [${dims}] need ${size}`);
  }
  return { dims, data: new Uint8Array(bytes.subarray(start)) }; // a plain copy, not a Buffer view
}

export function encodeIdx({ dims, data }: IdxArray): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const view = new DataView(out.buffer);
  out[2] = UBYTE;
  out[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * dims.length);
  return out;
}

export function writeIdx(path: string, array: IdxArray, { gzip = path.endsWith('.gz') } = {}): void {
  const bytes = encodeIdx(array);
  writeFileAtomic(path, gzip ? gzipSync(bytes, { level: 9 }) : bytes);
}

/** The first `n` items (along the first dimension). */
export function takeFirst(array: IdxArray, n: number): IdxArray {
  const per = array.dims.slice(1).reduce((a, b) => a * b, 1);
  return { dims: [n, ...array.dims.slice(1)], data: array.data.slice(0, n * per) };
}
