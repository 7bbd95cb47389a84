import { Rng } from '../../tensor/random.js';
import { categoricalDistribution, type Distribution, type ParamValue } from '../distributions.js';
import type { FrozenTrial } from '../frozen.js';
import { randomSeed, type Sampler, type StudyView } from './base.js';

/**
 * Every combination of the given values, each once, in an order shuffled by the seed. A trial
 * takes the first point no earlier trial holds, so workers sharing a storage split the grid;
 * once every point is taken the study stops (optimize asks `isExhausted`).
 */
export class GridSampler implements Sampler {
  private readonly names: string[];
  private readonly points: ParamValue[][];

  constructor(
    readonly grid: Record<string, readonly ParamValue[]>,
    options: { seed?: number } = {},
  ) {
    this.names = Object.keys(grid).sort();
    for (const n of this.names) if (grid[n].length === 0) throw new RangeError(`GridSampler: '${n}' has no values`);
    let points: ParamValue[][] = [[]];
    for (const n of this.names) points = points.flatMap((p) => grid[n].map((v) => [...p, v]));
    const rng = new Rng(options.seed ?? randomSeed());
    for (let i = points.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [points[i], points[j]] = [points[j], points[i]];
    }
    this.points = points;
  }

  get size(): number {
    return this.points.length;
  }

  inferRelativeSearchSpace(): Record<string, Distribution> {
    return Object.fromEntries(this.names.map((n) => [n, categoricalDistribution(n, this.grid[n])]));
  }

  sampleRelative(study: StudyView, trial: FrozenTrial): Record<string, ParamValue> {
    const taken = this.takenPoints(study, trial);
    const index = this.points.findIndex((_, i) => !taken.has(i));
    // Every point is taken (by running trials too): revisit one, as Optuna does.
    const point = this.points[index >= 0 ? index : trial.number % this.points.length];
    return Object.fromEntries(this.names.map((n, i) => [n, point[i]]));
  }

  sampleIndependent(_study: StudyView, _trial: FrozenTrial, name: string): ParamValue {
    throw new RangeError(`GridSampler: '${name}' is not in the grid (${this.names.join(', ')})`);
  }

  /** True once every point belongs to a finished or running trial. */
  isExhausted(study: StudyView): boolean {
    return this.takenPoints(study, null).size >= this.points.length;
  }

  private takenPoints(study: StudyView, current: FrozenTrial | null): Set<number> {
    const taken = new Set<number>();
    for (const t of study.trials) {
      if (t.number === current?.number || t.state === 'fail' || t.state === 'waiting') continue;
      const i = this.points.findIndex((p) => this.names.every((n, k) => t.params[n] === p[k]));
      if (i >= 0) taken.add(i);
    }
    return taken;
  }
}
