import type { Arch } from '../space/index.js';
import type { LatencySpace } from './ofa_space.js';
import type { Calibration, LatencyTable } from './table.js';

const MIN_SHARE_OF_SUM = 0.25;

/**
 * A block sum (and the number of blocks summed) through a calibration. A fit on noisy
 * sub-millisecond timings can extrapolate to nothing for the smallest subnets; a prediction
 * never goes below a quarter of the block sum.
 */
export function calibrated(sum: number, blocks: number, calibration: Calibration | undefined): number {
  if (!calibration) return sum;
  const ms = calibration.slope * sum + (calibration.perBlock ?? 0) * blocks + calibration.intercept;
  return Math.max(ms, MIN_SHARE_OF_SUM * sum);
}

/**
 * Predicted latency of an arch on a device: the sum of its block entries and its number of
 * blocks through the table's calibration (fitted on subnets measured end to end). Built for
 * the inner loop of a search: a prediction is a few dozen array reads.
 */
export class LatencyPredictor {
  private readonly sum: (arch: Arch, counted?: { blocks: number }) => number;
  private readonly counted = { blocks: 0 };
  private readonly count: (arch: Arch) => number;
  readonly calibration: Calibration | undefined;

  constructor(
    readonly table: LatencyTable,
    space: LatencySpace,
    /** The file the table came from, where known. */
    readonly path?: string,
  ) {
    this.sum = space.compile(table.entries, table.resolutions, table.device);
    this.count = (arch) => space.blockCount(arch);
    this.calibration = table.calibration;
  }

  /** Sum of block entries, uncalibrated (ms). */
  blockSum(arch: Arch): number {
    return this.sum(arch);
  }

  /** How many blocks the arch runs. */
  blockCount(arch: Arch): number {
    return this.count(arch);
  }

  /** Predicted end-to-end latency (ms, by the timing protocol). */
  predict(arch: Arch): number {
    const sum = this.sum(arch, this.counted);
    return calibrated(sum, this.counted.blocks, this.calibration);
  }
}
