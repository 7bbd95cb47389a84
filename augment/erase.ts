import type { Rng } from '../tensor/index.js';
import { withData, type Image } from './image.js';

export interface Rect {
  top: number;
  left: number;
  height: number;
  width: number;
}

/** The rectangle set to `value` (torchvision's F.erase with a constant). */
export function erase(img: Image, r: Rect, value = 0): Image {
  const { width: w, channels: c } = img;
  const out = img.data.slice();
  for (let y = r.top; y < r.top + r.height; y++) out.fill(value, (y * w + r.left) * c, (y * w + r.left + r.width) * c);
  return withData(img, out);
}

/** A square of side `size` centred at a uniform pixel, clipped to the image (DeVries and Taylor's cutout). */
export function cutoutRect(height: number, width: number, size: number, rng: Rng): Rect {
  const cy = rng.int(height);
  const cx = rng.int(width);
  const half = Math.floor(size / 2);
  const [top, left] = [Math.max(0, cy - half), Math.max(0, cx - half)];
  return { top, left, height: Math.min(height, cy - half + size) - top, width: Math.min(width, cx - half + size) - left };
}

export interface ErasingOptions {
  /** Area as a share of the image, drawn uniformly in [scale[0], scale[1]]. */
  scale: [number, number];
  /** Aspect ratio, drawn log-uniformly in [ratio[0], ratio[1]]. */
  ratio: [number, number];
}

export const DEFAULT_ERASING: ErasingOptions = { scale: [0.02, 0.33], ratio: [0.3, 3.3] };

/** torchvision's RandomErasing.get_params: up to 10 tries for a rectangle that fits; none if all fail. */
export function randomErasingRect(height: number, width: number, o: ErasingOptions, rng: Rng): Rect | undefined {
  const area = height * width;
  const [logLo, logHi] = [Math.log(o.ratio[0]), Math.log(o.ratio[1])];
  for (let attempt = 0; attempt < 10; attempt++) {
    const target = area * (o.scale[0] + rng.next() * (o.scale[1] - o.scale[0]));
    const aspect = Math.exp(logLo + rng.next() * (logHi - logLo));
    const h = Math.round(Math.sqrt(target * aspect));
    const w = Math.round(Math.sqrt(target / aspect));
    if (!(h < height && w < width)) continue;
    return { top: rng.int(height - h + 1), left: rng.int(width - w + 1), height: h, width: w };
  }
  return undefined;
}
