import type { Rng } from '../tensor/index.js';
import { cutoutRect, DEFAULT_ERASING, erase, randomErasingRect } from './erase.js';
import { flipHorizontal, paddedCrop, randomResizedCropRect, resizedCrop } from './geometry.js';
import { imageAt, type Image, type ImageBatch } from './image.js';
import { applyOp, isSigned, magnitudeOf, RAND_AUGMENT_OPS, type MagnitudeRange, type OpName } from './ops.js';
import type { Policy, PolicyStep } from './policy.js';

/** What training does to each image, in this order: flip, padded crop, resized crop, policy, cutout, random erasing. */
export interface AugmentConfig {
  /** Random crop after zero padding by this many pixels (0: off). */
  cropPadding: number;
  horizontalFlip: boolean;
  /** Random resized crop (area share drawn in [lo, hi], aspect ratio 3/4..4/3), back to the image's size; null: off. */
  resizedCrop?: readonly [number, number] | null;
  policy?: Policy;
  /** Side of a square cut out (set to zero) at a random place (0: off). */
  cutout: number;
  /** Probability of torchvision's RandomErasing (scale 0.02-0.33, ratio 0.3-3.3, value 0; 0: off). */
  erasing?: number;
}

const BINS = 31;

/** One op at a magnitude bin, with a random sign where the op is signed (the sign is drawn only then). */
function applyAtBin(img: Image, op: OpName, bin: number, bins: number, range: MagnitudeRange, rng: Rng): Image {
  let m = magnitudeOf(op, bin, bins, range, img.height, img.width);
  if (isSigned(op) && rng.next() < 0.5) m = -m;
  return applyOp(img, op, m);
}

/** A policy on one image, each random choice from `rng`. */
export function applyPolicy(img: Image, policy: Policy, rng: Rng): Image {
  switch (policy.kind) {
    case 'none':
      return img;
    case 'trivial':
      return applyAtBin(img, rng.pick(RAND_AUGMENT_OPS), rng.int(BINS), BINS, 'wide', rng);
    case 'randaugment':
      for (let k = 0; k < policy.n; k++) img = applyAtBin(img, rng.pick(RAND_AUGMENT_OPS), policy.m, BINS, 'standard', rng);
      return img;
    case 'subpolicies':
      for (const step of rng.pick(policy.subpolicies)) {
        if (rng.next() <= step.probability) img = applyAtBin(img, step.op, step.magnitude ?? 0, policy.bins, policy.range, rng);
      }
      return img;
  }
}

/** The whole training augmentation on one image. */
export function augmentImage(img: Image, a: AugmentConfig, rng: Rng): Image {
  const pad = a.cropPadding;
  const dy = pad ? rng.int(2 * pad + 1) : pad;
  const dx = pad ? rng.int(2 * pad + 1) : pad;
  if (a.horizontalFlip && rng.next() < 0.5) img = flipHorizontal(img);
  if (pad) img = paddedCrop(img, pad, dy, dx);
  if (a.resizedCrop) {
    const r = randomResizedCropRect(img.height, img.width, a.resizedCrop, [3 / 4, 4 / 3], rng);
    img = resizedCrop(img, r.top, r.left, r.height, r.width, img.height, img.width);
  }
  if (a.policy) img = applyPolicy(img, a.policy, rng);
  if (a.cutout) img = erase(img, cutoutRect(img.height, img.width, a.cutout, rng));
  if (a.erasing && rng.next() < a.erasing) {
    const rect = randomErasingRect(img.height, img.width, DEFAULT_ERASING, rng);
    if (rect) img = erase(img, rect);
  }
  return img;
}

/** Augments every image of a batch in place, each with its own random parameters. */
export function augmentBatch(batch: ImageBatch, a: AugmentConfig, rng: Rng): void {
  for (let i = 0; i < batch.count; i++) {
    const view = imageAt(batch, i);
    const out = augmentImage(view, a, rng);
    if (out.data !== view.data) view.data.set(out.data);
  }
}

/** One policy step (applied with its probability) on every image of a batch, in place. */
export function applyStepToBatch(batch: ImageBatch, step: PolicyStep, bins: number, range: MagnitudeRange, rng: Rng): void {
  augmentBatch(batch, { cropPadding: 0, horizontalFlip: false, cutout: 0, policy: { kind: 'subpolicies', bins, range, subpolicies: [[step]] } }, rng);
}
