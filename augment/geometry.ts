import { f32, roundHalfEven, withData, type Image } from './image.js';

/** Inverse affine matrix [a, b, c, d, e, f] of torchvision's convention (degrees; centre relative to the image centre). */
export function inverseAffine(centre: [number, number], angle: number, translate: [number, number], scale: number, shear: [number, number]): number[] {
  const rot = (angle * Math.PI) / 180;
  const [sx, sy] = [(shear[0] * Math.PI) / 180, (shear[1] * Math.PI) / 180];
  const a = Math.cos(rot - sy) / Math.cos(sy);
  const b = (-Math.cos(rot - sy) * Math.tan(sx)) / Math.cos(sy) - Math.sin(rot);
  const c = Math.sin(rot - sy) / Math.cos(sy);
  const d = (-Math.sin(rot - sy) * Math.tan(sx)) / Math.cos(sy) + Math.cos(rot);
  const m = [d, -b, 0, -c, a, 0].map((v) => v / scale);
  const [cx, cy] = centre;
  const [tx, ty] = translate;
  m[2] += m[0] * (-cx - tx) + m[1] * (-cy - ty) + cx;
  m[5] += m[3] * (-cx - tx) + m[4] * (-cy - ty) + cy;
  return m;
}

/**
 * Resample with an inverse affine matrix, nearest neighbour, zeros outside: torchvision's
 * tensor affine (an affine grid over pixel centres, then grid_sample) in its float32 arithmetic.
 */
export function affineNearest(img: Image, matrix: number[]): Image {
  const { height: h, width: w, channels: c, data } = img;
  const [hw, hh] = [f32(0.5 * w), f32(0.5 * h)];
  const t = [0, 1, 2].map((k) => f32(f32(matrix[k]) / hw)).concat([3, 4, 5].map((k) => f32(f32(matrix[k]) / hh)));
  const out = new Uint8Array(data.length);
  for (let i = 0; i < h; i++) {
    const by = i - h / 2 + 0.5;
    for (let j = 0; j < w; j++) {
      const bx = j - w / 2 + 0.5;
      const gx = f32(f32(f32(bx * t[0]) + f32(by * t[1])) + t[2]);
      const gy = f32(f32(f32(bx * t[3]) + f32(by * t[4])) + t[5]);
      const sx = roundHalfEven(f32(f32(f32(f32(gx + 1) * w) - 1) / 2));
      const sy = roundHalfEven(f32(f32(f32(f32(gy + 1) * h) - 1) / 2));
      if (sx < 0 || sx >= w || sy < 0 || sy >= h) continue;
      for (let ch = 0; ch < c; ch++) out[(i * w + j) * c + ch] = data[(sy * w + sx) * c + ch];
    }
  }
  return withData(img, out);
}

const degrees = (radians: number): number => (radians * 180) / Math.PI;

/** Shear along x by `m` (the offset per row, as torchvision's atan(m) degrees), about the top-left corner. */
export function shearX(img: Image, m: number): Image {
  const corner: [number, number] = [-img.width * 0.5, -img.height * 0.5];
  return affineNearest(img, inverseAffine(corner, 0, [0, 0], 1, [degrees(Math.atan(m)), 0]));
}

export function shearY(img: Image, m: number): Image {
  const corner: [number, number] = [-img.width * 0.5, -img.height * 0.5];
  return affineNearest(img, inverseAffine(corner, 0, [0, 0], 1, [0, degrees(Math.atan(m))]));
}

/** Shift by a whole number of pixels (truncated towards zero, as torchvision's int()). */
export function translateX(img: Image, pixels: number): Image {
  return affineNearest(img, inverseAffine([0, 0], 0, [Math.trunc(pixels), 0], 1, [0, 0]));
}

export function translateY(img: Image, pixels: number): Image {
  return affineNearest(img, inverseAffine([0, 0], 0, [0, Math.trunc(pixels)], 1, [0, 0]));
}

/** Rotate counter-clockwise by `angle` degrees about the centre. */
export function rotate(img: Image, angle: number): Image {
  return affineNearest(img, inverseAffine([0, 0], -angle, [0, 0], 1, [0, 0]));
}

export function flipHorizontal(img: Image): Image {
  const { height: h, width: w, channels: c, data } = img;
  const out = new Uint8Array(data.length);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) out.set(data.subarray((y * w + w - 1 - x) * c, (y * w + w - x) * c), (y * w + x) * c);
  return withData(img, out);
}

