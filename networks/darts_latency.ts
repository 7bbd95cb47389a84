import { BatchNorm2d, Conv2d, type Arch } from '../space/index.js';
import { InputError } from '../tensor/index.js';
import type { BlockModel, SpaceLatency } from './definition.js';
import { blockModelOf, poolClassifierBlock } from './blocks.js';
import { DARTS_NODES, DARTS_OPS, dartsCells, DilConv, edgeKey, FactorizedReduce, PoolBN, SepConv, STEM_MULTIPLIER, switchKey, type DartsOp, type ResolvedDartsOptions } from './darts.js';
import { ReLUConvBN } from './nb201.js';

const key = {
  stem: (o: ResolvedDartsOptions) => `darts:stem:in${o.resolution}x${o.resolution}x${o.inputChannels}:out${STEM_MULTIPLIER * o.channels}`,
  reluConvBn: (s: number, cin: number, c: number) => `darts:relu_conv_bn:in${s}x${s}x${cin}:out${c}`,
  reduce: (s: number, cin: number, c: number) => `darts:factorized_reduce:in${s}x${s}x${cin}:out${c}`,
  op: (op: DartsOp, c: number, s: number, stride: number) => (op === 'skip_connect' ? key.reduce(s, c, c) : `darts:${op}:c${c}:s${s}:st${stride}`),
  add: (c: number, s: number) => `darts:add:c${c}:s${s}`,
  concat: (c: number, s: number) => `darts:concat:c${c}:s${s}`,
  head: (s: number, cin: number, classes: number) => `darts:head:in${s}x${s}x${cin}:classes${classes}`,
};

/** Operations that run something (none adds nothing; skip_connect at stride 1 is the input itself). */
const runs = (op: DartsOp, stride: number) => op !== 'none' && !(op === 'skip_connect' && stride === 1);

function opModel(op: DartsOp, c: number, s: number, stride: number): BlockModel {
  const out = Math.ceil(s / stride);
  const m =
    op === 'max_pool_3x3' || op === 'avg_pool_3x3'
      ? new PoolBN(op === 'max_pool_3x3' ? 'max' : 'avg', c, stride)
      : op === 'sep_conv_3x3' || op === 'sep_conv_5x5'
        ? new SepConv(c, op === 'sep_conv_3x3' ? 3 : 5, stride)
        : new DilConv(c, op === 'dil_conv_3x3' ? 3 : 5, stride, 2);
  return blockModelOf({ emit: (e, x) => m.emit(e, x, 'op'), dispose: () => m.dispose() }, [1, c, s, s], [1, c, out, out]);
}

