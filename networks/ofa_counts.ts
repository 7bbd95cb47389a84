import type { Arch } from '../space/index.js';
import type { Cost } from './definition.js';
import { CostTally } from './count.js';
import { makeDivisible } from './layers.js';
import { archToOfa } from './ofa_arch.js';
import { blocksPerStage, OFA_IMAGENET, OFA_STAGES, ofaWidths, type ResolvedOFAOptions } from './ofa_mbv3.js';

/** Spatial size after a conv with symmetric padding k // 2. */
const convOut = (size: number, k: number, stride: number) => Math.floor((size + 2 * Math.floor(k / 2) - k) / stride) + 1;

/** MACs and parameters of an ofa-mbv3 subnet, counted as OFA's own counters do. */
export function countOFACost(arch: Arch, o: ResolvedOFAOptions): Cost {
  const a = archToOfa(arch, o);
  const w = ofaWidths(o.widthMult);
  const t = new CostTally();
  let size = convOut(a.r, 3, o.stemStride);
  t.conv(o.inputChannels, w.stem, 3, size);
  // First block: depthwise 3x3, project (no expand).
  t.conv(w.stem, w.stem, 3, size, { groups: w.stem });
  t.conv(w.stem, w.firstBlock, 1, size);
  let inC = w.firstBlock;
  const perStage = blocksPerStage(o);
  OFA_STAGES.forEach((stage, s) => {
    for (let i = 0; i < a.d[s]; i++) {
      const index = s * perStage + i;
      const k = a.ks[index];
      const mid = makeDivisible(Math.round(inC * a.e[index]));
      const out = w.stages[s];
      t.conv(inC, mid, 1, size);
      size = convOut(size, k, i === 0 ? stage.stride : 1);
      t.conv(mid, mid, k, size, { groups: mid });
      if (stage.se) {
        const hidden = makeDivisible(Math.floor(mid / 4));
        t.conv(mid, hidden, 1, 1, { bias: true, bn: false });
        t.conv(hidden, mid, 1, 1, { bias: true, bn: false });
      }
      t.conv(mid, out, 1, size);
      inC = out;
    }
  });
  t.conv(inC, w.finalExpand, 1, size);
  t.conv(w.finalExpand, w.lastChannel, 1, 1, { bn: false });
  t.linear(w.lastChannel, o.numClasses);
  return { macs: t.macs, params: t.params };
}

/** MACs of an ofa-mbv3 subnet (OFA's ImageNet configuration unless `options` says otherwise). */
export function countMacs(arch: Arch, options: ResolvedOFAOptions = OFA_IMAGENET): number {
  return countOFACost(arch, options).macs;
}

/** Parameters of the static ofa-mbv3 subnet (BN affine included, kernel transforms not). */
export function countParams(arch: Arch, options: ResolvedOFAOptions = OFA_IMAGENET): number {
  return countOFACost(arch, options).params;
}