export function flipVertical(img: Image): Image {
  const { height: h, width: w, channels: c, data } = img;
  const row = w * c;
  const out = new Uint8Array(data.length);
  for (let y = 0; y < h; y++) out.set(data.subarray((h - 1 - y) * row, (h - y) * row), y * row);
  return withData(img, out);
}

/** Zero-pad by `pad` on every side, then crop the original size at offset (top, left) of the padded image. */
export function paddedCrop(img: Image, pad: number, top: number, left: number): Image {
  const { height: h, width: w, channels: c, data } = img;
  const out = new Uint8Array(data.length);
  for (let y = 0; y < h; y++) {
    const sy = y + top - pad;
    if (sy < 0 || sy >= h) continue;
    for (let x = 0; x < w; x++) {
      const sx = x + left - pad;
      if (sx >= 0 && sx < w) out.set(data.subarray((sy * w + sx) * c, (sy * w + sx + 1) * c), (y * w + x) * c);
    }
  }
  return withData(img, out);
}

/** Source index and weights of bilinear resampling (align_corners false, as PyTorch's interpolate). */
function bilinearTaps(inSize: number, outSize: number): { i0: Int32Array; i1: Int32Array; w1: Float32Array } {
  const scale = f32(inSize / outSize);
  const [i0, i1, w1] = [new Int32Array(outSize), new Int32Array(outSize), new Float32Array(outSize)];
  for (let o = 0; o < outSize; o++) {
    const src = Math.max(0, f32(f32(scale * f32(o + 0.5)) - 0.5));
    i0[o] = Math.floor(src);
    i1[o] = i0[o] + (i0[o] < inSize - 1 ? 1 : 0);
    w1[o] = f32(src - i0[o]);
  }
  return { i0, i1, w1 };
}

/** Crop (top, left, height, width), then resize bilinearly to outHeight x outWidth (torchvision's resized_crop). */
export function resizedCrop(img: Image, top: number, left: number, height: number, width: number, outHeight: number, outWidth: number): Image {
  const { width: w, channels: c, data } = img;
  const ys = bilinearTaps(height, outHeight);
  const xs = bilinearTaps(width, outWidth);
  const out = new Uint8Array(outHeight * outWidth * c);
  const at = (y: number, x: number, ch: number): number => data[((top + y) * w + left + x) * c + ch];
  for (let oy = 0; oy < outHeight; oy++) {
    const [y0, y1, wy1] = [ys.i0[oy], ys.i1[oy], ys.w1[oy]];
    const wy0 = f32(1 - wy1);
    for (let ox = 0; ox < outWidth; ox++) {
      const [x0, x1, wx1] = [xs.i0[ox], xs.i1[ox], xs.w1[ox]];
      const wx0 = f32(1 - wx1);
      for (let ch = 0; ch < c; ch++) {
        const upper = f32(f32(wx0 * at(y0, x0, ch)) + f32(wx1 * at(y0, x1, ch)));
        const lower = f32(f32(wx0 * at(y1, x0, ch)) + f32(wx1 * at(y1, x1, ch)));
        out[(oy * outWidth + ox) * c + ch] = Math.min(255, Math.max(0, roundHalfEven(f32(f32(wy0 * upper) + f32(wy1 * lower)))));
      }
    }
  }
  return { data: out, height: outHeight, width: outWidth, channels: c };
}

/**
 * torchvision's RandomResizedCrop.get_params: up to 10 tries for an area share in `scale` and an
 * aspect ratio (log-uniform) in `ratio` that fit; else a centre crop clipped to `ratio`.
 */
export function randomResizedCropRect(height: number, width: number, scale: readonly [number, number], ratio: readonly [number, number], rng: { next(): number; int(n: number): number }): { top: number; left: number; height: number; width: number } {
  const area = height * width;
  const [logLo, logHi] = [Math.log(ratio[0]), Math.log(ratio[1])];
  for (let attempt = 0; attempt < 10; attempt++) {
    const target = area * (scale[0] + rng.next() * (scale[1] - scale[0]));
    const aspect = Math.exp(logLo + rng.next() * (logHi - logLo));
    const w = Math.round(Math.sqrt(target * aspect));
    const h = Math.round(Math.sqrt(target / aspect));
    if (w > 0 && w <= width && h > 0 && h <= height) return { top: rng.int(height - h + 1), left: rng.int(width - w + 1), height: h, width: w };
  }
  const inRatio = width / height;
  let [w, h] = [width, height];
  if (inRatio < ratio[0]) h = Math.round(w / ratio[0]);
  else if (inRatio > ratio[1]) w = Math.round(h * ratio[1]);
  return { top: Math.floor((height - h) / 2), left: Math.floor((width - w) / 2), height: h, width: w };
}
