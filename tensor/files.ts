import { readFileSync } from 'node:fs';
import { InputError } from './errors.js';

/** Reads a file the user named; a missing or unreadable one is an InputError naming it. */
export function readInputFile(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new InputError(`${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
}
