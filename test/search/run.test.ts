import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type AccuracyEstimator, type Arch, DEFAULT_SESSION, initBackend, LOCAL_DEVICE, latencySpaceOf, searchSpaceOf, openPredictor, openSearchSupernet, profileDevice, runSearch } from '../../index.js';
import { searchFixture } from '../helpers/search_fixture.js';

await initBackend('wasm');

const { supernet, home } = searchFixture();
const sn = openSearchSupernet(supernet);
const space = latencySpaceOf(sn);
const table = join(home, 'quick.json');
await profileDevice({ device: LOCAL_DEVICE, space, settings: DEFAULT_SESSION, path: table, runs: 6, calibrationSeconds: 0, timing: { minPassMs: 0 }, force: true });
const predictor = await openPredictor({ device: 'board', space, settings: DEFAULT_SESSION, table });
const quick = { supernet, device: 'board', table, population: 20, generations: 10, predictorSamples: 10, finalists: 3 };
// The synthetic-accuracy searches neither use nor record known subnets (they would leak from one test into the next).
const isolated = { ...quick, useKnown: false };
const searchSpace = searchSpaceOf(sn);
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
      ...isolated,
      // The first finalists are the slowest subnets, all over budget when measured (and again when re-timed).
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
    // Every round that misses times its finalists twice; the last one fits at once.
    expect(measuredRounds).toHaveLength(2 * r.rounds.length - 1);
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
    const r = await runSearch({ ...isolated, accuracy: slowestFirst, constraints: { latencyMs: budget }, measure: async (archs) => archs.map((a) => predictor.predict(a) ** 4 / min ** 3) });
    expect(r.rounds.length).toBeGreaterThanOrEqual(2);
    expect(r.rounds[0].chosenMeasuredMs).toBeUndefined();
    const last = r.rounds.at(-1)!;
    expect(last.latencyMs!).toBeLessThanOrEqual(min + 1e-12);
    expect(r.chosen.predictedMs).toBeLessThanOrEqual(last.latencyMs! + 1e-12);
    expect(r.chosen.measuredMs).toBeLessThanOrEqual(budget * 0.97);
  }, 120_000);

  it('nothing runs within the budget: after the round at the cheapest subnet, one line with the rounds and the fastest measurement', async () => {
    const min = predictor.predict(smallest);
    const search = runSearch({ ...isolated, accuracy: slowestFirst, constraints: { latencyMs: 2 * min }, measure: async (archs) => archs.map((a) => 10 * predictor.predict(a)) });
    await expect(search).rejects.toThrow(/^--latency: no subnet found whose measured latency fits latency <= [\d.]+ ms after 2 rounds \(the fastest finalist measured [\d.]+ ms\); the budget is at the edge of what board reaches$/);
  }, 120_000);

  it('a disturbed first timing: finalists predicted within the budget but measured over it are timed again and keep the lower median', async () => {
    const [min, max] = [predictor.predict(smallest), predictor.predict(largest)];
    const budget = min + 0.5 * (max - min);
    const timed = new Map<string, number>();
    const r = await runSearch({
      ...isolated,
      accuracy: slowestFirst,
      constraints: { latencyMs: budget },
      // The first timing of every subnet is three times too slow, later ones are right.
      measure: async (archs) =>
        archs.map((a) => {
          const key = JSON.stringify(a.choices);
          const n = timed.get(key) ?? 0;
          timed.set(key, n + 1);
          return (n === 0 ? 3 : 0.9) * predictor.predict(a);
        }),
    });
    expect(r.rounds).toHaveLength(1);
    expect([...timed.values()].every((n) => n === 2)).toBe(true);
    expect(r.chosen.measuredMs).toBeCloseTo(0.9 * r.chosen.predictedMs, 9);
    for (const f of r.finalists) expect(f.fits).toBe(true);
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

describe('runSearch: finalists and known subnets', () => {
  const evaluatedPath = join(supernet, 'accuracy', 'evaluated.json');
  const [min, max] = [predictor.predict(smallest), predictor.predict(largest)];

  it('the answer is at least as accurate as every accuracy sample that fits: known subnets compete with the finalists of the search', async () => {
    const budget = min + 0.6 * (max - min);
    const r = await runSearch({ ...quick, constraints: { latencyMs: budget } });
    const samples: { choices: Arch['choices']; top1: number }[] = JSON.parse(readFileSync(join(supernet, 'accuracy', 'samples.json'), 'utf8')).samples;
    const fitting = samples.filter((s) => predictor.predict({ space: searchSpace.space, choices: s.choices }) <= budget);
    expect(fitting.length).toBeGreaterThan(0);
    expect(r.chosen.accuracy).toBeGreaterThanOrEqual(Math.max(...fitting.map((s) => s.top1)));
    const fromKnown = r.finalists.filter((f) => f.from === 'known');
    expect(fromKnown.length).toBeGreaterThan(0);
    expect(fromKnown.length).toBeLessThanOrEqual(quick.finalists);
    for (const f of fromKnown) expect(f.predictedMs).toBeLessThanOrEqual(budget);
    expect(new Set(r.finalists.map((f) => JSON.stringify(f.arch.choices))).size).toBe(r.finalists.length);
    expect(r.known).toBeGreaterThanOrEqual(samples.length);
  }, 120_000);

  it('finalists are recorded; a later search with a looser budget knows them and is never less accurate', async () => {
    rmSync(evaluatedPath, { force: true });
    const tight = await runSearch({ ...quick, seed: 1, constraints: { latencyMs: min + 0.3 * (max - min) } });
    const recorded = JSON.parse(readFileSync(evaluatedPath, 'utf8'));
    const searched = tight.finalists.filter((f) => f.from === 'search');
    expect(recorded.subnets.map((s: { top1: number }) => s.top1)).toEqual(searched.map((f) => f.accuracy));
    const loose = await runSearch({ ...quick, seed: 2, constraints: { latencyMs: min + 0.8 * (max - min) } });
    expect(loose.known).toBeGreaterThan(tight.known);
    expect(loose.chosen.accuracy).toBeGreaterThanOrEqual(tight.chosen.accuracy);
    const again = await runSearch({ ...quick, seed: 1, constraints: { latencyMs: min + 0.3 * (max - min) }, useKnown: false });
    expect(again.known).toBe(0);
    expect(again.finalists.every((f) => f.from === 'search')).toBe(true);
  }, 120_000);

  it('a corrupt evaluated.json is one line naming the file and the field', async () => {
    writeFileSync(evaluatedPath, JSON.stringify({ format: 'hbx-evaluated-subnets', supernetSha256: 'x', settings: { valImages: 1, recalibrationImages: 1, source: 's' }, subnets: [{ choices: {}, top1: 2 }] }));
    await expect(runSearch({ ...quick, constraints: { latencyMs: max } })).rejects.toThrow(/^\S+evaluated\.json: field 'subnets\.0\.top1': .*<=1$/);
    rmSync(evaluatedPath);
  }, 120_000);
});
