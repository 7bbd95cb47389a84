import type { Op } from './ops.js';
import type { LogBackend } from './storage.js';

/** One process's studies, gone when it exits. */
export class MemoryBackend implements LogBackend {
  readonly description = 'memory';
  readonly synchronous = true;
  private readonly log: Op[] = [];
  private cursor = 0;

  append(ops: Op[]): void {
    // Copies, so later changes to an op's objects cannot reach the log.
    for (const op of ops) this.log.push(structuredClone(op));
  }

  readNew(): Op[] {
    const ops = this.log.slice(this.cursor);
    this.cursor = this.log.length;
    return ops.map((op) => structuredClone(op));
  }

  close(): void {}
}
