import { quantile } from '../runtime/index.js';

/** Least-squares y = slope * x + intercept. */
export function fitLinear(xs: readonly number[], ys: readonly number[]): { slope: number; intercept: number } {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
  }
  const slope = sxx > 0 ? sxy / sxx : 1;
  return { slope, intercept: my - slope * mx };
}

/**
 * Least squares over feature rows (normal equations, Gaussian elimination with partial
 * pivoting); undefined when the features are collinear on these rows.
 */
export function leastSquares(rows: readonly (readonly number[])[], ys: readonly number[]): number[] | undefined {
  const m = rows[0]?.length ?? 0;
  const a = Array.from({ length: m }, (_, i) => [...Array.from({ length: m }, (_, j) => rows.reduce((s, r) => s + r[i] * r[j], 0)), rows.reduce((s, r, k) => s + r[i] * ys[k], 0)]);
  for (let c = 0; c < m; c++) {
    const pivot = a.slice(c).reduce((best, row, i) => (Math.abs(row[c]) > Math.abs(a[best][c]) ? c + i : best), c);
    [a[c], a[pivot]] = [a[pivot], a[c]];
    const scale = Math.max(...a.map((row) => Math.abs(row[c])));
    if (!(Math.abs(a[c][c]) > 1e-12 * (scale || 1))) return undefined;
    for (let r = 0; r < m; r++) {
      if (r === c) continue;
      const f = a[r][c] / a[c][c];
      for (let k = c; k <= m; k++) a[r][k] -= f * a[c][k];
    }
  }
  return a.map((row, i) => row[m] / row[i]);
}

/** Ranks with ties averaged. */
function ranks(xs: readonly number[]): number[] {
  const order = xs.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const r = new Array<number>(xs.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && order[j + 1][0] === order[i][0]) j++;
    for (let k = i; k <= j; k++) r[order[k][1]] = (i + j) / 2;
    i = j + 1;
  }
  return r;
}

function pearson(a: readonly number[], b: readonly number[]): number {
  const n = a.length;
  const ma = a.reduce((s, v) => s + v, 0) / n;
  const mb = b.reduce((s, v) => s + v, 0) / n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

export function spearman(a: readonly number[], b: readonly number[]): number {
  return pearson(ranks(a), ranks(b));
}

export interface ErrorReport {
  samples: number;
  /** Shares of predictions within +-5% / +-10% of the measurement (fractions 0..1). */
  within5: number;
  within10: number;
  /** Mean absolute percentage error, as a fraction. */
  mape: number;
  /** Median of predicted / measured - 1: a level shift every prediction shares (the machine's speed moved), apart from scatter. */
  bias: number;
  spearman: number;
}

export function errorReport(predicted: readonly number[], measured: readonly number[]): ErrorReport {
  const rel = predicted.map((p, i) => Math.abs(p - measured[i]) / measured[i]);
  const share = (t: number) => rel.filter((e) => e <= t).length / rel.length;
  return {
    samples: rel.length,
    within5: share(0.05),
    within10: share(0.1),
    mape: rel.reduce((a, b) => a + b, 0) / rel.length,
    bias: quantile(predicted.map((p, i) => p / measured[i] - 1).sort((a, b) => a - b), 0.5),
    spearman: spearman(predicted, measured),
  };
}
