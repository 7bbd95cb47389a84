import ort from 'onnxruntime-node';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { IMAGE_EXTENSIONS } from '../datasets/index.js';
import { InputError, readInputFile } from '../tensor/index.js';
import type { ModelInfo, OpenModel } from './model.js';
import { preprocessImage, type Preprocess } from './preprocess.js';

export interface Prediction {
  input: string;
  top: { index: number; label: string | undefined; prob: number }[];
}

export interface Failure {
  input: string;
  error: string;
}

export interface ClassifyOptions {
  top?: number;
  batch?: number;
  labels?: string[];
  /** Overrides of what the model declares (required where it declares nothing). */
  preprocess?: Partial<Preprocess>;
  onProgress?: (done: number, total: number) => void;
  onWarning?: (message: string) => void;
}


/** Files, folders (their images, sorted) and simple `*` patterns, expanded to image paths. */
export function expandInputs(args: string[]): string[] {
  const out: string[] = [];
  for (const arg of args) {
    if (arg.includes('*')) {
      const dir = dirname(arg);
      const pattern = new RegExp(`^${basename(arg).replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
      if (!existsSync(dir)) throw new InputError(`${arg}: folder ${dir} does not exist`);
      out.push(...readdirSync(dir).filter((f) => pattern.test(f)).sort().map((f) => join(dir, f)));
    } else if (existsSync(arg) && statSync(arg).isDirectory()) {
      out.push(...readdirSync(arg).filter((f) => IMAGE_EXTENSIONS.has(extname(f).toLowerCase())).sort().map((f) => join(arg, f)));
    } else {
      out.push(arg);
    }
  }
  if (out.length === 0) throw new InputError(`no images found in ${args.join(' ')}`);
  return out;
}

/** Reads a labels file: one label per line; the count must match the model's classes. */
export function readLabels(path: string, classes: number): string[] {
  const lines = readInputFile(path).toString('utf8').split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  if (lines.length !== classes) throw new InputError(`${path}: ${lines.length} labels, expected ${classes} (one per line, one per class of the model)`);
  return lines;
}

/** The preprocessing for a model: its declared contract, overridden or completed by flags. */
export function resolvePreprocess(info: ModelInfo, overrides: Partial<Preprocess> = {}, warn?: (m: string) => void): Preprocess {
  const height = info.height ?? overrides.height;
  const width = info.width ?? overrides.width;
  if (height == null || width == null) {
    throw new InputError(`${info.path}: input '${info.input}' has a symbolic height or width; pass --size HxW`);
  }
  if ((overrides.height != null && overrides.height !== height) || (overrides.width != null && overrides.width !== width)) {
    throw new InputError(`--size: the model's input is fixed at ${height}x${width}, got ${overrides.height}x${overrides.width}`);
  }
  const channels = info.channels;
  if (channels !== 1 && channels !== 3) throw new InputError(`${info.path}: input '${info.input}' has ${channels} channels; images give 1 or 3`);
  let mean = overrides.mean ?? info.mean;
  let std = overrides.std ?? info.std;
  if (mean == null || std == null) {
    warn?.(`${info.path} declares no normalisation; using mean 0, std 1 on [0, 1] pixels (pass --mean and --std)`);
    mean ??= [0];
    std ??= [1];
  }
  const perChannel = (v: number[], flag: string) => {
    if (v.length === 1) return new Array<number>(channels).fill(v[0]);
    if (v.length !== channels) throw new InputError(`${flag}: ${v.length} values, expected 1 or ${channels} (the model's channels)`);
    return v;
  };
  mean = perChannel(mean, '--mean');
  std = perChannel(std, '--std');
  if (std.some((s) => !(s > 0))) throw new InputError(`--std: every value must be > 0, got ${std.join(',')}`);
  return { height, width, channels, mean, std, resize: overrides.resize ?? 'crop' };
}

function softmax(logits: Float32Array, offset: number, n: number): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < n; i++) max = Math.max(max, logits[offset + i]);
  const out = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += out[i] = Math.exp(logits[offset + i] - max);
  for (let i = 0; i < n; i++) out[i] /= sum;
  return out;
}

/**
 * Classifies images in batches with one session. An image that cannot be read is a
 * failure of its own; the others still run.
 */
export async function classifyImages(model: OpenModel, inputs: string[], options: ClassifyOptions = {}): Promise<{ predictions: Prediction[]; failures: Failure[] }> {
  const { info, session } = model;
  const p = resolvePreprocess(info, options.preprocess, options.onWarning);
  const batch = info.batch === 'dynamic' ? Math.max(1, options.batch ?? 16) : info.batch;
  const top = Math.max(1, options.top ?? 5);
  const per = p.channels * p.height * p.width;
  const predictions: Prediction[] = [];
  const failures: Failure[] = [];
  let done = 0;
  for (let start = 0; start < inputs.length; start += batch) {
    const chunk = inputs.slice(start, start + batch);
    const decoded = await Promise.all(
      chunk.map((path) =>
        preprocessImage(path, p).then(
          (data) => ({ path, data }),
          (err: Error) => (failures.push({ input: path, error: err.message }), undefined),
        ),
      ),
    );
    const ok = decoded.filter((d): d is { path: string; data: Float32Array } => d != null);
    if (ok.length > 0) {
      const n = info.batch === 'dynamic' ? ok.length : batch;
      const data = new Float32Array(n * per);
      ok.forEach((d, i) => data.set(d.data, i * per));
      const result = await session.run({ [info.input]: new ort.Tensor('float32', data, [n, p.channels, p.height, p.width]) });
      const logits = result[info.output].data as Float32Array;
      const classes = logits.length / n;
      if (options.labels && options.labels.length !== classes) {
        throw new InputError(`labels: ${options.labels.length} labels, the model has ${classes} classes`);
      }
      ok.forEach((d, i) => {
        const probs = softmax(logits, i * classes, classes);
        const order = Array.from(probs.keys()).sort((a, b) => probs[b] - probs[a]).slice(0, top);
        predictions.push({ input: d.path, top: order.map((index) => ({ index, label: options.labels?.[index], prob: probs[index] })) });
      });
    }
    done += chunk.length;
    options.onProgress?.(done, inputs.length);
  }
  return { predictions, failures };
}
