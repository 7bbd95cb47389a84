import type { Distribution, ParamValue } from '../distributions.js';
import { axisOf, fromAxis, toAxis } from './parzen.js';

/**
 * A parameter on [0, 1]: linear on the parameter's axis (its log for a log scale, widened by half
 * a step each side when stepped, so every grid value owns an equal share), a categorical's
 * choices as equal bins. Sobol points and CMA-ES work here.
 */
export function fromUnit(distribution: Distribution, u: number): ParamValue {
  const axis = axisOf(distribution);
  const t = Math.min(1, Math.max(0, u));
  if (axis.kind === 'categorical') return axis.choices[Math.min(axis.choices.length - 1, Math.floor(t * axis.choices.length))];
  return fromAxis(axis, axis.low + t * (axis.high - axis.low));
}

/** The inverse of fromUnit (a categorical's bin centre); null when the value does not fit the distribution. */
export function toUnit(distribution: Distribution, value: ParamValue): number | null {
  const axis = axisOf(distribution);
  const x = toAxis(axis, value);
  if (x == null) return null;
  if (axis.kind === 'categorical') return (x + 0.5) / axis.choices.length;
  return axis.high === axis.low ? 0.5 : (x - axis.low) / (axis.high - axis.low);
}
