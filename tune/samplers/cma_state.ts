/**
 * The (mu/mu_w, lambda)-CMA-ES update of Hansen's tutorial (arXiv:1604.00772, 2016): weighted
 * recombination, cumulative step-size adaptation, rank-one and rank-mu covariance updates.
 * Pure state in, state out, so a sampler can rebuild it from the trials alone.
 */
export interface CmaState {
  generation: number;
  mean: number[];
  sigma: number;
  cov: number[][];
  pathSigma: number[];
  pathCov: number[];
  /** Eigenvectors (columns) and square roots of the eigenvalues of cov. */
  basis: number[][];
  scales: number[];
}

export interface CmaParams {
  n: number;
  lambda: number;
  mu: number;
  weights: number[];
  muEff: number;
  cSigma: number;
  dSigma: number;
  cc: number;
  c1: number;
  cMu: number;
  chiN: number;
}

export function cmaParams(n: number, lambda = 4 + Math.floor(3 * Math.log(n))): CmaParams {
  const mu = Math.floor(lambda / 2);
  const raw = Array.from({ length: mu }, (_, i) => Math.log((lambda + 1) / 2) - Math.log(i + 1));
  const total = raw.reduce((s, w) => s + w, 0);
  const weights = raw.map((w) => w / total);
  const muEff = 1 / weights.reduce((s, w) => s + w * w, 0);
  const cSigma = (muEff + 2) / (n + muEff + 5);
  const c1 = 2 / ((n + 1.3) ** 2 + muEff);
  return {
    n,
    lambda,
    mu,
    weights,
    muEff,
    cSigma,
    dSigma: 1 + 2 * Math.max(0, Math.sqrt((muEff - 1) / (n + 1)) - 1) + cSigma,
    cc: (4 + muEff / n) / (n + 4 + (2 * muEff) / n),
    c1,
    cMu: Math.min(1 - c1, (2 * (muEff - 2 + 1 / muEff)) / ((n + 2) ** 2 + muEff)),
    chiN: Math.sqrt(n) * (1 - 1 / (4 * n) + 1 / (21 * n * n)),
  };
}

export function initialState(mean: number[], sigma: number): CmaState {
  const n = mean.length;
  const identity = (): number[][] => Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
  return { generation: 0, mean: [...mean], sigma, cov: identity(), pathSigma: new Array(n).fill(0), pathCov: new Array(n).fill(0), basis: identity(), scales: new Array(n).fill(1) };
}

/** A candidate mean + sigma * B * D * z for standard normal z. */
export function candidate(state: CmaState, z: readonly number[]): number[] {
  const n = state.mean.length;
  return state.mean.map((m, i) => {
    let y = 0;
    for (let j = 0; j < n; j++) y += state.basis[i][j] * state.scales[j] * z[j];
    return m + state.sigma * y;
  });
}

/** The next generation's state from this generation's solutions, best first (at least mu of them). */
export function tell(state: CmaState, p: CmaParams, rankedSolutions: readonly number[][]): CmaState {
  const { n, mu, weights, muEff, cSigma, dSigma, cc, c1, cMu, chiN } = p;
  const steps = rankedSolutions.slice(0, mu).map((x) => x.map((xi, i) => (xi - state.mean[i]) / state.sigma));
  const yw = new Array(n).fill(0);
  steps.forEach((y, k) => y.forEach((yi, i) => (yw[i] += weights[k] * yi)));
  const mean = state.mean.map((m, i) => m + state.sigma * yw[i]);
  // C^(-1/2) y_w = B D^-1 B^T y_w
  const bty = state.basis[0].map((_, j) => state.basis.reduce((s, row, i) => s + row[j] * yw[i], 0) / state.scales[j]);
  const invSqrtY = state.basis.map((row) => row.reduce((s, b, j) => s + b * bty[j], 0));
  const kSigma = Math.sqrt(cSigma * (2 - cSigma) * muEff);
  const pathSigma = state.pathSigma.map((ps, i) => (1 - cSigma) * ps + kSigma * invSqrtY[i]);
  const normPs = Math.hypot(...pathSigma);
  const g = state.generation + 1;
  const hSigma = normPs / Math.sqrt(1 - (1 - cSigma) ** (2 * g)) < (1.4 + 2 / (n + 1)) * chiN ? 1 : 0;
  const kc = Math.sqrt(cc * (2 - cc) * muEff);
  const pathCov = state.pathCov.map((pc, i) => (1 - cc) * pc + hSigma * kc * yw[i]);
  const keep = 1 - c1 - cMu + (1 - hSigma) * c1 * cc * (2 - cc);
  const cov = state.cov.map((row, i) =>
    row.map((cij, j) => keep * cij + c1 * pathCov[i] * pathCov[j] + cMu * steps.reduce((s, y, k) => s + weights[k] * y[i] * y[j], 0)),
  );
  const sigma = state.sigma * Math.exp((cSigma / dSigma) * (normPs / chiN - 1));
  const { vectors, values } = symmetricEigen(cov);
  return { generation: g, mean, sigma, cov, pathSigma, pathCov, basis: vectors, scales: values.map((v) => Math.sqrt(Math.max(v, 1e-300))) };
}

/** Cyclic Jacobi rotations: eigenvectors as columns and eigenvalues of a small symmetric matrix. */
export function symmetricEigen(matrix: readonly number[][]): { vectors: number[][]; values: number[] } {
  const n = matrix.length;
  const a = matrix.map((row, i) => row.map((_, j) => (matrix[i][j] + matrix[j][i]) / 2));
  const v: number[][] = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0;
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) off += a[i][j] * a[i][j];
    if (off < 1e-30) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        if (Math.abs(a[p][q]) < 1e-300) continue;
        const theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k][p];
          const akq = a[k][q];
          a[k][p] = c * akp - s * akq;
          a[k][q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p][k];
          const aqk = a[q][k];
          a[p][k] = c * apk - s * aqk;
          a[q][k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k][p];
          const vkq = v[k][q];
          v[k][p] = c * vkp - s * vkq;
          v[k][q] = s * vkp + c * vkq;
        }
      }
    }
  }
  return { vectors: v, values: a.map((row, i) => row[i]) };
}
