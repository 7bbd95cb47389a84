import { SHIPPED_SUPERNET, supernetPaths } from '../networks/index.js';
import { readTrainState, trainStatePath, type TrainConfig } from '../train/index.js';
import { UsageError } from './io.js';

/** The Fashion-MNIST supernet shipped in the repository: the default of search, export and eval. */
export const DEFAULT_SUPERNET = SHIPPED_SUPERNET;

/** The training configuration recorded next to a supernet (its state.json), when there is one. */
function trainConfig(supernet: string): { path: string; config?: TrainConfig } {
  const { folder } = supernetPaths(supernet);
  return { path: trainStatePath(folder), config: readTrainState(folder)?.config };
}

/** The dataset a supernet was trained on, for commands that default to it. */
export function trainedDataset(supernet: string, flag = '--dataset'): string {
  const { path, config } = trainConfig(supernet);
  if (config) return config.dataset;
  throw new UsageError(`${flag}: required (${path} does not name the dataset the supernet was trained on)`);
}

/** The input normalisation a supernet was trained with, when recorded. */
export function trainedNormalisation(supernet: string | undefined): { mean?: number[]; std?: number[] } {
  const config = supernet ? trainConfig(supernet).config : undefined;
  return { mean: config?.mean, std: config?.std };
}
