/** One image as unsigned bytes, channels-last: [height, width, channels]. */
export interface Image {
  data: Uint8Array;
  height: number;
  width: number;
  channels: number;
}

/**
 * A batch of images as one channels-last byte tensor, [count, height, width, channels]:
 * what the ops run on, each image with its own random parameters.
 */
export interface ImageBatch extends Omit<Image, 'data'> {
  data: Uint8Array;
  count: number;
}

/** Image `i` of a batch, sharing its bytes. */
export function imageAt(b: ImageBatch, i: number): Image {
  const per = b.height * b.width * b.channels;
  return { data: b.data.subarray(i * per, (i + 1) * per), height: b.height, width: b.width, channels: b.channels };
}

/** An image of the same shape with new bytes. */
export function withData(img: Image, data: Uint8Array): Image {
  return { data, height: img.height, width: img.width, channels: img.channels };
}

/** torchvision computes in float32; these mirror its rounding so pixels match. */
export const f32 = Math.fround;

/** Round half to even, as torch.round and grid_sample's nearbyint do. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** float -> uint8 as torch's `.to(torch.uint8)` after a clamp to [0, 255]: truncation. */
export function truncByte(x: number): number {
  return x <= 0 ? 0 : x >= 255 ? 255 : Math.trunc(x);
}
