import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package's root folder: the nearest folder above this file with our package.json (source or dist). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate) && (JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string }).name === 'hyperbox') return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('hyperbox package.json not found above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

export const HBX_VERSION: string = (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
