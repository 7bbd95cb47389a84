import { emitActivation, emitConv, emitLinear, emitMBConv, GraphBuilder, type EmitContext } from '../export/index.js';
import {
  archToOfa,
  blocksPerStageOf,
  makeDivisible,
  MBConvBlock,
  OFA_STAGES,
  ofaWidths,
  type Activation,
  type ResolvedOFAOptions,
} from '../networks/index.js';
import { BatchNorm2d, Conv2d, Linear, type Arch } from '../space/index.js';

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

/** A stand-alone ONNX model of one block (random weights: latency does not depend on them). */
export function blockOnnx(b: BlockSpec, opset = 17): Uint8Array {
  const g = new GraphBuilder(b.kind);
  const ctx: EmitContext = { g, opset };
  const x = g.input('input', [1, b.cin, b.size, b.size]);
  const modules: { dispose(): void }[] = [];
  const keep = <T extends { dispose(): void }>(m: T) => (modules.push(m), m);
  let y: string;
  let outDims: number[];
  if (b.kind === 'stem') {
    const conv = keep(new Conv2d(b.cin, b.cout, 3, { stride: b.stride }));
    y = emitActivation(ctx, emitConv(ctx, x, conv, keep(new BatchNorm2d(b.cout)), 'stem'), 'hswish');
    const s = convOut(b.size, 3, b.stride);
    outDims = [1, b.cout, s, s];
  } else if (b.kind === 'mbconv') {
    const block = keep(new MBConvBlock(b.cin, b.cout, { kernel: b.k, expand: b.e, stride: b.stride, se: b.se, act: b.act }));
    y = emitMBConv(ctx, x, block, 'block');
    const s = convOut(b.size, b.k, b.stride);
    outDims = [1, b.cout, s, s];
  } else {
    y = emitActivation(ctx, emitConv(ctx, x, keep(new Conv2d(b.cin, b.expand, 1)), keep(new BatchNorm2d(b.expand)), 'final_expand'), 'hswish');
    y = g.node('GlobalAveragePool', [y]);
    y = emitActivation(ctx, emitConv(ctx, y, keep(new Conv2d(b.expand, b.mix, 1)), undefined, 'feature_mix'), 'hswish');
    y = emitLinear(ctx, y, keep(new Linear(b.mix, b.classes)), 'classifier');
    outDims = [1, b.classes];
  }
  g.output(y, outDims);
  const bytes = g.encode({ opset });
  for (const m of modules) m.dispose();
  return bytes;
}
