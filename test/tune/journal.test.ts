import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createStudy, JournalFileBackend, loadStudy, RandomSampler, Storage } from '../../tune/index.js';
import { runChild } from '../helpers/child.js';

const DIST_TUNE = resolve('dist/tune/index.js');

/** A worker process on a journal: `trials` trials of a slow objective; `hangAt` never finishes that trial number. */
function worker(journal: string, seed: number, trials: number, hangAt = -1) {
  const code = `
    const { createStudy, RandomSampler } = await import(${JSON.stringify(DIST_TUNE)});
    const study = await createStudy({ studyName: 'shared', storage: ${JSON.stringify(journal)}, loadIfExists: true, sampler: new RandomSampler({ seed: ${seed} }) });
    await study.optimize(async (t) => {
      const x = t.suggestFloat('x', 0, 1);
      t.report(x, 0);
      if (t.number === ${hangAt}) { console.log('hanging ' + t.number); await new Promise(() => setInterval(() => {}, 1000)); }
      await new Promise((r) => setTimeout(r, 5));
      return x;
    }, { nTrials: ${trials} });`;
  return (onStart?: Parameters<typeof runChild>[3]) => runChild('node', ['--input-type=module', '-e', code], {}, onStart);
}

const temp = () => mkdtempSync(join(tmpdir(), 'hbx-journal-'));

describe('journal file storage', () => {
  it('a reopened journal replays every trial, its params, reports and states', async () => {
    const path = join(temp(), 'study.jsonl');
    const a = await createStudy({ studyName: 'one', storage: path, sampler: new RandomSampler({ seed: 1 }) });
    await a.optimize((t) => {
      const x = t.suggestFloat('x', -1, 1);
      t.report(x * 2, 3);
      t.setUserAttr('note', { x });
      return x * x;
    }, { nTrials: 6 });
    await a.storage.close();
    const b = await loadStudy({ studyName: 'one', storage: path });
    expect(b.directions).toEqual(['minimize']);
    expect(b.trials.map((t) => [t.number, t.state, t.params, t.values, [...t.intermediate], t.userAttrs])).toEqual(
      a.trials.map((t) => [t.number, t.state, t.params, t.values, [...t.intermediate], t.userAttrs]),
    );
    await expect(loadStudy({ studyName: 'two', storage: path })).rejects.toThrow("no study 'two'");
  });

  it('two processes share one study: every trial numbered once, none lost or run twice', async () => {
    const path = join(temp(), 'shared.jsonl');
    await Promise.all([worker(path, 1, 15)(), worker(path, 2, 15)()]).then((results) => results.forEach((r) => expect(r.stderr).toBe('')));
    const study = await loadStudy({ studyName: 'shared', storage: path });
    expect(study.trials.map((t) => t.number)).toEqual([...Array(30).keys()]);
    expect(study.trials.every((t) => t.state === 'complete')).toBe(true);
    const pids = new Set(study.trials.map((t) => t.worker!.pid));
    expect(pids.size).toBe(2);
    expect(new Set(study.trials.map((t) => t.worker!.token)).size).toBe(30);
  });

  it('kill -9 a worker mid-trial: nothing finished is lost, the interrupted trial fails and is retried with its parameters', async () => {
    const path = join(temp(), 'crash.jsonl');
    const run = worker(path, 3, 10, 2);
    const result = await run((child) => {
      child.stdout!.on('data', (t: string) => {
        if (t.includes('hanging 2')) child.kill('SIGKILL');
      });
    });
    expect(result.signal).toBe('SIGKILL');
    const study = await createStudy({ studyName: 'shared', storage: path, loadIfExists: true, storageOptions: { maxRetry: 1 }, sampler: new RandomSampler({ seed: 4 }) });
    expect(study.trials.map((t) => t.state)).toEqual(['complete', 'complete', 'running']);
    const interrupted = study.trials[2].params;
    await study.optimize((t) => t.suggestFloat('x', 0, 1), { nTrials: 2 });
    expect(study.trials.map((t) => t.state)).toEqual(['complete', 'complete', 'fail', 'complete', 'complete']);
    expect(study.trials[3].params).toEqual(interrupted);
    expect(study.trials[3].systemAttrs.retriedFrom).toBe(2);
  });

  it('a worker on another machine whose heartbeat lapsed is failed after the grace period', async () => {
    const path = join(temp(), 'remote.jsonl');
    const storage = new Storage(new JournalFileBackend(path), { heartbeatIntervalS: 0.05, gracePeriodS: 0.2, maxRetry: 0 });
    await storage.createStudy('s', ['minimize'], false);
    appendFileSync(
      path,
      `${JSON.stringify({ op: 'trial', study: 's', token: 'far', worker: { host: 'elsewhere', pid: 1, token: 'far' }, params: {}, distributions: {}, systemAttrs: {}, at: Date.now() })}\n`,
    );
    await storage.sync();
    expect(await storage.failStaleTrials('s')).toEqual([]);
    await new Promise((r) => setTimeout(r, 300));
    expect(await storage.failStaleTrials('s')).toEqual([0]);
    expect(storage.record('s')!.trials[0].state).toBe('fail');
  });

  it('a damaged line stops the replay with its line number and leaves the file as it was; a half-written last line waits', async () => {
    const path = join(temp(), 'bad.jsonl');
    const s = await createStudy({ studyName: 'x', storage: path, sampler: new RandomSampler({ seed: 1 }) });
    await s.optimize((t) => t.suggestFloat('x', 0, 1), { nTrials: 2 });
    await s.storage.close();
    appendFileSync(path, '{"op":"heartbeat","study":"x","tri');
    const partial = await loadStudy({ studyName: 'x', storage: path });
    expect(partial.trials.length).toBe(2);
    await partial.storage.close();
    const lines = readFileSync(path, 'utf8').split('\n');
    const broken = [...lines.slice(0, 3), 'not json at all', ...lines.slice(3)].join('\n');
    writeFileSync(path, broken);
    await expect(loadStudy({ studyName: 'x', storage: path })).rejects.toThrow(`${path}: line 4: expected one JSON operation, got 'not json at all'`);
    writeFileSync(path, lines.slice(0, 2).join('\n') + '\n{"op":"report","study":"x","trial":0,"step":-1,"value":[1]}\n');
    await expect(loadStudy({ studyName: 'x', storage: path })).rejects.toThrow(`${path}: line 3: field 'step'`);
    expect(readFileSync(path, 'utf8').split('\n').slice(0, 2)).toEqual(lines.slice(0, 2));
  });
});
