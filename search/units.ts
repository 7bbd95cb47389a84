import { InputError } from '../tensor/index.js';

const TIME_UNITS: Record<string, number> = { ms: 1, s: 1000, us: 1e-3, 'µs': 1e-3 };
const COUNT_UNITS: Record<string, number> = { '': 1, K: 1e3, k: 1e3, M: 1e6, G: 1e9, B: 1e9 };

/** `20ms`, `0.02s`, `1500us` -> milliseconds. */
export function parseLatency(flag: string, text: string): number {
  const m = /^(\d+(?:\.\d+)?|\.\d+)(ms|s|us|µs)$/.exec(text);
  if (!m || !(Number(m[1]) > 0)) throw new InputError(`${flag}: expected a positive duration with a unit and no space (20ms, 0.02s, 1500us) or a share of the largest subnet's latency (80%), got '${text}'`);
  return Number(m[1]) * TIME_UNITS[m[2]];
}

/** A latency budget: absolute (`20ms`, see parseLatency) or relative to the largest subnet's latency on the device (`80%`). */
export function parseLatencyBudget(flag: string, text: string): { ms: number } | { fraction: number } {
  const m = /^(\d+(?:\.\d+)?)%$/.exec(text);
  if (!m) return { ms: parseLatency(flag, text) };
  const percent = Number(m[1]);
  if (!(percent > 0 && percent <= 100)) throw new InputError(`${flag}: expected a percentage in (0, 100], got '${text}'`);
  return { fraction: percent / 100 };
}

/** `300M`, `5M`, `1.5G`, `800K`, `120000` -> a count. */
export function parseCount(flag: string, text: string): number {
  const m = /^(\d+(?:\.\d+)?|\.\d+)([kKMGB]?)$/.exec(text);
  if (!m || !(Number(m[1]) > 0)) throw new InputError(`${flag}: expected a positive count with an optional K/M/G suffix and no space (300M, 5M), got '${text}'`);
  return Number(m[1]) * COUNT_UNITS[m[2]];
}

export function formatMs(ms: number): string {
  return ms >= 10 ? ms.toFixed(1) : ms >= 1 ? ms.toFixed(2) : ms.toFixed(3);
}

export function formatCount(n: number): string {
  return n >= 1e9 ? `${(n / 1e9).toFixed(2)}G` : n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}K` : String(n);
}
