import { f32, truncByte, withData, type Image } from './image.js';

/** ratio * a + (1 - ratio) * b, clamped and truncated to bytes (torchvision's _blend). */
function blend(img: Image, other: (k: number) => number, ratio: number): Image {
  const r = f32(ratio);
  const q = f32(1 - ratio);
  const out = new Uint8Array(img.data.length);
  for (let k = 0; k < out.length; k++) out[k] = truncByte(f32(f32(r * img.data[k]) + f32(q * other(k))));
  return withData(img, out);
}

/** Luma of an RGB image as bytes (ITU-R 601-2 weights, truncated), one per pixel. */
export function grayscale(img: Image): Uint8Array {
  const n = img.height * img.width;
  if (img.channels === 1) return img.data.slice();
  const [wr, wg, wb] = [f32(0.2989), f32(0.587), f32(0.114)];
  const out = new Uint8Array(n);
  for (let p = 0; p < n; p++) {
    const [r, g, b] = [img.data[3 * p], img.data[3 * p + 1], img.data[3 * p + 2]];
    out[p] = truncByte(f32(f32(f32(wr * r) + f32(wg * g)) + f32(wb * b)));
  }
  return out;
}

export function brightness(img: Image, factor: number): Image {
  return blend(img, () => 0, factor);
}

/** Saturation: blend with the grayscale image; grayscale images are returned as they are. */
export function color(img: Image, factor: number): Image {
  if (img.channels === 1) return withData(img, img.data.slice());
  const gray = grayscale(img);
  return blend(img, (k) => gray[Math.floor(k / img.channels)], factor);
}

/** Blend with the mean of the (grayscale) image. */
export function contrast(img: Image, factor: number): Image {
  const gray = grayscale(img);
  let sum = 0;
  for (const v of gray) sum += v;
  const mean = f32(sum / gray.length);
  return blend(img, () => mean, factor);
}

/** Blend with a 3x3 smoothed image (centre weight 5); the border keeps its pixels. */
export function sharpness(img: Image, factor: number): Image {
  const { height: h, width: w, channels: c, data } = img;
  if (h <= 2 || w <= 2) return withData(img, data.slice());
  const edge = f32(1 / 13);
  const centre = f32(5 / 13);
  const smooth = data.slice();
  for (let y = 1; y < h - 1; y++)
    for (let x = 1; x < w - 1; x++)
      for (let ch = 0; ch < c; ch++) {
        let s = 0;
        for (let dy = -1; dy <= 1; dy++)
          for (let dx = -1; dx <= 1; dx++) s = f32(s + f32((dy || dx ? edge : centre) * data[((y + dy) * w + x + dx) * c + ch]));
        smooth[(y * w + x) * c + ch] = Math.min(255, Math.max(0, Math.round(s)));
      }
  return blend(img, (k) => smooth[k], factor);
}

/** Keep the top `bits` bits of each byte. */
export function posterize(img: Image, bits: number): Image {
  const mask = (0xff << (8 - bits)) & 0xff;
  return withData(img, img.data.map((v) => v & mask));
}

/** Invert every byte at or above the threshold. */
export function solarize(img: Image, threshold: number): Image {
  const t = f32(threshold);
  return withData(img, img.data.map((v) => (v >= t ? 255 - v : v)));
}

export function invert(img: Image): Image {
  return withData(img, img.data.map((v) => 255 - v));
}

/** Stretch each channel to the full range [0, 255]. */
export function autocontrast(img: Image): Image {
  const { channels: c, data } = img;
  const out = new Uint8Array(data.length);
  for (let ch = 0; ch < c; ch++) {
    let [lo, hi] = [255, 0];
    for (let k = ch; k < data.length; k += c) [lo, hi] = [Math.min(lo, data[k]), Math.max(hi, data[k])];
    const [min, scale] = hi === lo ? [0, 1] : [lo, f32(255 / (hi - lo))];
    for (let k = ch; k < data.length; k += c) out[k] = truncByte(f32((data[k] - min) * scale));
  }
  return withData(img, out);
}

/** Histogram equalisation of each channel (PIL's ImageOps.equalize, as torchvision has it). */
export function equalize(img: Image): Image {
  const { channels: c, data } = img;
  const out = data.slice();
  for (let ch = 0; ch < c; ch++) {
    const hist = new Array<number>(256).fill(0);
    for (let k = ch; k < data.length; k += c) hist[data[k]]++;
    const nonzero = hist.filter((n) => n > 0);
    const step = Math.floor((nonzero.reduce((a, b) => a + b, 0) - nonzero[nonzero.length - 1]) / 255);
    if (step === 0) continue;
    const lut = new Uint8Array(256);
    let cumulative = 0;
    for (let v = 0; v < 256; v++) {
      lut[v] = Math.min(255, Math.floor((cumulative + Math.floor(step / 2)) / step));
      cumulative += hist[v];
    }
    for (let k = ch; k < data.length; k += c) out[k] = lut[data[k]];
  }
  return withData(img, out);
}
