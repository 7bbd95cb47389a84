import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import {
  blockOnnx,
  decodeModel,
  DEFAULT_SESSION,
  emittedOps,
  exportOnnx,
  getSpace,
  initBackend,
  InputError,
  LatencyPredictor,
  latencySpaceOf,
  perOpLatency,
  profileDevice,
  RandomMutator,
  randomFeeds,
  registerSpace,
  spearman,
  validatePredictor,
  type LatencyTable,
} from '../../index.js';
import { TINY_USER_SPACE, TinyUserNet, TINY_DEFAULTS } from '../helpers/user_space.js';

await initBackend('wasm');

const model = new TinyUserNet(TINY_DEFAULTS);
const space = latencySpaceOf(model);
const archs = Array.from({ length: 12 }, (_, i) => new RandomMutator(model, { seed: 100 + i }).reset());

describe('a registered space without latency blocks', () => {
  it('is found by id, and a second space under the same id is refused', () => {
    expect(getSpace('tiny-user')).toBe(TINY_USER_SPACE);
    expect(() => registerSpace({ ...TINY_USER_SPACE })).toThrow(InputError);
    expect(() => registerSpace({ ...TINY_USER_SPACE })).toThrow("registerSpace: a space 'tiny-user' is already registered");
  });

  it('lists its distinct operators as blocks: every candidate of every layer, each a model that runs', async () => {
    const [group] = space.blockGroups([16]);
    expect(group.group).toBe('r16');
    const keys = group.blocks.map((b) => b.key);
    expect(new Set(keys).size).toBe(keys.length);
    // Stage 1 at 8 channels 16x16, stage 2 at 16 channels 8x8: both convs of every layer, the pool, the gate's three operators.
    for (const [c, s] of [[8, 16], [16, 8]]) {
      expect(keys).toContain(`Conv:k3:s1:g1:d1:bias:${c}x${s}x${s}->${c}`);
      expect(keys).toContain(`Conv:k5:s1:g1:d1:bias:${c}x${s}x${s}->${c}`);
      expect(keys.filter((k) => k.startsWith('AveragePool:') && k.endsWith(`:${c}x${s}x${s}`))).toHaveLength(1);
      expect(keys).toContain(`Mul:{}:${c}x${s}x${s},${c}x1x1`);
    }
    // Each block is its operator alone; the gate's Mul takes a constant for its [C, 1, 1] operand.
    for (const key of [`Mul:{}:16x8x8,16x1x1`, 'Conv:k3:s2:g1:d1:bias:8x16x16->16', 'Linear:bias:16x1x1->10']) {
      const onnx = blockOnnx(group.blocks.find((b) => b.key === key)!.build);
      expect(decodeModel(onnx).graph!.node!.map((n) => n.opType)).toEqual(key.startsWith('Linear') ? ['Flatten', 'Gemm'] : [key.split(':')[0]]);
      const session = await ort.InferenceSession.create(onnx);
      const out = await session.run(randomFeeds(session));
      expect(Object.values(out)[0].dims).toEqual(key.startsWith('Mul') ? [1, 16, 8, 8] : key.startsWith('Conv') ? [1, 16, 8, 8] : [1, 10]);
    }
  });

  it('sums an arch\'s operators: one entry per operator its exported graph runs', () => {
    const keys = space.blockGroups([16]).flatMap((g) => g.blocks.map((b) => b.key));
    const sum = space.compile(Object.fromEntries(keys.map((k) => [k, { ms: 1 }])) as LatencyTable['entries'], [16], 'dev');
    for (const arch of archs.slice(0, 4)) {
      const counted = { blocks: 0 };
      const subnet = space.subnet(space.supernet([16]), arch);
      const nodes = decodeModel(exportOnnx(subnet)).graph!.node!.filter((n) => n.opType !== 'Flatten');
      expect(sum(arch, counted)).toBe(nodes.length);
      expect(counted.blocks).toBe(nodes.length);
      subnet.dispose();
    }
  });

  it('estimates an operator the sample missed from entries of its type, per MAC', () => {
    // One sampled arch (the first draw of seed 0): operators of other archs are missing from its list.
    const narrow = perOpLatency(TINY_USER_SPACE, model, 1);
    const listed = narrow.blockGroups([16]).flatMap((g) => g.blocks.map((b) => b.key));
    const ops = new Map([new RandomMutator(model, { seed: 0 }).reset(), ...archs].flatMap(opsOf).map((op) => [op.key, op]));
    // Made-up costs: 2 ns per MAC for convs, 1 us per output element otherwise.
    const cost = (key: string) => {
      const op = ops.get(key)!;
      return op.op === 'Conv' ? 2e-6 * op.macs : 1e-3 * op.output.reduce((a, b) => a * b, 1);
    };
    const sum = narrow.compile(cost, [16], 'dev');
    const unlisted = archs.find((a) => opsOf(a).some((op) => op.op === 'Conv' && !listed.includes(op.key)));
    expect(unlisted).toBeDefined();
    expect(sum(unlisted!)).toBeCloseTo(opsOf(unlisted!).reduce((n, op) => n + cost(op.key), 0), 9);
  });

  it('profiles per operator and predicts measured subnets in rank order', async () => {
    // Wider and larger than the other tests' (0.1-1 ms a subnet): the suite's other files run
    // beside this one, and sub-0.1 ms timings do not rank reliably under that load.
    const big = latencySpaceOf(new TinyUserNet({ ...TINY_DEFAULTS, channels: 16, resolution: 32 }));
    const path = join(mkdtempSync(join(tmpdir(), 'hbx-per-op-')), 'table.json');
    const table = await profileDevice({ device: 'dev', space: big, settings: DEFAULT_SESSION, path, runs: 20, calibrationSamples: 16, calibrationSeconds: 0, timing: { minPassMs: 0 }, force: true });
    expect(Object.keys(table.entries).length).toBe(big.blockGroups([32])[0].blocks.length);
    const predictor = new LatencyPredictor(table, big);
    const report = await validatePredictor(predictor, big, { samples: 16, seed: 7, settings: DEFAULT_SESSION });
    const predicted = report.rows.map((r) => r.predictedMs);
    const measured = report.rows.map((r) => r.measuredMs);
    // Subnets from 4 convs 5x5 to 4 pools: a 3x-plus span of measured ms (5.8-7.6x seen), ranked by the operator sums.
    expect(Math.max(...measured) / Math.min(...measured)).toBeGreaterThan(3);
    expect(spearman(predicted, measured)).toBeGreaterThan(0.9);
  }, 120_000);
});

function opsOf(arch: ReturnType<RandomMutator['reset']>) {
  new RandomMutator(model).sampleByMask(arch);
  return emittedOps(model, 1, 16);
}
