import { quantile, type SessionSettings } from '../runtime/index.js';
import type { DeviceTiming } from './adapt.js';
import { measureArchs } from './measure.js';
import type { LatencySpace } from './space.js';
import type { LatencyPredictor } from './predictor.js';
import { referenceFor, sampleArchs } from './profile.js';
import { errorReport, type ErrorReport } from './stats.js';

export interface ValidationReport extends ErrorReport {
  seed: number;
  /** How well the measurements themselves repeated: median over subnets of their passes' spread. */
  measuredSpread: number;
  rows: { predictedMs: number; measuredMs: number; resolution: number }[];
}

/** A predictor against end-to-end timings taken on its device (by a user, on another machine). */
export function validateAgainstTimings(predictor: LatencyPredictor, timings: DeviceTiming[]): ErrorReport {
  return errorReport(
    timings.map((t) => predictor.predict(t.arch)),
    timings.map((t) => t.ms),
  );
}

/**
 * Held-out check of a predictor on this machine: samples archs (seeded; the calibration
 * used another seed), exports and measures each end to end, compares with the prediction.
 */
export async function validatePredictor(
  predictor: LatencyPredictor,
  space: LatencySpace,
  options: { samples: number; seed: number; settings: SessionSettings; onProgress?: (done: number, total: number) => void },
): Promise<ValidationReport> {
  const rs = predictor.table.resolutions;
  const archs = sampleArchs(space, rs, options.samples, options.seed);
  const supernet = space.supernet(rs);
  const timings = await measureArchs(space, supernet, archs, { settings: options.settings, reference: referenceFor(predictor.table), onProgress: options.onProgress });
  supernet.dispose();
  const predicted = archs.map((a) => predictor.predict(a));
  const measured = timings.map((t) => t.ms);
  return {
    ...errorReport(predicted, measured),
    seed: options.seed,
    measuredSpread: quantile(timings.map((t) => t.spread).sort((a, b) => a - b), 0.5),
    rows: archs.map((a, i) => ({ predictedMs: predicted[i], measuredMs: measured[i], resolution: a.choices.resolution as number })),
  };
}
