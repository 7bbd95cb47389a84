import { Rng } from '../../tensor/random.js';
import type { Distribution, ParamValue } from '../distributions.js';
import type { FrozenTrial } from '../frozen.js';
import { decisionRng, randomSeed, uniformChoice, type Sampler, type StudyView } from './base.js';
import { fromUnit } from './unit.js';

const BITS = 30;

/**
 * Primitive polynomials and initial direction numbers for dimensions 2..21 (Joe and Kuo's
 * new-joe-kuo-6.21201 table): [degree s, coefficients a, m_1..m_s]. Dimension 1 is van der Corput.
 */
const JOE_KUO: readonly (readonly [number, number, readonly number[]])[] = [
  [1, 0, [1]],
  [2, 1, [1, 3]],
  [3, 1, [1, 3, 1]],
  [3, 2, [1, 1, 1]],
  [4, 1, [1, 1, 3, 3]],
  [4, 4, [1, 3, 5, 13]],
  [5, 2, [1, 1, 5, 5, 17]],
  [5, 4, [1, 1, 5, 5, 5]],
  [5, 7, [1, 1, 7, 11, 19]],
  [5, 11, [1, 1, 5, 1, 1]],
  [5, 13, [1, 1, 1, 3, 11]],
  [5, 14, [1, 3, 5, 5, 31]],
  [6, 1, [1, 3, 3, 9, 7, 49]],
  [6, 13, [1, 1, 1, 15, 21, 21]],
  [6, 16, [1, 3, 1, 13, 27, 49]],
  [6, 19, [1, 1, 1, 15, 7, 5]],
  [6, 22, [1, 3, 1, 15, 13, 25]],
  [6, 25, [1, 1, 5, 5, 19, 61]],
  [7, 1, [1, 3, 7, 11, 23, 15, 103]],
  [7, 4, [1, 3, 7, 13, 13, 15, 69]],
];

export const SOBOL_MAX_DIMENSIONS = JOE_KUO.length + 1;

/** Direction numbers V[k] (k = 0 is the most significant bit) of one dimension, unscrambled. */
export function directionNumbers(dimension: number): Uint32Array {
  const v = new Uint32Array(BITS);
  if (dimension === 0) {
    for (let k = 0; k < BITS; k++) v[k] = 1 << (BITS - 1 - k);
    return v;
  }
  const [s, a, m] = JOE_KUO[dimension - 1];
  for (let k = 0; k < s; k++) v[k] = m[k] << (BITS - 1 - k);
  for (let k = s; k < BITS; k++) {
    let x = v[k - s] ^ (v[k - s] >>> s);
    for (let i = 1; i < s; i++) if ((a >>> (s - 1 - i)) & 1) x ^= v[k - i];
    v[k] = x;
  }
  return v;
}

function parity(x: number): number {
  let y = x ^ (x >>> 16);
  y ^= y >>> 8;
  y ^= y >>> 4;
  y ^= y >>> 2;
  y ^= y >>> 1;
  return y & 1;
}

/**
 * Matousek's linear matrix scramble and a digital shift (what scipy's scrambled Sobol does): each
 * output digit is the input digit plus a random combination of the more significant ones.
 * Stratification of every 2^m-point block is kept.
 */
function scramble(v: Uint32Array, rng: Rng): { v: Uint32Array; shift: number } {
  const rows: number[] = [];
  for (let r = 0; r < BITS; r++) {
    const own = 1 << (BITS - 1 - r);
    const above = r === 0 ? 0 : ((rng.int(2 ** r) << (BITS - r)) >>> 0) & ~((1 << (BITS - r)) - 1);
    rows.push((own | above) >>> 0);
  }
  const out = new Uint32Array(BITS);
  for (let k = 0; k < BITS; k++) {
    let x = 0;
    for (let r = 0; r < BITS; r++) if (parity(rows[r] & v[k])) x |= 1 << (BITS - 1 - r);
    out[k] = x >>> 0;
  }
  return { v: out, shift: rng.int(2 ** BITS) };
}

/** Coordinate `dimension` of point `index` of a (scrambled) Sobol sequence, in Gray-code order. */
export class SobolSequence {
  private readonly tables: { v: Uint32Array; shift: number }[] = [];

  constructor(private readonly options: { scramble: boolean; seed: number }) {}

  coordinate(index: number, dimension: number): number {
    if (dimension >= SOBOL_MAX_DIMENSIONS) throw new RangeError(`Sobol: at most ${SOBOL_MAX_DIMENSIONS} dimensions, asked for ${dimension + 1}`);
    const table = this.table(dimension);
    let gray = index ^ Math.floor(index / 2);
    let x = table.shift;
    for (let k = 0; gray > 0 && k < BITS; k++, gray = Math.floor(gray / 2)) if (gray % 2) x ^= table.v[k];
    return (x >>> 0) / 2 ** BITS;
  }

  private table(dimension: number): { v: Uint32Array; shift: number } {
    while (this.tables.length <= dimension) {
      const d = this.tables.length;
      const v = directionNumbers(d);
      this.tables.push(this.options.scramble ? scramble(v, new Rng(this.options.seed + 7919 * (d + 1))) : { v, shift: 0 });
    }
    return this.tables[dimension];
  }
}

/**
 * Quasi-random search: trial n takes point n of a scrambled Sobol sequence, a parameter the
 * coordinate of its own dimension. Dimensions go to parameters in the order the study first saw
 * them (trial by trial, in suggestion order), so define-by-run and conditional spaces work;
 * parameters beyond the 21st are drawn at random. Over 2^m trials every parameter's range is
 * covered evenly (one point in each of 2^m equal slices).
 */
export class QMCSampler implements Sampler {
  readonly seed: number;
  private readonly sequence: SobolSequence;

  constructor(options: { seed?: number; scramble?: boolean } = {}) {
    this.seed = options.seed ?? randomSeed();
    this.sequence = new SobolSequence({ scramble: options.scramble ?? true, seed: this.seed });
  }

  inferRelativeSearchSpace(): Record<string, Distribution> {
    return {};
  }

  sampleRelative(): Record<string, ParamValue> {
    return {};
  }

  sampleIndependent(study: StudyView, trial: FrozenTrial, name: string, distribution: Distribution): ParamValue {
    const dimension = dimensionOf(study, trial, name);
    if (dimension >= SOBOL_MAX_DIMENSIONS) return uniformChoice(distribution, decisionRng(this.seed, trial.number, name));
    return fromUnit(distribution, this.sequence.coordinate(trial.number, dimension));
  }
}

/** The parameter's rank in the order of first appearance over the study's trials (the current one's params so far included). */
function dimensionOf(study: StudyView, trial: FrozenTrial, name: string): number {
  const seen = new Set<string>();
  const visit = (t: FrozenTrial) => {
    for (const n of Object.keys(t.distributions)) {
      if (n === name) return true;
      seen.add(n);
    }
    return false;
  };
  for (const t of study.trials) {
    if (t.number === trial.number) continue;
    if (visit(t)) return seen.size;
  }
  visit(trial);
  return seen.size;
}
