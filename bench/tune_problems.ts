import { readFileSync } from 'node:fs';
import type { Trial } from '../tune/index.js';

/** Benchmark problems for samplers, all minimised; bench/tune_optuna.py defines the same ones for Optuna. */
export interface Problem {
  name: string;
  /** Best value there is (for reading the table), where known. */
  optimum: number | null;
  objective: (t: Trial) => number;
}

const branin = (x1: number, x2: number) =>
  (x2 - (5.1 / (4 * Math.PI ** 2)) * x1 ** 2 + (5 / Math.PI) * x1 - 6) ** 2 + 10 * (1 - 1 / (8 * Math.PI)) * Math.cos(x1) + 10;

const H6_A = [
  [10, 3, 17, 3.5, 1.7, 8],
  [0.05, 10, 17, 0.1, 8, 14],
  [3, 3.5, 1.7, 10, 17, 8],
  [17, 8, 0.05, 10, 0.1, 14],
];
const H6_P = [
  [1312, 1696, 5569, 124, 8283, 5886],
  [2329, 4135, 8307, 3736, 1004, 9991],
  [2348, 1451, 3522, 2883, 3047, 6650],
  [4047, 8828, 8732, 5743, 1091, 381],
].map((r) => r.map((v) => v * 1e-4));
const H6_ALPHA = [1, 1.2, 3, 3.2];
const hartmann6 = (x: number[]) => -H6_ALPHA.reduce((s, a, i) => s + a * Math.exp(H6_A[i].reduce((e, aij, j) => e - aij * (x[j] - H6_P[i][j]) ** 2, 0)), 0);

const rosenbrock = (x: number[]) => x.slice(0, -1).reduce((s, xi, i) => s + 100 * (x[i + 1] - xi ** 2) ** 2 + (1 - xi) ** 2, 0);

export interface Table {
  names: string[];
  choices: number[][];
  rows: { index: number[]; value: number }[];
}

/** The shipped supernet's evaluated subnets as a lookup table: a subnet's value is minus the top-1 of its nearest evaluated neighbour (Hamming). */
export function supernetTable(path = 'supernets/fashion-mnist/accuracy/samples.json'): Table {
  const samples: { choices: Record<string, number>; top1: number }[] = JSON.parse(readFileSync(path, 'utf8')).samples;
  const names = Object.keys(samples[0].choices).filter((n) => new Set(samples.map((s) => s.choices[n])).size > 1);
  const choices = names.map((n) => [...new Set(samples.map((s) => s.choices[n]))].sort((a, b) => a - b));
  const rows = samples.map((s) => ({ index: names.map((n, i) => choices[i].indexOf(s.choices[n])), value: -s.top1 }));
  return { names, choices, rows };
}

export function nearestValue(table: Table, index: number[]): number {
  let best = Infinity;
  let value = 0;
  for (const row of table.rows) {
    let d = 0;
    for (let i = 0; i < index.length; i++) if (row.index[i] !== index[i]) d++;
    if (d < best) {
      best = d;
      value = row.value;
    }
  }
  return value;
}

export function problems(table: Table): Problem[] {
  return [
    { name: 'branin', optimum: 0.397887, objective: (t) => branin(t.suggestFloat('x1', -5, 10), t.suggestFloat('x2', 0, 15)) },
    { name: 'hartmann6', optimum: -3.32237, objective: (t) => hartmann6([0, 1, 2, 3, 4, 5].map((i) => t.suggestFloat(`x${i}`, 0, 1))) },
    {
      name: 'rosenbrock5-log',
      optimum: 0,
      // The fifth coordinate is log10 of a log-scale parameter in [0.01, 100].
      objective: (t) => rosenbrock([...[0, 1, 2, 3].map((i) => t.suggestFloat(`x${i}`, -2, 2)), Math.log10(t.suggestFloat('scale', 0.01, 100, { log: true }))]),
    },
    {
      name: 'mixed',
      optimum: 0,
      objective: (t) => {
        const n = t.suggestInt('n', 0, 20);
        const kind = t.suggestCategorical('kind', ['a', 'b', 'c', 'd']);
        const x = t.suggestFloat('x', -1, 1);
        return (n - 7) ** 2 / 10 + { a: 1, b: 0.5, c: 0, d: 2 }[kind]! + (x - 0.3) ** 2;
      },
    },
    {
      name: 'conditional',
      optimum: 0,
      objective: (t) => {
        if (t.suggestCategorical('model', ['quad', 'sine']) === 'quad') return (t.suggestFloat('a', -5, 5) - 1) ** 2 + 0.5;
        return Math.sin(t.suggestFloat('b', 0, 10)) + 1 + 0.1 * (t.suggestInt('c', 1, 5) - 3) ** 2;
      },
    },
    {
      name: 'supernet-table',
      optimum: Math.min(...table.rows.map((r) => r.value)),
      objective: (t) => nearestValue(table, table.names.map((n, i) => table.choices[i].indexOf(t.suggestCategorical(n, table.choices[i])))),
    },
  ];
}
