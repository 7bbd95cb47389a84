import { InputError } from '../tensor/index.js';

export type ResizeMode = 'crop' | 'stretch';

/** How an image becomes the model's input: size, channels, scaling and normalisation. */
export interface Preprocess {
  height: number;
  width: number;
  /** 1 (grayscale) or 3 (RGB). */
  channels: number;
  /** Per-channel mean and std applied after scaling to [0, 1]. */
  mean: number[];
  std: number[];
  /** crop: shorter side to size, then centre crop (default); stretch: resize to size exactly. */
  resize: ResizeMode;
}

/**
 * Decodes any format sharp reads and returns CHW float32: resized, converted to the
 * channel count, scaled to [0, 1], normalised with (x - mean) / std.
 */
export async function preprocessImage(path: string, p: Preprocess): Promise<Float32Array> {
  let pixels: Buffer;
  // Loaded on first use: sharp costs about 0.25 s of start-up that most commands never need.
  const { default: sharp } = await import('sharp');
  try {
    let img = sharp(path, { failOn: 'error' }).rotate();
    img = img.resize(p.width, p.height, p.resize === 'crop' ? { fit: 'cover', position: 'centre' } : { fit: 'fill' });
    img = p.channels === 1 ? img.toColourspace('b-w') : img.removeAlpha().toColourspace('srgb');
    const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== p.channels) throw new Error(`decoded ${info.channels} channels, expected ${p.channels}`);
    pixels = data;
  } catch (err) {
    throw new InputError(`${path}: cannot decode image (${String((err as Error).message ?? err).split('\n')[0]})`);
  }
  const { height: h, width: w, channels: c } = p;
  const out = new Float32Array(c * h * w);
  for (let ch = 0; ch < c; ch++) {
    const mean = p.mean[ch];
    const scale = 1 / (255 * p.std[ch]);
    const bias = mean / p.std[ch];
    for (let i = 0; i < h * w; i++) out[ch * h * w + i] = pixels[i * c + ch] * scale - bias;
  }
  return out;
}
