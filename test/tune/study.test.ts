import { describe, expect, it } from 'vitest';
import { createStudy, GridSampler, RandomSampler, TPESampler, TrialPruned, type Sampler, type Trial } from '../../tune/index.js';

const quadratic = (t: Trial) => {
  const x = t.suggestFloat('x', -10, 10);
  const y = t.suggestInt('y', -5, 5);
  return (x - 2) ** 2 + (y + 1) ** 2;
};

async function bestOf(sampler: Sampler, nTrials: number, objective = quadratic): Promise<number> {
  const study = await createStudy({ sampler });
  await study.optimize(objective, { nTrials });
  return study.bestValue;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

describe('Study', () => {
  it('runs nTrials, keeps every one, and the best is the smallest value', async () => {
    const study = await createStudy({ sampler: new RandomSampler({ seed: 1 }) });
    await study.optimize(quadratic, { nTrials: 25 });
    expect(study.trials.map((t) => t.number)).toEqual([...Array(25).keys()]);
    expect(study.trials.every((t) => t.state === 'complete')).toBe(true);
    const values = study.trials.map((t) => t.values![0]);
    expect(study.bestValue).toBe(Math.min(...values));
    expect(study.bestParams).toEqual(study.trials[values.indexOf(Math.min(...values))].params);
  });

  it('the same seed gives the same trials (random and TPE)', async () => {
    for (const make of [() => new RandomSampler({ seed: 7 }), () => new TPESampler({ seed: 7 })]) {
      const a = await createStudy({ sampler: make() });
      const b = await createStudy({ sampler: make() });
      await a.optimize(quadratic, { nTrials: 30 });
      await b.optimize(quadratic, { nTrials: 30 });
      expect(a.trials.map((t) => t.params)).toEqual(b.trials.map((t) => t.params));
    }
  });

  it('TPE finds better points than random search with the same budget (10 seeds, 60 trials)', async () => {
    const tpe: number[] = [];
    const random: number[] = [];
    for (let seed = 0; seed < 10; seed++) {
      tpe.push(await bestOf(new TPESampler({ seed }), 60));
      random.push(await bestOf(new RandomSampler({ seed }), 60));
    }
    expect(median(tpe)).toBeLessThan(median(random) / 3);
    // Multivariate TPE too.
    const multi: number[] = [];
    for (let seed = 0; seed < 10; seed++) multi.push(await bestOf(new TPESampler({ seed, multivariate: true }), 60));
    expect(median(multi)).toBeLessThan(median(random) / 3);
  });

  it('ask and tell: a pruned trial keeps its last report, a wrong result fails the trial', async () => {
    const study = await createStudy({ direction: 'maximize', sampler: new RandomSampler({ seed: 2 }) });
    const t0 = await study.ask();
    t0.suggestFloat('lr', 1e-4, 1, { log: true });
    t0.report(0.5, 0);
    t0.report(0.6, 1);
    t0.report(0.9, 1);
    expect((await study.tell(t0, undefined, 'pruned')).values).toEqual([0.6]);
    const t1 = await study.ask();
    expect((await study.tell(t1, [1, 2])).state).toBe('fail');
    const t2 = await study.ask({ lr: { type: 'float', low: 0.1, high: 0.2, log: false, step: null } });
    expect(t2.params.lr).toBeGreaterThanOrEqual(0.1);
    await study.tell(t2, 0.7);
    expect(study.bestTrial.number).toBe(2);
    expect(study.trials.map((t) => t.state)).toEqual(['pruned', 'fail', 'complete']);
  });

  it('enqueued parameters are used first, then the sampler takes over', async () => {
    const study = await createStudy({ sampler: new TPESampler({ seed: 3 }) });
    await study.enqueueTrial({ x: 2, y: -1 });
    await study.enqueueTrial({ x: 2, y: -1 }, { skipIfExists: true });
    await study.optimize(quadratic, { nTrials: 3 });
    expect(study.trials[0].params).toEqual({ x: 2, y: -1 });
    expect(study.trials[0].values).toEqual([0]);
    expect(study.trials.length).toBe(3);
    expect(study.trials[1].params).not.toEqual({ x: 2, y: -1 });
  });

  it('categorical choices may grow between trials, and TPE samples the new choice', async () => {
    const study = await createStudy({ sampler: new TPESampler({ seed: 4, nStartupTrials: 5 }) });
    let choices = ['sgd', 'adam'];
    await study.optimize((t) => ({ sgd: 3, adam: 2, lion: 0 })[t.suggestCategorical('opt', choices)]!, { nTrials: 10 });
    choices = ['sgd', 'adam', 'lion'];
    await study.optimize((t) => ({ sgd: 3, adam: 2, lion: 0 })[t.suggestCategorical('opt', choices)]!, { nTrials: 30 });
    const late = study.trials.slice(20).map((t) => t.params.opt);
    expect(late.filter((c) => c === 'lion').length).toBeGreaterThan(5);
    expect(study.bestValue).toBe(0);
  });

  it('conditional parameters: grouped multivariate TPE models each branch with the trials that took it', async () => {
    const objective = (t: Trial) => {
      const kind = t.suggestCategorical('kind', ['a', 'b']);
      if (kind === 'a') return (t.suggestFloat('a_x', -5, 5) - 1) ** 2 + 1;
      return (t.suggestFloat('b_x', -5, 5) + 2) ** 2;
    };
    const bests: number[] = [];
    for (let seed = 0; seed < 5; seed++) bests.push(await bestOf(new TPESampler({ seed, multivariate: true, group: true }), 50, objective));
    expect(median(bests)).toBeLessThan(0.05);
  });

  it('several concurrent jobs with the constant liar: every trial numbered once, none lost', async () => {
    const study = await createStudy({ sampler: new TPESampler({ seed: 5, constantLiar: true, nStartupTrials: 4 }) });
    const seen: number[] = [];
    await study.optimize(
      async (t) => {
        seen.push(t.number);
        await new Promise((r) => setTimeout(r, 2));
        return quadratic(t);
      },
      { nTrials: 24, nJobs: 4 },
    );
    expect([...seen].sort((a, b) => a - b)).toEqual([...Array(24).keys()]);
    expect(study.trials.filter((t) => t.state === 'complete').length).toBe(24);
  });

  it('patience stops a study that has stopped improving; a pruned objective ends its trial as pruned', async () => {
    const study = await createStudy({ sampler: new RandomSampler({ seed: 6 }) });
    await study.optimize((t) => t.suggestInt('n', 0, 3) * 0 + t.number, { nTrials: 100, patience: 5 });
    // Trial 0 is best (values rise with the number), so trials 1-5 spend the patience.
    expect(study.trials.length).toBe(6);
    await study.optimize(() => {
      throw new TrialPruned();
    }, { nTrials: 2 });
    expect(study.trials.slice(-2).map((t) => t.state)).toEqual(['pruned', 'pruned']);
  });

  it('a throwing objective fails its trial and rethrows; with catch the study goes on', async () => {
    const study = await createStudy({ sampler: new RandomSampler({ seed: 8 }) });
    await expect(study.optimize(() => { throw new Error('boom'); }, { nTrials: 3 })).rejects.toThrow('boom');
    expect(study.trials.map((t) => [t.state, t.systemAttrs.failReason])).toEqual([['fail', 'boom']]);
    await study.optimize(() => { throw new Error('again'); }, { nTrials: 2, catch: true });
    expect(study.trials.length).toBe(3);
  });

  it('constraints: the best trial is feasible, and TPE steers toward the feasible region', async () => {
    const study = await createStudy({
      sampler: new TPESampler({ seed: 9 }),
      constraints: (t) => [1 - (t.params.x as number)],
    });
    await study.optimize((t) => (t.suggestFloat('x', -3, 3)) ** 2, { nTrials: 60 });
    expect(study.bestTrial.params.x as number).toBeGreaterThanOrEqual(1);
    expect(study.bestValue).toBeLessThan(1.1);
    const late = study.trials.slice(30).filter((t) => (t.constraints ?? [1])[0] <= 0).length;
    expect(late).toBeGreaterThan(15);
  });

  it('several objectives: bestTrials is the Pareto front of complete trials', async () => {
    const study = await createStudy({ directions: ['minimize', 'maximize'], sampler: new TPESampler({ seed: 10 }) });
    await study.optimize((t) => {
      const x = t.suggestFloat('x', 0, 1);
      return [x, Math.sqrt(x)];
    }, { nTrials: 20 });
    // Every point lies on one increasing curve, so every trial is on the front.
    expect(study.bestTrials.length).toBe(20);
    const s2 = await createStudy({ directions: ['minimize', 'minimize'], sampler: new RandomSampler({ seed: 1 }) });
    for (const v of [[1, 5], [2, 2], [3, 3], [5, 1]]) {
      const t = await s2.ask();
      await s2.tell(t, v);
    }
    expect(s2.bestTrials.map((t) => t.number)).toEqual([0, 1, 3]);
    expect(() => s2.bestTrial).toThrow('several objectives');
  });
});

describe('GridSampler', () => {
  it('visits every point once in a seeded order, then the study stops', async () => {
    const grid = { a: [1, 2, 3], b: ['x', 'y'] };
    const study = await createStudy({ sampler: new GridSampler(grid, { seed: 1 }) });
    await study.optimize((t) => t.suggestInt('a', 0, 5) + (t.suggestCategorical('b', ['x', 'y']) === 'y' ? 10 : 0), { nTrials: 50 });
    expect(study.trials.length).toBe(6);
    expect(new Set(study.trials.map((t) => JSON.stringify(t.params))).size).toBe(6);
    expect(study.bestValue).toBe(1);
    const again = await createStudy({ sampler: new GridSampler(grid, { seed: 1 }) });
    await again.optimize((t) => t.suggestInt('a', 0, 5) + (t.suggestCategorical('b', ['x', 'y']) === 'y' ? 10 : 0), { nTrials: 50 });
    expect(again.trials.map((t) => t.params)).toEqual(study.trials.map((t) => t.params));
    await expect(createStudy({ sampler: new GridSampler(grid) }).then((s) => s.optimize((t) => t.suggestFloat('c', 0, 1), { nTrials: 1 }))).rejects.toThrow("'c' is not in the grid");
  });
});
