import type ort from 'onnxruntime-node';

export interface Timing {
  medianMs: number;
  p90Ms: number;
  p99Ms: number;
  meanMs: number;
  /** Coefficient of variation (std / mean): how noisy the runs were. */
  cv: number;
  runs: number;
}

export interface TimingOptions {
  warmup?: number;
  runs?: number;
  /** Stop early once this many milliseconds of timed runs have passed (at least `minRuns` runs). */
  budgetMs?: number;
  minRuns?: number;
}

export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export function summarize(times: readonly number[]): Timing {
  const sorted = [...times].sort((a, b) => a - b);
  const mean = times.reduce((a, b) => a + b, 0) / times.length;
  const variance = times.reduce((a, t) => a + (t - mean) ** 2, 0) / Math.max(1, times.length - 1);
  return {
    medianMs: quantile(sorted, 0.5),
    p90Ms: quantile(sorted, 0.9),
    p99Ms: quantile(sorted, 0.99),
    meanMs: mean,
    cv: mean > 0 ? Math.sqrt(variance) / mean : 0,
    runs: times.length,
  };
}

/**
 * Times `session.run(feeds)`: warm-up runs first (allocations, caches), then timed runs;
 * the median is what a table records (robust to the odd interrupted run).
 */
export async function timeSession(session: ort.InferenceSession, feeds: Record<string, ort.Tensor>, options: TimingOptions = {}): Promise<Timing> {
  const { warmup = 10, runs = 50, budgetMs = Infinity, minRuns = 10 } = options;
  for (let i = 0; i < warmup; i++) await session.run(feeds);
  const times: number[] = [];
  const start = performance.now();
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await session.run(feeds);
    times.push(performance.now() - t0);
    if (times.length >= minRuns && performance.now() - start > budgetMs) break;
  }
  return summarize(times);
}

/**
 * Times several sessions run by run in turn, so drifts of the machine (frequency, other
 * load) hit them alike: the way to compare two models.
 */
export async function timeInterleaved(
  items: { session: ort.InferenceSession; feeds: Record<string, ort.Tensor> }[],
  options: TimingOptions = {},
): Promise<Timing[]> {
  const { warmup = 10, runs = 50 } = options;
  for (const it of items) for (let i = 0; i < warmup; i++) await it.session.run(it.feeds);
  const times = items.map(() => [] as number[]);
  for (let r = 0; r < runs; r++) {
    for (let k = 0; k < items.length; k++) {
      const t0 = performance.now();
      await items[k].session.run(items[k].feeds);
      times[k].push(performance.now() - t0);
    }
  }
  return times.map(summarize);
}
