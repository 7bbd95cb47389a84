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
  /** Within a pass, run the models run by run in turn instead of each alone. */
  interleave: boolean;
  /** With a reference model: it is timed again around a pass once this long has gone by since its last timing. */
  referenceEveryMs: number;
  referenceRuns: number;
}

/**
 * The timing protocol every hbx latency figure uses (blocks, calibration, validation,
 * finalists, `hbx latency measure`, `hbx bench`), chosen by measurement on a shared 2-core VM:
 * over three passes of the same models, the 10th percentile of a pass's runs moved 3.3%
 * (median over models) where the median moved 4.3% and the mean 4.5%; a single pass can be
 * slowed as a whole by another tenant, so a model's figure is the median of its passes' 10th
 * percentiles, and a model whose passes disagree by more than `maxSpread` is timed again.
 */
export const TIMING_PROTOCOL: TimingProtocol = {
  statistic: 'median over passes of the 10th percentile of each pass',
  quantile: 0.1,
  passes: 3,
  runsPerPass: 20,
  minPassMs: 20,
  maxRunsPerPass: 500,
  warmup: 5,
  maxSpread: 0.1,
  extraPasses: 2,
  interleave: false,
  referenceEveryMs: 0,
  referenceRuns: 10,
};

export interface RepeatedTiming extends Timing {
  /** The protocol's figure (ms). */
  ms: number;
  /** How far the first passes' figures of this model disagree: max / min - 1. */
  spread: number;
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
 * model, not all of a model's runs). Self-contained apart from `quantile` and `summarize`: a
 * latency bundle's runner carries its source.
 */
export async function timeRepeated(
  items: TimedItem[],
  o: Omit<TimingProtocol, 'statistic'>,
  reference?: { item: TimedItem; ms?: number },
): Promise<RepeatedTiming[]> {
  const run = (k: number) => items[k].session.run(items[k].feeds as never);
  // The reference: a fixed model timed around each pass; a figure taken while it ran slower
  // than `reference.ms` (the machine slowed by a neighbour, its clock, its caches) is scaled
  // down by as much, and the other way round.
  const referenceFigures: number[] = [];
  let referenceNow = NaN;
  let referenceAt = -Infinity;
  let ranSinceReference = true;
  const checkReference = async () => {
    if (!reference || !ranSinceReference || performance.now() - referenceAt < o.referenceEveryMs) return;
    const r = reference.item;
    await r.session.run(r.feeds as never);
    const times = [];
    for (let i = 0; i < o.referenceRuns; i++) {
      const t0 = performance.now();
      await r.session.run(r.feeds as never);
      times.push(performance.now() - t0);
    }
    referenceNow = quantile(times.sort((a, b) => a - b), o.quantile);
    referenceFigures.push(referenceNow);
    referenceAt = performance.now();
    ranSinceReference = false;
  };
  const runsPerPass: number[] = [];
  for (let k = 0; k < items.length; k++) {
    let last = 0;
    for (let i = 0; i < o.warmup; i++) {
      const t0 = performance.now();
      await run(k);
      last = performance.now() - t0;
    }
    runsPerPass.push(Math.min(o.maxRunsPerPass, Math.max(o.runsPerPass, Math.ceil(o.minPassMs / Math.max(last, 1e-3)))));
  }
  const all = items.map(() => [] as number[]);
  const figures = items.map(() => [] as number[]);
  /** Each pass's figure over the reference's at the time (the raw figure without a reference). */
  const relative = items.map(() => [] as number[]);
  /** One pass over the models `ks`: alone (each model's runs back to back) or run by run in turn. */
  const pass = async (ks: number[]) => {
    const times = ks.map(() => [] as number[]);
    const timeRun = async (j: number) => {
      ranSinceReference = true;
      const t0 = performance.now();
      await run(ks[j]);
      times[j].push(performance.now() - t0);
    };
    // The machine's speed during a model's pass: the reference timed just before and just after it.
    const refs: number[] = [];
    const bracket = async (timeIt: () => Promise<void>, models: number) => {
      await checkReference();
      const before = referenceNow;
      await timeIt();
      await checkReference();
      for (let j = 0; j < models; j++) refs.push(reference ? Math.sqrt(before * referenceNow) : 1);
    };
    if (o.interleave) {
      const rounds = Math.max(...ks.map((k) => runsPerPass[k]));
      await bracket(async () => {
        for (let r = 0; r < rounds; r++) for (let j = 0; j < ks.length; j++) await timeRun(j);
      }, ks.length);
    } else {
      for (let j = 0; j < ks.length; j++) {
        await bracket(async () => {
          await run(ks[j]);
          for (let i = 0; i < runsPerPass[ks[j]]; i++) await timeRun(j);
        }, 1);
      }
    }
    ks.forEach((k, j) => {
      all[k].push(...times[j]);
      const figure = quantile([...times[j]].sort((a, b) => a - b), o.quantile);
      figures[k].push(figure);
      relative[k].push(figure / refs[j]);
    });
  };
  const everyModel = items.map((_, k) => k);
  for (let p = 0; p < o.passes; p++) await pass(everyModel);
  const spreadOf = (xs: number[]) => Math.max(...xs) / Math.min(...xs) - 1;
  const spreads = relative.map(spreadOf);
  const retimed = items.map(() => 0);
  for (let extra = 0; extra < o.extraPasses; extra++) {
    const disturbed = everyModel.filter((k) => spreadOf(relative[k]) > o.maxSpread);
    if (disturbed.length === 0) break;
    await pass(disturbed);
    for (const k of disturbed) retimed[k]++;
  }
  const median = (xs: number[]) => quantile([...xs].sort((a, b) => a - b), 0.5);
  const referenceMs = reference ? (reference.ms ?? median(referenceFigures)) : undefined;
  return items.map((_, k) => {
    const raw = median(figures[k]);
    const base = { ...summarize(all[k]), ms: raw, spread: spreads[k], passes: figures[k].length, retimed: retimed[k] };
    if (referenceMs === undefined) return base;
    return { ...base, ms: median(relative[k]) * referenceMs, rawMs: raw, referenceMs };
  });
}
