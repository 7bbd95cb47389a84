import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../tensor/index.js';
import { loadStateDictFrom, readSafetensorsFile, saveStateDict, type AnyModule } from '../space/index.js';
import { getSpace } from './registry.js';

export const SUPERNET_FILE = 'supernet.safetensors';

/** A supernet's weights plus what rebuilds it: the space id and its options (safetensors metadata). */
export function saveSupernet(model: AnyModule & { spaceId: string; options: object }, dir: string, extra: Record<string, string> = {}): string {
  const path = join(dir, SUPERNET_FILE);
  saveStateDict(model, path, { ...extra, format: 'hbx-supernet', space: model.spaceId, options: JSON.stringify(model.options) });
  return path;
}

/** Loads a supernet from a checkpoint folder (holding supernet.safetensors) or the file itself. */
export function loadSupernet(path: string): AnyModule {
  if (!existsSync(path)) throw new InputError(`--supernet: ${path} does not exist`);
  const file = statSync(path).isDirectory() ? join(path, SUPERNET_FILE) : path;
  if (!existsSync(file)) throw new InputError(`--supernet: ${path} holds no ${SUPERNET_FILE}`);
  const st = readSafetensorsFile(file);
  const space = st.metadata.space;
  if (!space) throw new InputError(`${file}: field '__metadata__.space': missing (not an hbx supernet checkpoint)`);
  let options: unknown;
  try {
    options = JSON.parse(st.metadata.options ?? '{}');
  } catch {
    throw new InputError(`${file}: field '__metadata__.options': not valid JSON`);
  }
  const model = getSpace(space).create(options, file);
  loadStateDictFrom(model, st, file);
  return model;
}
