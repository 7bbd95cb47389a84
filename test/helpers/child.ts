import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

export interface ChildResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a program to its end without blocking the test worker: spawnSync would stop the
 * worker's event loop for as long as the child runs, and vitest reports a worker that cannot
 * answer its RPC within a minute as an unhandled error.
 */
export function runChild(command: string, args: string[], options: SpawnOptions = {}, onStart?: (child: ChildProcess) => void): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (t: string) => (stdout += t));
    child.stderr!.setEncoding('utf8').on('data', (t: string) => (stderr += t));
    child.on('error', reject);
    child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr }));
    onStart?.(child);
  });
}

/** The built CLI (`npm test` builds it first) in a child process. */
export function runHbxBinary(args: string[], options: SpawnOptions = {}): Promise<ChildResult> {
  return runChild('node', ['dist/cli/main.js', ...args], options);
}
