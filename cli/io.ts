/** Where a command writes: machine-readable output to `out`, people-facing text to `err`. */
export interface CliIO {
  out: (text: string) => void;
  err: (text: string) => void;
}

export const processIO: CliIO = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

export function printJson(io: CliIO, value: unknown): void {
  io.out(`${JSON.stringify(value, null, 2)}\n`);
}

/** Parses an integer flag; anything else is a usage error naming the flag. */
export function intFlag(name: string, value: string | undefined, fallback: number, min = 0): number {
  if (value == null) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) {
    throw new UsageError(`${name}: expected an integer >= ${min}, got '${value}'`);
  }
  return n;
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
}
