import type { Arch } from '../space/index.js';
import type { LatencySpace } from './ofa_space.js';
import type { Calibration, LatencyTable } from './table.js';

const MIN_SHARE_OF_SUM = 0.25;

/**
 * A block sum through a calibration line. A line fitted on noisy sub-millisecond timings can
 * extrapolate to nothing for the smallest subnets; a prediction never goes below a quarter of
 * the block sum.
 */
export function calibrated(sum: number, calibration: Calibration | undefined): number {
  return calibration ? Math.max(calibration.slope * sum + calibration.intercept, MIN_SHARE_OF_SUM * sum) : sum;
}

/**
 * Predicted latency of an arch on a device: the sum of its block entries, then the table's
 * calibration (slope and intercept fitted on subnets measured end to end). Built for the
 * inner loop of a search: a prediction is a few dozen array reads.
 */
export class LatencyPredictor {
  private readonly sum: (arch: Arch) => number;
  readonly calibration: Calibration | undefined;

  constructor(
    readonly table: LatencyTable,
    space: LatencySpace,
    /** The file the table came from, where known. */
    readonly path?: string,
  ) {
    this.sum = space.compile(table.entries, table.resolutions, table.device);
    this.calibration = table.calibration;
  }

  /** Sum of block entries, uncalibrated (ms). */
  blockSum(arch: Arch): number {
    return this.sum(arch);
  }

  /** Predicted end-to-end median latency (ms): the block sum through the table's calibration. */
  predict(arch: Arch): number {
    return calibrated(this.sum(arch), this.calibration);
  }
}
