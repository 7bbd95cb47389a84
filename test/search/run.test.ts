import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type AccuracyEstimator, type Arch, DEFAULT_SESSION, initBackend, LOCAL_DEVICE, latencySpaceOf, ofaSearchSpace, openPredictor, openSearchSupernet, profileDevice, runSearch } from '../../index.js';
import { searchFixture } from '../helpers/search_fixture.js';

await initBackend('wasm');

const { supernet, home } = searchFixture();
const sn = openSearchSupernet(supernet);
const space = latencySpaceOf(sn);
const table = join(home, 'quick.json');
await profileDevice({ device: LOCAL_DEVICE, space, settings: DEFAULT_SESSION, path: table, runs: 5 });
const predictor = await openPredictor({ device: 'board', space, settings: DEFAULT_SESSION, table });
const quick = { supernet, device: 'board', table, population: 20, generations: 10, predictorSamples: 10, finalists: 3 };
const searchSpace = ofaSearchSpace(sn);
const smallest = searchSpace.toArch(searchSpace.smallest());
const largest = searchSpace.toArch(searchSpace.largest());
// Slower is "more accurate": finalists are the slowest subnets that fit by prediction.
const slowestFirst: AccuracyEstimator = { name: 'latency as accuracy', estimate: (gs) => gs.map((g) => predictor.predict(searchSpace.toArch(g))) };

describe('runSearch: a budget is judged by measurement where there is one', () => {
  it('a device twice as slow as its table says: the first finalists miss, the search tightens and fits when measured', async () => {
    const min = predictor.predict(smallest);
    // Every subnet fits the budget by prediction; measured, only those predicted under 1.21 x min do.
    const budget = 2.5 * min;
    const measuredRounds: number[][] = [];
    const messages: string[] = [];
    const r = await runSearch({
      ...quick,
      // The first finalists are the slowest subnets, all over budget when measured.
      accuracy: slowestFirst,
      constraints: { latencyMs: budget },
      measure: async (archs) => {
        const ms = archs.map((a) => 2 * predictor.predict(a));
        measuredRounds.push(ms);
        return ms;
      },
      onMessage: (m) => messages.push(m),
    });
    expect(measuredRounds.length).toBeGreaterThanOrEqual(2);
    expect(Math.min(...measuredRounds[0])).toBeGreaterThan(budget * 0.97);
    expect(messages[0]).toMatch(/no finalist ran within .* ms when measured; searching again under .* ms predicted/);
    expect(r.rounds).toHaveLength(measuredRounds.length);
    expect(r.rounds[1].latencyMs!).toBeLessThanOrEqual((budget / 2) * 0.97 + 1e-12);
    expect(r.calls.candidates).toBe(r.rounds.reduce((n, round) => n + round.calls.candidates, 0));
    expect(r.rounds.every((round) => round.calls.candidates > 0)).toBe(true);
    expect(r.chosen.measuredMs).toBeLessThanOrEqual(budget * 0.97);
    expect(r.chosen.measuredMs).toBeCloseTo(2 * r.chosen.predictedMs, 9);
    expect(r.chosen.fits).toBe(true);
  }, 120_000);

  it('a budget only the cheapest subnet meets when measured: the last round searches at the cheapest predicted latency', async () => {
    const min = predictor.predict(smallest);
    const budget = 1.25 * min;
    // Measured/predicted grows with size: 1 for the smallest, about 2 for a subnet predicted at the budget.
    const r = await runSearch({ ...quick, accuracy: slowestFirst, constraints: { latencyMs: budget }, measure: async (archs) => archs.map((a) => predictor.predict(a) ** 4 / min ** 3) });
    expect(r.rounds.length).toBeGreaterThanOrEqual(2);
    expect(r.rounds[0].chosenMeasuredMs).toBeUndefined();
    const last = r.rounds.at(-1)!;
    expect(last.latencyMs!).toBeLessThanOrEqual(min + 1e-12);
    expect(r.chosen.predictedMs).toBeLessThanOrEqual(last.latencyMs! + 1e-12);
    expect(r.chosen.measuredMs).toBeLessThanOrEqual(budget * 0.97);
  }, 120_000);

  it('nothing runs within the budget: after the round at the cheapest subnet, one line with the rounds and the fastest measurement', async () => {
    const min = predictor.predict(smallest);
    const search = runSearch({ ...quick, accuracy: slowestFirst, constraints: { latencyMs: 2 * min }, measure: async (archs) => archs.map((a) => 10 * predictor.predict(a)) });
    await expect(search).rejects.toThrow(/^--latency: no subnet found whose measured latency fits latency <= [\d.]+ ms after 2 rounds \(the fastest finalist measured [\d.]+ ms\); the budget is at the edge of what board reaches$/);
  }, 120_000);

  it('without a measurement (another device), the predicted latency is what must fit', async () => {
    const [min, max] = [predictor.predict(smallest), predictor.predict(largest)];
    const budget = min + 0.5 * (max - min);
    const r = await runSearch({ ...quick, constraints: { latencyMs: budget } });
    expect(r.rounds).toHaveLength(1);
    expect(r.chosen.measuredMs).toBeUndefined();
    expect(r.chosen.predictedMs).toBeLessThanOrEqual(budget);
    for (const f of r.finalists) expect(f.fits).toBe(f.predictedMs <= budget);
  }, 120_000);

});

describe('runSearch: finalists', () => {
  it('the answer is at least as accurate as every accuracy sample that fits: samples compete with the finalists of the search', async () => {
    const [min, max] = [predictor.predict(smallest), predictor.predict(largest)];
    const budget = min + 0.6 * (max - min);
    const r = await runSearch({ ...quick, constraints: { latencyMs: budget } });
    const samples: { choices: Arch['choices']; top1: number }[] = JSON.parse(readFileSync(join(supernet, 'accuracy', 'samples.json'), 'utf8')).samples;
    const fitting = samples.filter((s) => predictor.predict({ space: searchSpace.space, choices: s.choices }) <= budget);
    expect(fitting.length).toBeGreaterThan(0);
    expect(r.chosen.accuracy).toBeGreaterThanOrEqual(Math.max(...fitting.map((s) => s.top1)));
    const fromSamples = r.finalists.filter((f) => f.from === 'sample');
    expect(fromSamples.length).toBeGreaterThan(0);
    expect(fromSamples.length).toBeLessThanOrEqual(quick.finalists);
    for (const f of fromSamples) expect(f.predictedMs).toBeLessThanOrEqual(budget);
    expect(new Set(r.finalists.map((f) => JSON.stringify(f.arch.choices))).size).toBe(r.finalists.length);
  }, 120_000);
});
