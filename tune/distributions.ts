/** What a parameter may take: Optuna's three distributions, as plain data (they travel through storages). */
export type ParamValue = string | number | boolean | null;

export interface FloatDistribution {
  type: 'float';
  low: number;
  high: number;
  log: boolean;
  step: number | null;
}

export interface IntDistribution {
  type: 'int';
  low: number;
  high: number;
  log: boolean;
  step: number;
}

export interface CategoricalDistribution {
  type: 'categorical';
  choices: ParamValue[];
}

export type Distribution = FloatDistribution | IntDistribution | CategoricalDistribution;

export interface NumericOptions {
  log?: boolean;
  step?: number | null;
}

/** Checks Optuna's rules and returns the distribution; a broken one throws a RangeError naming the parameter. */
export function floatDistribution(name: string, low: number, high: number, options: NumericOptions = {}): FloatDistribution {
  const log = options.log ?? false;
  const step = options.step ?? null;
  checkNumeric(name, low, high, log, step);
  // A stepped range ends on the last step that fits.
  const top = step == null ? high : low + Math.floor((high - low) / step + 1e-9) * step;
  return { type: 'float', low, high: top, log, step };
}

export function intDistribution(name: string, low: number, high: number, options: NumericOptions = {}): IntDistribution {
  const log = options.log ?? false;
  const step = options.step ?? 1;
  if (!Number.isInteger(low) || !Number.isInteger(high)) throw new RangeError(`${name}: low and high must be integers, got ${low} and ${high}`);
  if (!Number.isInteger(step)) throw new RangeError(`${name}: step must be an integer, got ${step}`);
  if (log && step !== 1) throw new RangeError(`${name}: a log-scale integer takes no step other than 1`);
  checkNumeric(name, low, high, log, null);
  return { type: 'int', low, high: low + Math.floor((high - low) / step) * step, log, step };
}

export function categoricalDistribution(name: string, choices: readonly ParamValue[]): CategoricalDistribution {
  if (choices.length === 0) throw new RangeError(`${name}: a categorical needs at least one choice`);
  return { type: 'categorical', choices: [...choices] };
}

function checkNumeric(name: string, low: number, high: number, log: boolean, step: number | null): void {
  if (!Number.isFinite(low) || !Number.isFinite(high)) throw new RangeError(`${name}: low and high must be finite, got ${low} and ${high}`);
  if (low > high) throw new RangeError(`${name}: low (${low}) must not exceed high (${high})`);
  if (log && low <= 0) throw new RangeError(`${name}: a log scale needs low > 0, got ${low}`);
  if (step != null && !(step > 0)) throw new RangeError(`${name}: step must be > 0, got ${step}`);
  if (log && step != null && step !== 1) throw new RangeError(`${name}: a log scale takes no step`);
}

export function isSingle(d: Distribution): boolean {
  return d.type === 'categorical' ? d.choices.length === 1 : d.low === d.high;
}

export function contains(d: Distribution, value: ParamValue): boolean {
  if (d.type === 'categorical') return d.choices.some((c) => c === value);
  if (typeof value !== 'number' || value < d.low || value > d.high) return false;
  if (d.type === 'int' && !Number.isInteger(value)) return false;
  if (d.step == null) return true;
  const k = (value - d.low) / d.step;
  return Math.abs(k - Math.round(k)) < 1e-8;
}

/** Same kind and same numeric scale: samplers treat observations under either as one parameter. Categoricals may grow. */
export function compatible(a: Distribution, b: Distribution): boolean {
  if (a.type !== b.type) return false;
  if (a.type === 'categorical') return true;
  const nb = b as FloatDistribution | IntDistribution;
  return a.log === nb.log && (a.step ?? null) === (nb.step ?? null);
}

/** Snaps a number onto a numeric distribution's grid and range. */
export function snap(d: FloatDistribution | IntDistribution, x: number): number {
  let v = x;
  if (d.step != null) v = d.low + Math.round((v - d.low) / d.step) * d.step;
  else if (d.type === 'int') v = Math.round(v);
  v = Math.min(d.high, Math.max(d.low, v));
  if (d.type === 'float' && d.step != null) v = Number(v.toPrecision(12));
  return v;
}

export function sameDistribution(a: Distribution, b: Distribution): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
