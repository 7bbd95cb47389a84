import { fork, type ChildProcess } from 'node:child_process';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { activeBackend, InputError } from '../tensor/index.js';
import type { Choice } from '../space/index.js';
import type { SubnetEvaluationOptions } from './evaluation.js';

export type ParentMessage =
  | { type: 'init'; supernet: string; backend?: string; options: SubnetEvaluationOptions }
  | { type: 'evaluate'; index: number; choices: Record<string, Choice> }
  | { type: 'stop' };

export type WorkerMessage =
  | { type: 'ready'; source: string; valImages: number }
  | { type: 'result'; index: number; top1: number; seconds: number }
  | { type: 'error'; message: string; input: boolean };

export interface SampleJob {
  index: number;
  choices: Record<string, Choice>;
}

export interface PoolOptions {
  /** The supernet checkpoint each process opens (with `evaluationData` of it, as the parent). */
  supernet: string;
  evaluation: SubnetEvaluationOptions;
  /** What the parent's evaluator reports, checked against each process's (same images). */
  expect: { source: string; valImages: number };
  processes: number;
}

function workerEntry(): { path: string; execArgv: string[] } {
  const here = fileURLToPath(import.meta.url);
  const ext = extname(here);
  // Run from source (tests, tsx) the worker is TypeScript too, loaded through tsx.
  return { path: join(dirname(here), `sample_worker${ext}`), execArgv: ext === '.ts' ? ['--import', 'tsx'] : [] };
}

/**
 * Evaluates subnets in `processes` child processes, each with its own supernet and backend,
 * handing out one job at a time so that slow and fast subnets balance. Results come back in
 * completion order through `onResult`; the first failure stops every process and rejects.
 */
export function evaluateInProcesses(jobs: SampleJob[], o: PoolOptions, onResult: (index: number, top1: number, seconds: number) => void): Promise<void> {
  const queue = [...jobs];
  const entry = workerEntry();
  const children: ChildProcess[] = [];
  return new Promise<void>((resolve, reject) => {
    let running = Math.min(o.processes, queue.length);
    let failed = false;
    const fail = (e: Error) => {
      if (failed) return;
      failed = true;
      for (const c of children) c.kill();
      reject(e);
    };
    const next = (child: ChildProcess) => {
      const job = queue.shift();
      child.send(job ? ({ type: 'evaluate', ...job } satisfies ParentMessage) : ({ type: 'stop' } satisfies ParentMessage));
    };
    if (running === 0) return resolve();
    for (let i = 0; i < running; i++) {
      const child = fork(entry.path, [], { execArgv: entry.execArgv, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
      children.push(child);
      child.on('message', (m: WorkerMessage) => {
        if (m.type === 'error') return fail(m.input ? new InputError(m.message) : new Error(`accuracy-sample process: ${m.message}`));
        if (m.type === 'ready') {
          if (m.source !== o.expect.source || m.valImages !== o.expect.valImages) {
            return fail(new Error(`accuracy-sample process evaluates on '${m.source}' (${m.valImages} images), the search on '${o.expect.source}' (${o.expect.valImages})`));
          }
        } else {
          try {
            onResult(m.index, m.top1, m.seconds);
          } catch (e) {
            return fail(e as Error);
          }
        }
        next(child);
      });
      child.on('exit', (code, signal) => {
        if (failed) return;
        if (code !== 0) return fail(new Error(`accuracy-sample process exited with ${signal ?? `code ${code}`}`));
        if (--running === 0) resolve();
      });
      child.send({ type: 'init', supernet: o.supernet, backend: activeBackend()?.name, options: o.evaluation } satisfies ParentMessage);
    }
  });
}
