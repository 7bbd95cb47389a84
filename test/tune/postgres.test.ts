import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadStudy } from '../../tune/index.js';
import { runChild } from '../helpers/child.js';
import { postgresBin, startPostgres, type PostgresServer } from '../helpers/postgres.js';

const DIST_TUNE = resolve('dist/tune/index.js');
const available = postgresBin() != null;
let server: PostgresServer;

beforeAll(async () => {
  if (available) server = await startPostgres();
}, 60_000);

afterAll(async () => {
  await server?.stop();
});

/** A worker process: `trials` trials against the shared study; prints the numbers it ran. */
function worker(url: string, seed: number, trials: number) {
  const code = `
    const { createStudy, TPESampler } = await import(${JSON.stringify(DIST_TUNE)});
    const study = await createStudy({ studyName: 'shared', storage: ${JSON.stringify(url)}, loadIfExists: true, sampler: new TPESampler({ seed: ${seed}, constantLiar: true, nStartupTrials: 4 }) });
    const ran = [];
    await study.optimize(async (t) => {
      ran.push(t.number);
      const x = t.suggestFloat('x', -2, 2);
      t.report(x * x + 1, 0);
      await new Promise((r) => setTimeout(r, 5));
      return x * x;
    }, { nTrials: ${trials} });
    await study.storage.close();
    console.log(JSON.stringify(ran));`;
  return runChild('node', ['--input-type=module', '-e', code]);
}

describe.runIf(available || process.env.CI === 'true')('PostgreSQL storage (a real server on a loopback port)', () => {
  it('four worker processes share one study: every trial run once, none lost, numbers 0..n-1', async () => {
    const results = await Promise.all([1, 2, 3, 4].map((seed) => worker(server.url, seed, 8)));
    for (const r of results) expect(r.status, r.stderr).toBe(0);
    const ran = results.flatMap((r) => JSON.parse(r.stdout.trim().split('\n').at(-1)!) as number[]);
    expect(ran.sort((a, b) => a - b)).toEqual([...Array(32).keys()]);
    const study = await loadStudy({ studyName: 'shared', storage: server.url });
    expect(study.trials.length).toBe(32);
    expect(study.trials.every((t) => t.state === 'complete' && t.intermediate.get(0)![0] === t.values![0] + 1)).toBe(true);
    expect(new Set(study.trials.map((t) => t.worker!.pid)).size).toBe(4);
    expect(study.bestValue).toBe(Math.min(...study.trials.map((t) => t.values![0])));
    await study.storage.close();
  }, 120_000);
});
