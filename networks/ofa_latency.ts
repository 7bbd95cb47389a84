import { InputError } from '../tensor/index.js';
import { BatchNorm2d, Conv2d, Linear, type Arch } from '../space/index.js';
import type { BlockModel, SpaceLatency } from './definition.js';
import type { GraphEmitter } from './emit.js';
import { makeDivisible, type Activation } from './layers.js';
import { MBConvBlock } from './mbconv.js';
import { archToOfa } from './ofa_arch.js';
import { blocksPerStage as blocksPerStageOf, OFA_STAGES, ofaWidths, type ResolvedOFAOptions } from './ofa_mbv3.js';

/** A building block as it runs inside a subnet: everything its latency depends on. */
export type BlockSpec =
  | { kind: 'stem'; size: number; cin: number; cout: number; stride: number }
  | { kind: 'mbconv'; size: number; cin: number; cout: number; k: number; e: number; mid: number; stride: number; se: boolean; act: Activation }
  | { kind: 'head'; size: number; cin: number; expand: number; mix: number; classes: number };

export function blockKey(b: BlockSpec): string {
  switch (b.kind) {
    case 'stem':
      return `stem:in${b.size}x${b.size}x${b.cin}:out${b.cout}:k3:s${b.stride}:hswish`;
    case 'mbconv':
      return `mbconv:in${b.size}x${b.size}x${b.cin}:out${b.cout}:k${b.k}:e${b.e}:mid${b.mid}:s${b.stride}:se${b.se ? 1 : 0}:${b.act}`;
    case 'head':
      return `head:in${b.size}x${b.size}x${b.cin}:expand${b.expand}:mix${b.mix}:classes${b.classes}`;
  }
}

const convOut = (size: number, k: number, stride: number) => Math.floor((size + 2 * Math.floor(k / 2) - k) / stride) + 1;

/** The blocks an ofa-mbv3 arch runs, in order. */
export function ofaArchBlocks(arch: Arch, o: ResolvedOFAOptions): BlockSpec[] {
  const a = archToOfa(arch, o);
  return ofaBlocks(o, a.r, (s, i) => ({ k: a.ks[s * blocksPerStageOf(o) + i], e: a.e[s * blocksPerStageOf(o) + i] }), a.d);
}

/**
 * The blocks of a subnet at resolution r: stem, first block, then depths[s] blocks of each
 * stage with the (k, e) `choice` gives, then the head.
 */
export function ofaBlocks(o: ResolvedOFAOptions, r: number, choice: (stage: number, i: number) => { k: number; e: number }, depths: number[]): BlockSpec[] {
  const w = ofaWidths(o.widthMult);
  const out: BlockSpec[] = [{ kind: 'stem', size: r, cin: o.inputChannels, cout: w.stem, stride: o.stemStride }];
  let size = convOut(r, 3, o.stemStride);
  out.push({ kind: 'mbconv', size, cin: w.stem, cout: w.firstBlock, k: 3, e: 1, mid: w.stem, stride: 1, se: false, act: 'relu' });
  let cin = w.firstBlock;
  OFA_STAGES.forEach((stage, s) => {
    for (let i = 0; i < depths[s]; i++) {
      const { k, e } = choice(s, i);
      const stride = i === 0 ? stage.stride : 1;
      const mid = makeDivisible(Math.round(cin * e));
      out.push({ kind: 'mbconv', size, cin, cout: w.stages[s], k, e, mid, stride, se: stage.se, act: stage.act });
      size = convOut(size, k, stride);
      cin = w.stages[s];
    }
  });
  out.push({ kind: 'head', size, cin, expand: w.finalExpand, mix: w.lastChannel, classes: o.numClasses });
  return out;
}

/** Every distinct block the space can contain at the given resolutions. */
export function ofaSpaceBlocks(o: ResolvedOFAOptions, resolutions: number[]): BlockSpec[] {
  const seen = new Map<string, BlockSpec>();
  const add = (b: BlockSpec) => seen.set(blockKey(b), b);
  for (const r of resolutions) {
    for (const k of o.kernelSizes)
      for (const e of o.expandRatios) {
        // Full depth with one (k, e) everywhere covers every (stage, position, k, e): the
        // first block of a stage and the later ones (all alike) at each stage's input size.
        for (const b of ofaBlocks(o, r, () => ({ k, e }), OFA_STAGES.map(() => Math.max(...o.depths)))) add(b);
      }
  }
  return [...seen.values()];
}

