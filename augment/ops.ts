import { f32, roundHalfEven, type Image } from './image.js';
import * as color from './color.js';
import * as geometry from './geometry.js';

/** The ops of RandAugment and TrivialAugment (the first 14), and AutoAugment's Invert. */
export const OP_NAMES = [
  'Identity',
  'ShearX',
  'ShearY',
  'TranslateX',
  'TranslateY',
  'Rotate',
  'Brightness',
  'Color',
  'Contrast',
  'Sharpness',
  'Posterize',
  'Solarize',
  'AutoContrast',
  'Equalize',
  'Invert',
] as const;

export type OpName = (typeof OP_NAMES)[number];

/** RandAugment's and TrivialAugment's op list (no Invert). */
export const RAND_AUGMENT_OPS: readonly OpName[] = OP_NAMES.slice(0, 14);

/** torchvision's two magnitude ranges: AutoAugment/RandAugment ('standard') and TrivialAugmentWide ('wide'). */
export type MagnitudeRange = 'standard' | 'wide';

interface OpDefinition {
  apply: (img: Image, magnitude: number) => Image;
  /** Magnitudes for bins 0..bins-1; none for ops without a magnitude. */
  magnitudes?: (bins: number, range: MagnitudeRange, height: number, width: number) => number[];
  /** Whether a random sign is applied to the magnitude. */
  signed: boolean;
}

/** torch.linspace in float32: from both ends towards the middle. */
export function linspace(start: number, end: number, steps: number): number[] {
  if (steps === 1) return [f32(start)];
  const [a, b] = [f32(start), f32(end)];
  const step = f32(f32(b - a) / (steps - 1));
  const half = Math.floor(steps / 2);
  return Array.from({ length: steps }, (_, i) => (i < half ? f32(a + f32(step * i)) : f32(b - f32(step * (steps - i - 1)))));
}

const linear = (standard: number, wide: number) => (bins: number, range: MagnitudeRange) => linspace(0, range === 'wide' ? wide : standard, bins);
const factor = (apply: (img: Image, f: number) => Image): OpDefinition => ({ apply: (img, m) => apply(img, 1 + m), magnitudes: linear(0.9, 0.99), signed: true });

const OPS: Record<OpName, OpDefinition> = {
  Identity: { apply: (img) => img, signed: false },
  ShearX: { apply: geometry.shearX, magnitudes: linear(0.3, 0.99), signed: true },
  ShearY: { apply: geometry.shearY, magnitudes: linear(0.3, 0.99), signed: true },
  TranslateX: { apply: geometry.translateX, magnitudes: (b, r, _h, w) => linspace(0, r === 'wide' ? 32 : (150 / 331) * w, b), signed: true },
  TranslateY: { apply: geometry.translateY, magnitudes: (b, r, h) => linspace(0, r === 'wide' ? 32 : (150 / 331) * h, b), signed: true },
  Rotate: { apply: geometry.rotate, magnitudes: linear(30, 135), signed: true },
  Brightness: factor(color.brightness),
  Color: factor(color.color),
  Contrast: factor(color.contrast),
  Sharpness: factor(color.sharpness),
  Posterize: {
    apply: (img, m) => color.posterize(img, Math.trunc(m)),
    magnitudes: (b, r) => Array.from({ length: b }, (_, k) => 8 - roundHalfEven(f32(k / f32((b - 1) / (r === 'wide' ? 6 : 4))))),
    signed: false,
  },
  Solarize: { apply: color.solarize, magnitudes: (b) => linspace(255, 0, b), signed: false },
  AutoContrast: { apply: color.autocontrast, signed: false },
  Equalize: { apply: color.equalize, signed: false },
  Invert: { apply: color.invert, signed: false },
};

export function isOpName(name: string): name is OpName {
  return (OP_NAMES as readonly string[]).includes(name);
}

export function hasMagnitude(op: OpName): boolean {
  return OPS[op].magnitudes !== undefined;
}

export function isSigned(op: OpName): boolean {
  return OPS[op].signed;
}

/** The magnitude of bin `bin` (0 for ops without one), before any sign. */
export function magnitudeOf(op: OpName, bin: number, bins: number, range: MagnitudeRange, height: number, width: number): number {
  return OPS[op].magnitudes?.(bins, range, height, width)[bin] ?? 0;
}

/** Applies one op with a signed magnitude, as torchvision's _apply_op. */
export function applyOp(img: Image, op: OpName, magnitude: number): Image {
  return OPS[op].apply(img, magnitude);
}