/** Every distinct block the space's subnets run: stem, preprocessing, each operation at each cell's shape, Add, Concat, head. */
function dartsBlocks(o: ResolvedDartsOptions): { key: string; build: () => BlockModel }[] {
  const { cells, finalSize, finalChannels } = dartsCells(o);
  const blocks = new Map<string, () => BlockModel>();
  const stem = STEM_MULTIPLIER * o.channels;
  blocks.set(key.stem(o), () => {
    const conv = new Conv2d(o.inputChannels, stem, 3);
    const bn = new BatchNorm2d(stem);
    return blockModelOf({ emit: (e, x) => e.conv(x, conv, bn, 'stem'), dispose: () => (conv.dispose(), bn.dispose()) }, [1, o.inputChannels, o.resolution, o.resolution], [1, stem, o.resolution, o.resolution]);
  });
  const reluConvBn = (s: number, cin: number, c: number) =>
    blocks.set(key.reluConvBn(s, cin, c), () => {
      const m = new ReLUConvBN(cin, c, 1);
      return blockModelOf({ emit: (e, x) => m.emit(e, x, 'preprocess'), dispose: () => m.dispose() }, [1, cin, s, s], [1, c, s, s]);
    });
  const reduce = (s: number, cin: number, c: number) =>
    blocks.set(key.reduce(s, cin, c), () => {
      const m = new FactorizedReduce(cin, c);
      return blockModelOf({ emit: (e, x) => m.emit(e, x, 'reduce'), dispose: () => m.dispose() }, [1, cin, s, s], [1, c, s / 2, s / 2]);
    });
  for (const cell of cells) {
    if (cell.prevPrevSize !== cell.size) reduce(cell.prevPrevSize, cell.prevPrev, cell.c);
    else reluConvBn(cell.size, cell.prevPrev, cell.c);
    reluConvBn(cell.size, cell.prev, cell.c);
    const out = cell.type === 'reduce' ? cell.size / 2 : cell.size;
    for (const stride of cell.type === 'reduce' ? [1, 2] : [1]) {
      const inSize = stride === 2 ? cell.size : out;
      for (const op of DARTS_OPS) {
        if (!runs(op, stride)) continue;
        if (op === 'skip_connect') reduce(inSize, cell.c, cell.c);
        else blocks.set(key.op(op, cell.c, inSize, stride), () => opModel(op, cell.c, inSize, stride));
      }
    }
    blocks.set(key.add(cell.c, out), () => blockModelOf({ emit: (e, x) => e.node('Add', [x, x]) }, [1, cell.c, out, out], [1, cell.c, out, out]));
    blocks.set(key.concat(cell.c, out), () => blockModelOf({ emit: (e, x) => e.node('Concat', [x, x, x, x], { axis: 1 }) }, [1, cell.c, out, out], [1, DARTS_NODES * cell.c, out, out]));
  }
  blocks.set(key.head(finalSize, finalChannels, o.numClasses), () => poolClassifierBlock(finalChannels, finalSize, o.numClasses));
  return [...blocks].map(([k, build]) => ({ key: k, build }));
}

/**
 * DARTS' latency as a sum of operations (as nb201's): per cell its preprocessing, each
 * operation its switches take (on reduction edges, at stride 2), an Add per node summing two
 * (a node fed only by none: one Sub, timed as an Add) and the Concat; the stem and the head.
 */
export function dartsLatency(o: ResolvedDartsOptions): SpaceLatency {
  const { cells, finalSize, finalChannels } = dartsCells(o);
  return {
    blockGroups: () => [{ group: `r${o.resolution}`, blocks: dartsBlocks(o) }],
    compile: (lookup) => {
      const ms = new Map<string, number>();
      const cached = (k: string) => ms.get(k) ?? (ms.set(k, lookup(k)), ms.get(k)!);
      const fixed = lookup(key.stem(o)) + lookup(key.head(finalSize, finalChannels, o.numClasses));
      return (arch: Arch, counted) => {
        let sum = fixed;
        let blocks = 2;
        for (const cell of cells) {
          const out = cell.type === 'reduce' ? cell.size / 2 : cell.size;
          sum += cached(cell.prevPrevSize !== cell.size ? key.reduce(cell.prevPrevSize, cell.prevPrev, cell.c) : key.reluConvBn(cell.size, cell.prevPrev, cell.c));
          sum += cached(key.reluConvBn(cell.size, cell.prev, cell.c)) + cached(key.concat(cell.c, out));
          blocks += 3;
          for (let node = 2; node < 2 + DARTS_NODES; node++) {
            const inputs = arch.choices[switchKey(cell.type, node)];
            if (!Array.isArray(inputs)) throw new InputError(`arch: field 'choices.${switchKey(cell.type, node)}': expected two input indices`);
            let terms = 0;
            for (const input of inputs as number[]) {
              const op = arch.choices[edgeKey(cell.type, node, input)] as DartsOp;
              const stride = cell.type === 'reduce' && input < 2 ? 2 : 1;
              if (op !== 'none') terms++;
              if (!runs(op, stride)) continue;
              sum += cached(key.op(op, cell.c, stride === 2 ? cell.size : out, stride));
              blocks++;
            }
            const adds = Math.max(terms - 1, terms === 0 ? 1 : 0);
            sum += adds * cached(key.add(cell.c, out));
            blocks += adds;
          }
        }
        if (counted) counted.blocks = blocks;
        return sum;
      };
    },
  };
}
