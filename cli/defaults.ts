import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { packageRoot } from '../tensor/index.js';
import { UsageError } from './io.js';

/** The Fashion-MNIST supernet shipped in the repository: the default of search, export and eval. */
export const DEFAULT_SUPERNET = join(packageRoot(), 'supernets', 'fashion-mnist');

/** The training configuration recorded next to a supernet (its state.json), when there is one. */
function trainConfig(supernet: string | undefined): { path: string; config?: { dataset?: unknown; mean?: unknown; std?: unknown } } {
  if (!supernet || !existsSync(supernet)) return { path: join(supernet ?? '.', 'state.json') };
  const path = join(statSync(supernet).isFile() ? dirname(supernet) : supernet, 'state.json');
  try {
    return { path, config: (JSON.parse(readFileSync(path, 'utf8')) as { config?: object }).config };
  } catch {
    return { path };
  }
}

/** The dataset a supernet was trained on, for commands that default to it. */
export function trainedDataset(supernet: string, flag = '--dataset'): string {
  const { path, config } = trainConfig(supernet);
  if (typeof config?.dataset === 'string') return config.dataset;
  throw new UsageError(`${flag}: required (${path} does not name the dataset the supernet was trained on)`);
}

/** The input normalisation a supernet was trained with, when recorded. */
export function trainedNormalisation(supernet: string | undefined): { mean?: number[]; std?: number[] } {
  const { config } = trainConfig(supernet);
  const numbers = (v: unknown) => (Array.isArray(v) && v.every((x) => typeof x === 'number') ? (v as number[]) : undefined);
  return { mean: numbers(config?.mean), std: numbers(config?.std) };
}