/** A block as a stand-alone model (random weights: latency does not depend on them). */
export function ofaBlockModel(b: BlockSpec): BlockModel {
  const input = [1, b.cin, b.size, b.size];
  if (b.kind === 'stem') {
    const conv = new Conv2d(b.cin, b.cout, 3, { stride: b.stride });
    const bn = new BatchNorm2d(b.cout);
    const s = convOut(b.size, 3, b.stride);
    return {
      module: { emit: (e: GraphEmitter, x: string) => e.activation(e.conv(x, conv, bn, 'stem'), 'hswish') },
      input,
      output: [1, b.cout, s, s],
      dispose: () => (conv.dispose(), bn.dispose()),
    };
  }
  if (b.kind === 'mbconv') {
    const block = new MBConvBlock(b.cin, b.cout, { kernel: b.k, expand: b.e, stride: b.stride, se: b.se, act: b.act });
    const s = convOut(b.size, b.k, b.stride);
    return { module: { emit: (e: GraphEmitter, x: string) => block.emit(e, x, 'block') }, input, output: [1, b.cout, s, s], dispose: () => block.dispose() };
  }
  const expand = new Conv2d(b.cin, b.expand, 1);
  const expandBn = new BatchNorm2d(b.expand);
  const mix = new Conv2d(b.expand, b.mix, 1);
  const fc = new Linear(b.mix, b.classes);
  const emit = (e: GraphEmitter, x: string) => {
    const y = e.node('GlobalAveragePool', [e.activation(e.conv(x, expand, expandBn, 'final_expand'), 'hswish')]);
    return e.linear(e.activation(e.conv(y, mix, undefined, 'feature_mix'), 'hswish'), fc, 'classifier');
  };
  return { module: { emit }, input, output: [1, b.classes], dispose: () => [expand, expandBn, mix, fc].forEach((m) => m.dispose()) };
}

/** The latency view of an ofa-mbv3 configuration. */
export function ofaLatency(o: ResolvedOFAOptions): SpaceLatency {
  return {
    blockGroups: (rs) => {
      // Resolutions that round to the same feature-map sizes share their later blocks: each
      // distinct block is listed once, in the group of the first resolution that has it.
      const seen = new Set<string>();
      return rs.map((r) => ({
        group: `r${r}`,
        blocks: ofaSpaceBlocks(o, [r])
          .map((spec) => ({ key: blockKey(spec), spec }))
          .filter((b) => !seen.has(b.key) && seen.add(b.key))
          .map(({ key, spec }) => ({ key, build: () => ofaBlockModel(spec) })),
      }));
    },
    compile: (lookup, rs, table) => compileOfa(o, lookup, rs, table),
  };
}

/**
 * Precomputes, per resolution, the entry of every (stage, first-or-later, k, e) block plus
 * the fixed ones (stem, first block, head), so a prediction is a few dozen array reads.
 */
function compileOfa(o: ResolvedOFAOptions, lookupKey: (key: string) => number, rs: number[], table: string): (arch: Arch, counted?: { blocks: number }) => number {
  const perStage = blocksPerStageOf(o);
  const full = OFA_STAGES.map(() => perStage);
  const lookup = (spec: BlockSpec) => lookupKey(blockKey(spec));
  const { kernelSizes, expandRatios } = o;
  const nE = expandRatios.length;
  // blocks[stage][first ? 0 : 1][kIndex * nE + eIndex]: array reads, no keys built per prediction.
  const byResolution = new Map<number, { fixed: number; blocks: Float64Array[][] }>();
  for (const r of rs) {
    const blocks = OFA_STAGES.map(() => [new Float64Array(kernelSizes.length * nE), new Float64Array(kernelSizes.length * nE)]);
    // Order: stem, first block, perStage blocks of each stage, head. Stem, first block and
    // head do not depend on (k, e).
    const any = ofaBlocks(o, r, () => ({ k: o.kernelSizes[0], e: o.expandRatios[0] }), full);
    const fixed = lookup(any[0]) + lookup(any[1]) + lookup(any[any.length - 1]);
    kernelSizes.forEach((k, ki) =>
      expandRatios.forEach((e, ei) => {
        const specs = ofaBlocks(o, r, () => ({ k, e }), full);
        for (let j = 2; j < specs.length - 1; j++) {
          const stage = Math.floor((j - 2) / perStage);
          const first = (j - 2) % perStage === 0;
          blocks[stage][first ? 0 : 1][ki * nE + ei] = lookup(specs[j]);
        }
      }),
    );
    byResolution.set(r, { fixed, blocks });
  }
  const ksKeys = Array.from({ length: OFA_STAGES.length * perStage }, (_, i) => `ks_block${i + 1}`);
  const erKeys = ksKeys.map((_, i) => `er_block${i + 1}`);
  const depthKeys = OFA_STAGES.map((_, s) => `depth${s + 1}`);
  return (arch, counted) => {
    const c = arch.choices;
    const r = c.resolution as number;
    const at = byResolution.get(r);
    if (!at) throw new InputError(`resolution ${r} is not in the ${table} (profiled: ${rs.join(', ')})`);
    let sum = at.fixed;
    let blocks = 3; // stem, first block, head
    for (let s = 0; s < depthKeys.length; s++) {
      const d = c[depthKeys[s]] as number;
      blocks += d;
      for (let i = 0; i < d; i++) {
        const idx = s * perStage + i;
        const ki = kernelSizes.indexOf(c[ksKeys[idx]] as number);
        const ei = expandRatios.indexOf(c[erKeys[idx]] as number);
        if (ki < 0 || ei < 0) throw new InputError(`arch: block ${idx + 1} (k ${c[ksKeys[idx]]}, e ${c[erKeys[idx]]}) is not in the ${table}`);
        sum += at.blocks[s][i === 0 ? 0 : 1][ki * nE + ei];
      }
    }
    if (counted) counted.blocks = blocks;
    return sum;
  };
}
