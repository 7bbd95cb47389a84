import { closeSync, fstatSync, mkdirSync, openSync, readSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { InputError } from '../../tensor/errors.js';
import { opSchema, type Op } from './ops.js';
import type { LogBackend } from './storage.js';

/**
 * A journal file: one JSON op per line, opened in append mode. Each op line goes out in one
 * write(2) on an O_APPEND descriptor, so lines from several processes on one machine never
 * interleave, and the order in the file is the order every reader replays. A line still being
 * written (no newline yet) is left for the next read; a damaged line stops the replay with an
 * error naming its line, and nothing in the file is changed.
 */
export class JournalFileBackend implements LogBackend {
  readonly synchronous = true;
  private readonly fd: number;
  private offset = 0;
  private line = 0;

  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    try {
      this.fd = openSync(path, 'a+');
    } catch (err) {
      throw new InputError(`${path}: cannot open the journal (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
  }

  get description(): string {
    return `journal ${this.path}`;
  }

  append(ops: Op[]): void {
    for (const op of ops) {
      const bytes = Buffer.from(`${JSON.stringify(op)}\n`);
      const written = writeSync(this.fd, bytes);
      if (written !== bytes.length) throw new Error(`${this.path}: short write (${written} of ${bytes.length} bytes)`);
    }
  }

  readNew(): Op[] {
    const size = fstatSync(this.fd).size;
    if (size <= this.offset) return [];
    const buffer = Buffer.alloc(size - this.offset);
    let got = 0;
    while (got < buffer.length) {
      const n = readSync(this.fd, buffer, got, buffer.length - got, this.offset + got);
      if (n === 0) break;
      got += n;
    }
    const ops: Op[] = [];
    let start = 0;
    for (let end = buffer.indexOf(10, start); end !== -1 && end < got; end = buffer.indexOf(10, start)) {
      this.line++;
      const text = buffer.subarray(start, end).toString('utf8');
      start = end + 1;
      if (text.trim() !== '') ops.push(this.parse(text));
    }
    this.offset += start;
    return ops;
  }

  private parse(text: string): Op {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new InputError(`${this.path}: line ${this.line}: expected one JSON operation, got '${text.slice(0, 40)}' (the file is left as it is; remove or repair that line to go on)`);
    }
    const parsed = opSchema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue.path.length ? issue.path.map(String).join('.') : 'op';
      throw new InputError(`${this.path}: line ${this.line}: field '${field}': ${issue.message} (the file is left as it is)`);
    }
    return parsed.data;
  }

  close(): void {
    closeSync(this.fd);
  }
}
