import { PROVIDERS, TIMING_PROTOCOL, type Provider } from '../runtime/index.js';
import { InputError } from '../tensor/index.js';

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

/** `--runs N --warmup W` of the timing commands: N runs spread over the protocol's passes. */
export function protocolFlags(opts: { runs: string; warmup: string }): { runsPerPass: number; warmup: number } {
  return { runsPerPass: Math.ceil(intFlag('--runs', opts.runs, 100, 1) / TIMING_PROTOCOL.passes), warmup: intFlag('--warmup', opts.warmup, 10) };
}

/** `median of 3 passes' 10th percentiles, first passes 2.1% apart`: how a figure was taken and how well it repeated. */
export function describeRepeatability(t: { passes: number; spread: number; retimed: number }): string {
  return `median of ${t.passes} passes' 10th percentiles, first passes ${(t.spread * 100).toFixed(1)}% apart${t.retimed ? `, ${t.retimed} re-timed` : ''}`;
}

export const PROVIDER_HELP = 'cpu (onnxruntime-node) or wasm (onnxruntime-web, optional package)';

/** `--provider`: one of PROVIDERS (default cpu), else a usage error naming them. */
export function providerFlag(value: string | undefined): Provider {
  if (value == null) return 'cpu';
  if (!PROVIDERS.includes(value as Provider)) throw new UsageError(`--provider: '${value}' is not available, expected one of ${PROVIDERS.join(', ')}`);
  return value as Provider;
}

/** A non-negative number flag (the fallback when not given). */
export function floatFlag(name: string, value: string | undefined, fallback: number): number {
  if (value == null) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`${name}: expected a non-negative number, got '${value}'`);
  return n;
}

/** `--space-options`: a JSON object of space options (validated by the space itself). */
export function spaceOptionsFlag(value: string | undefined): Record<string, unknown> | undefined {
  if (value == null) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new InputError(`--space-options: not valid JSON: ${value}`);
  }
  if (typeof parsed !== 'object' || parsed == null || Array.isArray(parsed)) throw new InputError(`--space-options: expected a JSON object, got ${value}`);
  return parsed as Record<string, unknown>;
}

/** What every `--arch` takes. */
export const ARCH_HELP = "arch JSON (generic { space, choices }, a Hyperbox mask dict, OFA { ks, e, d, r } or an NB201 string), or largest / smallest: the space's extreme subnets (a file of that name: ./largest)";
