import type { Arch } from '../space/index.js';
import type { LatencySpace } from './space.js';
import type { Calibration, LatencyTable } from './table.js';

const MIN_SHARE_OF_SUM = 0.25;

/**
 * A block sum (and the number of blocks summed) through a calibration. A fit on noisy
 * sub-millisecond timings can extrapolate to nothing for the smallest subnets; a prediction
 * never goes below a quarter of the block sum.
 */
export function calibrated(sum: number, blocks: number, calibration: Calibration | undefined): number {
  return calibration ? Math.max(calibrationLine(sum, blocks, calibration), MIN_SHARE_OF_SUM * sum) : sum;
}

/** The calibration's own value, without the floor: slope x block sum + perBlock x blocks + intercept. */
export function calibrationLine(sum: number, blocks: number, c: Pick<Calibration, 'slope' | 'perBlock' | 'intercept'>): number {
  return c.slope * sum + (c.perBlock ?? 0) * blocks + c.intercept;
}

/**
 * Predicted latency of an arch on a device: the sum of its block entries and its number of
 * blocks through the table's calibration (fitted on subnets measured end to end). Built for
 * the inner loop of a search: a prediction is a few dozen array reads.
 */
export class LatencyPredictor {
  private readonly sum: (arch: Arch, counted?: { blocks: number }) => number;
  private readonly counted = { blocks: 0 };
  /** The table's entries, or under a per-block calibration each block's fitted cost. */
  private readonly entries: LatencyTable['entries'];
  readonly calibration: Calibration | undefined;

  constructor(
    readonly table: LatencyTable,
    private readonly space: LatencySpace,
    /** The file the table came from, where known. */
    readonly path?: string,
  ) {
    this.calibration = table.calibration;
    this.entries = withFittedCosts(table.entries, this.calibration);
    this.sum = space.compile(this.entries, table.resolutions, table.device);
  }

  /** Sum of block entries (under a per-block calibration, of their fitted costs) before the calibration's slope and intercept (ms). */
  blockSum(arch: Arch): number {
    return this.sum(arch);
  }

  /** How many blocks the arch runs (each timed alone paid a run's overhead the subnet pays once). */
  blockCount(arch: Arch): number {
    this.sum(arch, this.counted);
    return this.counted.blocks;
  }

  /**
   * The end-to-end ms each candidate of each decision adds (block costs times the
   * calibration's slope), where the space's latency is additive over decisions; else undefined.
   */
  candidateCosts(): Record<string, number[]> | undefined {
    const costs = this.space.candidateCosts(this.entries, this.table.resolutions, this.table.device);
    const slope = this.calibration && this.calibration.slope > 0 ? this.calibration.slope : 1;
    return costs && Object.fromEntries(Object.entries(costs).map(([key, ms]) => [key, ms.map((m) => m * slope)]));
  }

  /** Predicted end-to-end latency (ms, by the timing protocol). */
  predict(arch: Arch): number {
    const sum = this.sum(arch, this.counted);
    return calibrated(sum, this.counted.blocks, this.calibration);
  }
}

/** Entries whose figures are a per-block calibration's fitted costs (the table's where it has none). */
function withFittedCosts(entries: LatencyTable['entries'], c: Calibration | undefined): LatencyTable['entries'] {
  const fitted = c?.blockMs;
  if (!fitted) return entries;
  return Object.fromEntries(Object.entries(entries).map(([k, e]) => [k, { ...e, ms: fitted[k] ?? e.ms }]));
}
