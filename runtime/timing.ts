export interface Timing {
  medianMs: number;
  p90Ms: number;
  p99Ms: number;
  meanMs: number;
  /** Coefficient of variation (std / mean): how noisy the runs were. */
  cv: number;
  runs: number;
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

/** How the timing protocol times a model (see TIMING_PROTOCOL). */
export interface TimingProtocol {
  statistic: string;
  /** A pass's figure: this quantile of its runs. */
  quantile: number;
  passes: number;
  runsPerPass: number;
  /** A pass of a sub-millisecond model runs at least this long (more runs, the cost of a larger model's pass). */
  minPassMs: number;
  maxRunsPerPass: number;
  warmup: number;
  /** Passes of a model further apart than this (max / min - 1) are timed again... */
  maxSpread: number;
  /** ...up to this many more times. */
  extraPasses: number;
  /** With a reference model: its runs around each pass. */
  referenceRuns: number;
  /** A pass's figure comes from its runs that took no page fault when at least this many did... */
  minCleanRuns: number;
  /** ...and a pass with fewer is run again, up to this many times. */
  faultRetries: number;
}

/**
 * The timing protocol every hbx latency figure uses (blocks, calibration, validation,
 * finalists, `hbx latency measure`, `hbx bench`), chosen by measurement on a shared 2-core VM:
 * over three passes of the same models, the 10th percentile of a pass's runs moved 3.3%
 * (median over models) where the median moved 4.3% and the mean 4.5%; a single pass can be
 * slowed as a whole by another tenant, so a model's figure is the median of its passes' 10th
 * percentiles, and a model whose passes disagree by more than `maxSpread` is timed again.
 *
 * Runs that took a page fault are left out of a pass's figure. onnxruntime-node hands every
 * run's outputs back in a fresh buffer; until a garbage collection frees earlier ones, that
 * buffer can land on pages the process never touched, and a 64 KB output then costs 16 minor
 * faults, about 0.17 ms on a VM: ten times a small block's own time (onnxruntime's profiler
 * timed the same runs at 0.013 ms throughout). Whether it happens goes in stretches of hundreds
 * of runs (every run of a fresh process's first few hundred), which no percentile of the times
 * could tell from a slower machine; a pass left with too few clean runs is run again.
 */
export const TIMING_PROTOCOL: TimingProtocol = {
  statistic: 'median over passes of the 10th percentile of each pass, runs with page faults left out',
  quantile: 0.1,
  passes: 3,
  runsPerPass: 20,
  minPassMs: 20,
  maxRunsPerPass: 500,
  warmup: 5,
  maxSpread: 0.1,
  extraPasses: 2,
  referenceRuns: 10,
  minCleanRuns: 3,
  faultRetries: 20,
};

export interface RepeatedTiming extends Timing {
  /** The protocol's figure (ms). */
  ms: number;
  /** How far the first passes' figures of this model disagree: max / min - 1. */
  spread: number;
  /** Share of the timed runs that took a page fault (left out of the figure where enough runs did not). */
  faulted: number;
  passes: number;
  /** Passes added because the first ones disagreed by more than `maxSpread`. */
  retimed: number;
  /** With a reference model: the figure before the machine's speed was taken out (ms). */
  rawMs?: number;
  /** With a reference model: the reference's figure `ms` is scaled to (ms). */
  referenceMs?: number;
}

/** A model's session and inputs, as the protocol runs them. */
export interface TimedItem {
  session: { run(feeds: never): Promise<unknown> };
  feeds: unknown;
}

export type ProtocolOptions = Partial<Omit<TimingProtocol, 'statistic'>>;

/** The protocol with some settings changed (more runs, fewer passes...). */
export const protocol = (options: ProtocolOptions = {}): TimingProtocol => ({ ...TIMING_PROTOCOL, ...options });

/**
 * Times models by the protocol: each model runs alone, pass after pass (the group's models
 * in turn between passes, so a disturbance of a few hundred milliseconds hits one pass of one
 * model, not all of a model's runs). With a reference model, the reference is timed just
 * before and just after each pass, and the pass's figure is scaled to the speed at which the
 * reference took `reference.ms` (its median here when not given). Self-contained apart from
 * `quantile` and `summarize`: a latency bundle's runner carries its source.
 */
export async function timeRepeated(
  items: TimedItem[],
  o: Omit<TimingProtocol, 'statistic'>,
  reference?: { item: TimedItem; ms?: number },
): Promise<RepeatedTiming[]> {
  const pageFaults = () => process.resourceUsage().minorPageFault;
  /** Run times, the runs that took a page fault negated. */
  const timeRuns = async (item: TimedItem, n: number) => {
    const times: number[] = [];
    for (let i = 0; i < n; i++) {
      const faults = pageFaults();
      const t0 = performance.now();
      await item.session.run(item.feeds as never);
      const ms = performance.now() - t0;
      times.push(pageFaults() === faults ? ms : -ms);
    }
    return times;
  };
  const cleanEnough = (signed: number[]) => signed.filter((t) => t >= 0).length >= Math.min(o.minCleanRuns, signed.length);
  const figureOf = (signed: number[]) => {
    const times = cleanEnough(signed) ? signed.filter((t) => t >= 0) : signed.map(Math.abs);
    return quantile(times.sort((a, b) => a - b), o.quantile);
  };
  const median = (xs: number[]) => quantile([...xs].sort((a, b) => a - b), 0.5);

  // The reference's figure now; timed again only once a model has run since (a pass's
  // "after" is the next pass's "before").
  const referenceFigures: number[] = [];
  let referenceNow = 1;
  let ranSinceReference = true;
  const machineSpeed = async () => {
    if (reference && ranSinceReference) {
      await timeRuns(reference.item, 1);
      referenceNow = figureOf(await timeRuns(reference.item, o.referenceRuns));
      referenceFigures.push(referenceNow);
      ranSinceReference = false;
    }
    return referenceNow;
  };

  const runsPerPass: number[] = [];
  for (const item of items) {
    // The fastest warm-up run: one slowed by a garbage collection would cut every pass short.
    const fastest = Math.min(...(await timeRuns(item, o.warmup)).map(Math.abs));
    runsPerPass.push(Math.min(o.maxRunsPerPass, Math.max(o.runsPerPass, Math.ceil(o.minPassMs / Math.max(Number.isFinite(fastest) ? fastest : 0, 1e-3)))));
  }
  const all = items.map(() => [] as number[]);
  const figures = items.map(() => [] as number[]);
  /** Each pass's figure over the reference's around it (the raw figure without a reference). */
  const relative = items.map(() => [] as number[]);
  const pass = async (k: number) => {
    const before = await machineSpeed();
    await timeRuns(items[k], 1);
    let times = await timeRuns(items[k], runsPerPass[k]);
    for (let retry = 0; retry < o.faultRetries && !cleanEnough(times); retry++) times = await timeRuns(items[k], runsPerPass[k]);
    ranSinceReference = true;
    const after = await machineSpeed();
    const figure = figureOf(times);
    all[k].push(...times);
    figures[k].push(figure);
    relative[k].push(figure / Math.sqrt(before * after));
  };

  const everyModel = items.map((_, k) => k);
  for (let p = 0; p < o.passes; p++) for (const k of everyModel) await pass(k);
  const spreadOf = (xs: number[]) => Math.max(...xs) / Math.min(...xs) - 1;
  const spreads = relative.map(spreadOf);
  const retimed = items.map(() => 0);
  for (let extra = 0; extra < o.extraPasses; extra++) {
    const disturbed = everyModel.filter((k) => spreadOf(relative[k]) > o.maxSpread);
    if (disturbed.length === 0) break;
    for (const k of disturbed) {
      await pass(k);
      retimed[k]++;
    }
  }
  const referenceMs = reference ? (reference.ms ?? median(referenceFigures)) : undefined;
  return items.map((_, k) => {
    const raw = median(figures[k]);
    const faulted = all[k].filter((t) => t < 0).length / all[k].length;
    const base = { ...summarize(all[k].map(Math.abs)), ms: raw, spread: spreads[k], faulted, passes: figures[k].length, retimed: retimed[k] };
    if (referenceMs === undefined) return base;
    return { ...base, ms: median(relative[k]) * referenceMs, rawMs: raw, referenceMs };
  });
}
