import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const bin = join(import.meta.dirname, '..', 'dist', 'cli', 'main.js');

/** Runs the built CLI (`npm run build` first) with `--json` and returns what it printed; a failure throws with its last stderr line. */
export function hbxJson<T = Record<string, number>>(...args: string[]): T {
  const r = spawnSync('node', [bin, ...args, '--json'], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`hbx ${args.join(' ')} failed: ${r.stderr.trim().split('\n').pop()}`);
  return JSON.parse(r.stdout) as T;
}
