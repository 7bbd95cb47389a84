import { applyOp, erase, flipHorizontal, flipVertical, imageAt, isSigned, magnitudeOf, paddedCrop, RAND_AUGMENT_OPS, resizedCrop, type Image, type ImageBatch, type OpName } from '../../augment/index.js';
import { torchvisionReference, type ReferenceCase } from './torchvision.js';

export interface FidelityRow {
  op: string;
  magnitude: number | string;
  /** Largest absolute pixel difference from torchvision over all images. */
  maxDiff: number;
  /** Share of bytes that differ at all. */
  differing: number;
}

/** Each op of RandAugment and Invert at bins 10, 20, 30 of the wide range (signed ops: +, -, +), and the geometric extras. */
export function fidelityCases(height: number, width: number): ReferenceCase[] {
  const cases: ReferenceCase[] = [];
  for (const op of [...RAND_AUGMENT_OPS, 'Invert' as OpName]) {
    const bins = magnitudeOf(op, 30, 31, 'wide', height, width) === 0 && op !== 'Solarize' ? [0] : [10, 20, 30];
    for (const [k, bin] of bins.entries()) {
      const m = magnitudeOf(op, bin, 31, 'wide', height, width);
      cases.push({ op, magnitude: isSigned(op) && k === 1 ? -m : m });
    }
  }
  cases.push({ op: 'FlipHorizontal' }, { op: 'FlipVertical' }, { op: 'PaddedCrop', pad: 4, top: 1, left: 6 });
  cases.push({ op: 'ResizedCrop', top: 3, left: 5, height: 17, width: 21 }, { op: 'ResizedCrop', top: 0, left: 0, height: 11, width: 9 });
  cases.push({ op: 'Erase', top: 4, left: 7, height: 9, width: 12 });
  return cases;
}

function hbxCase(img: Image, c: ReferenceCase): Image {
  const n = (k: string): number => Number(c[k]);
  switch (c.op) {
    case 'FlipHorizontal':
      return flipHorizontal(img);
    case 'FlipVertical':
      return flipVertical(img);
    case 'PaddedCrop':
      return paddedCrop(img, n('pad'), n('top'), n('left'));
    case 'ResizedCrop':
      return resizedCrop(img, n('top'), n('left'), n('height'), n('width'), img.height, img.width);
    case 'Erase':
      return erase(img, { top: n('top'), left: n('left'), height: n('height'), width: n('width') });
    default:
      return applyOp(img, c.op as OpName, c.magnitude ?? 0);
  }
}

/** hbx's ops against torchvision's on every image of the batch. */
export async function compareWithTorchvision(python: string, batch: ImageBatch, cases = fidelityCases(batch.height, batch.width)): Promise<FidelityRow[]> {
  const reference = await torchvisionReference(python, batch, cases);
  const per = batch.height * batch.width * batch.channels;
  return cases.map((c, k) => {
    let [maxDiff, differing] = [0, 0];
    for (let i = 0; i < batch.count; i++) {
      const ours = hbxCase(imageAt(batch, i), c).data;
      for (let j = 0; j < per; j++) {
        const d = Math.abs(ours[j] - reference[k][i * per + j]);
        if (d) differing++;
        maxDiff = Math.max(maxDiff, d);
      }
    }
    const magnitude = c.magnitude === undefined ? Object.entries(c).filter(([key]) => key !== 'op').map(([key, v]) => `${key} ${v}`).join(', ') : Number(c.magnitude.toFixed(4));
    return { op: c.op, magnitude, maxDiff, differing: differing / batch.data.length };
  });
}
