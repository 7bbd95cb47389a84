import { describe, expect, it } from 'vitest';
import { adaptDevice, getSpace, initBackend, LatencyPredictor, latencySpaceOf, parseTable, RandomMutator, withCalibration, type AnyModule } from '../../index.js';
import { testTable } from '../helpers/made_up_table.js';

await initBackend('wasm');

const model = getSpace('nb201').create({}) as AnyModule;
const space = latencySpaceOf(model);
const keys = space.blockGroups(space.resolutions).flatMap((g) => g.blocks.map((b) => b.key));

/** nb201's blocks with made-up figures (what each costs timed alone). */
const table = testTable(space, space.resolutions, Object.fromEntries(keys.map((k, i) => [k, { ms: 0.02 + 0.005 * i, p90Ms: 0, runs: 1 }])));
const raw = new LatencyPredictor(table, space);
const archs = (n: number, seed: number) => {
  const m = new RandomMutator(model, { seed });
  return Array.from({ length: n }, () => m.reset());
};
/** What a block costs inside a whole model: each its own share of its figure alone (0.15x to 1.1x). */
const inGraph = Object.fromEntries(keys.map((k, i) => [k, table.entries[k].ms * (0.15 + ((i * 7) % 11) / 10)]));
const truth = new LatencyPredictor({ ...table, entries: Object.fromEntries(keys.map((k) => [k, { ...table.entries[k], ms: inGraph[k] }])) }, space);
/** Measured end to end: the in-graph costs plus a run's fixed cost, with +-1% of deterministic noise. */
const measure = (as: ReturnType<typeof archs>) => as.map((a, i) => (truth.blockSum(a) + 0.05) * (1 + 0.01 * Math.sin(i * 2.3)));

describe('per-block calibration', () => {
  const train = archs(90, 1);
  const held = archs(40, 2);
  const measuredHeld = measure(held);
  const relError = (p: LatencyPredictor) => Math.max(...held.map((a, i) => Math.abs(p.predict(a) / measuredHeld[i] - 1)));

  it('blocks whose end-to-end costs are not one line of their figures: each block fitted, held-out subnets predicted within 3% where the line misses by over 10%', () => {
    const fitted = withCalibration(table, space, train, measure(train), 1);
    const c = fitted.calibration!;
    expect(c.model).toBe('per-block');
    expect(c.fit!.cvError).toBeLessThan(0.8 * c.fit!.lineCvError);
    expect(relError(new LatencyPredictor(fitted, space))).toBeLessThan(0.03);
    const line = withCalibration(table, space, train.slice(0, 9), measure(train.slice(0, 9)), 1);
    expect(line.calibration!.model).not.toBe('per-block'); // too few timings to cross-validate
    expect(relError(new LatencyPredictor(line, space))).toBeGreaterThan(0.1);
    // The fitted costs are the in-graph ones, as far as subnets tell them apart: every stage runs
    // the same cell, so an operation's three stages (and the fixed blocks with the intercept) share one sum.
    for (const op of ['nor_conv_1x1', 'nor_conv_3x3', 'avg_pool_3x3']) {
      const total = (costs: Record<string, number>) => keys.filter((k) => k.includes(op)).reduce((s, k) => s + costs[k], 0);
      expect(Math.abs(total(c.blockMs!) / total(inGraph) - 1)).toBeLessThan(0.1);
    }
  });

  it('blocks that add up (one line of their figures): the line is kept', () => {
    const measured = train.map((a) => 0.9 * raw.blockSum(a) - 0.01 * raw.blockCount(a) + 0.05);
    const c = withCalibration(table, space, train, measured, 1).calibration!;
    expect(c.model).toBe('blocks');
    expect(c.slope).toBeCloseTo(0.9, 6);
    expect(c.blockMs).toBeUndefined();
  });

  it('a per-block table survives its file and adaptation to another device (its block costs kept, the scale refitted)', () => {
    const fitted = parseTable(JSON.parse(JSON.stringify(withCalibration(table, space, train, measure(train), 1))), 'table.json');
    const base = new LatencyPredictor(fitted, space);
    const timings = held.slice(0, 10).map((arch, i) => ({ arch, ms: 2 * measuredHeld[i] + 0.1 }));
    const { table: adapted } = adaptDevice(base, 'slow', timings, 'timings.json');
    expect(adapted.calibration!.blockMs).toEqual(fitted.calibration!.blockMs);
    const p = new LatencyPredictor(adapted, space);
    held.slice(10).forEach((a, i) => expect(p.predict(a) / (2 * measuredHeld[10 + i] + 0.1)).toBeCloseTo(1, 1));
    const broken = { ...fitted, calibration: { ...fitted.calibration!, blockMs: undefined } };
    expect(() => parseTable(JSON.parse(JSON.stringify(broken)), 'table.json')).toThrow(/table\.json.*blockMs/);
  });
});
