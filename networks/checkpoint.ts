import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { InputError, packageRoot } from '../tensor/index.js';
import { loadStateDictFrom, readSafetensorsFile, saveStateDict, withoutInit, type AnyModule, type SafetensorsFile } from '../space/index.js';
import { getSpace } from './registry.js';

export const SUPERNET_FILE = 'supernet.safetensors';

/**
 * The first Fashion-MNIST supernet (stem stride 2, resolutions 24 and 28): the benches whose
 * README figures were measured on it name it, so those figures stay reproducible.
 */
export const FIRST_SUPERNET = join(packageRoot(), 'supernets', 'fashion-mnist');

/**
 * The default Fashion-MNIST supernet (stem stride 1, depths 1-4, resolutions 24 and 28): the
 * default of search, export, eval and train-subnet.
 */
export const SHIPPED_SUPERNET = join(packageRoot(), 'supernets', 'fashion-mnist-v2');

/**
 * A supernet's weights plus what rebuilds it: the space id and its options (safetensors
 * metadata). `tensors`: the state dict's values already read, as `saveStateDict` takes them.
 */
export function saveSupernet(
  model: AnyModule & { spaceId: string; options: object },
  dir: string,
  extra: Record<string, string> = {},
  tensors?: SafetensorsFile['tensors'],
): string {
  const path = join(dir, SUPERNET_FILE);
  saveStateDict(model, path, { ...extra, format: 'hbx-supernet', space: model.spaceId, options: JSON.stringify(model.options) }, tensors);
  return path;
}

/** A supernet checkpoint named by its folder (holding supernet.safetensors) or by that file. */
export function supernetPaths(path: string, flag = '--supernet'): { folder: string; file: string } {
  if (!existsSync(path)) throw new InputError(`${flag}: ${path} does not exist`);
  const paths = statSync(path).isDirectory() ? { folder: path, file: join(path, SUPERNET_FILE) } : { folder: dirname(path), file: path };
  if (!existsSync(paths.file)) throw new InputError(`${flag}: ${path} holds no ${SUPERNET_FILE}`);
  return paths;
}

/** Loads a supernet from a checkpoint folder (holding supernet.safetensors) or the file itself. */
export function loadSupernet(path: string): AnyModule {
  const { file } = supernetPaths(path);
  const st = readSafetensorsFile(file);
  const space = st.metadata.space;
  if (!space) throw new InputError(`${file}: field '__metadata__.space': missing (not an hbx supernet checkpoint)`);
  let options: unknown;
  try {
    options = JSON.parse(st.metadata.options ?? '{}');
  } catch {
    throw new InputError(`${file}: field '__metadata__.options': not valid JSON`);
  }
  // A strict load assigns every tensor, so random initial weights would be drawn only to be overwritten.
  const model = withoutInit(() => getSpace(space).create(options, file));
  loadStateDictFrom(model, st, file);
  return model;
}
