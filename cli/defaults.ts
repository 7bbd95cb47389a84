import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { packageRoot } from '../tensor/index.js';
import { UsageError } from './io.js';

/** The Fashion-MNIST supernet shipped in the repository: the default of search, export and eval. */
export const DEFAULT_SUPERNET = join(packageRoot(), 'supernets', 'fashion-mnist');

/** The dataset a supernet was trained on (its state.json), for commands that default to it. */
export function trainedDataset(supernet: string, flag = '--dataset'): string {
  const folder = existsSync(supernet) && statSync(supernet).isFile() ? dirname(supernet) : supernet;
  const state = join(folder, 'state.json');
  if (existsSync(state)) {
    try {
      const dataset = (JSON.parse(readFileSync(state, 'utf8')) as { config?: { dataset?: unknown } }).config?.dataset;
      if (typeof dataset === 'string') return dataset;
    } catch {
      // fall through to the usage error
    }
  }
  throw new UsageError(`${flag}: required (${state} does not name the dataset the supernet was trained on)`);
}

/** The input normalisation a supernet was trained with (its state.json), when recorded. */
export function trainedNormalisation(supernet: string | undefined): { mean?: number[]; std?: number[] } {
  if (!supernet || !existsSync(supernet)) return {};
  const folder = statSync(supernet).isFile() ? dirname(supernet) : supernet;
  const state = join(folder, 'state.json');
  if (!existsSync(state)) return {};
  try {
    const config = (JSON.parse(readFileSync(state, 'utf8')) as { config?: { mean?: unknown; std?: unknown } }).config;
    const numbers = (v: unknown) => (Array.isArray(v) && v.every((x) => typeof x === 'number') ? (v as number[]) : undefined);
    return { mean: numbers(config?.mean), std: numbers(config?.std) };
  } catch {
    return {};
  }
}
