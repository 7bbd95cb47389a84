import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { vegaLiteSvg } from '../search/index.js';
import { HBX_VERSION } from '../tensor/index.js';
import { lastStep, type FrozenTrial } from './frozen.js';
import { parameterImportances } from './importance.js';
import { summarizeStudy, writeAtomically } from './outputs.js';
import { toUnit } from './samplers/unit.js';
import type { Study } from './study.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';
const escape = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

const complete = (study: Study) => study.trials.filter((t) => t.state === 'complete' && t.values?.every(Number.isFinite));

/** Each complete trial's value by trial number, and the best so far (one objective); objective 1 against 0 with the Pareto front (several). */
export function historySpec(study: Study): object {
  const trials = complete(study);
  if (study.directions.length > 1) {
    const front = new Set(study.bestTrials.map((t) => t.number));
    const values = trials.map((t) => ({ number: t.number, a: t.values![0], b: t.values![1], series: front.has(t.number) ? 'Pareto front' : 'trial' }));
    return {
      $schema: SCHEMA,
      title: 'Objectives of the complete trials',
      width: 520,
      height: 320,
      data: { values },
      mark: { type: 'point', filled: true },
      encoding: {
        x: { field: 'a', type: 'quantitative', title: `objective 0 (${study.directions[0]})`, scale: { zero: false } },
        y: { field: 'b', type: 'quantitative', title: `objective 1 (${study.directions[1]})`, scale: { zero: false } },
        color: { field: 'series', type: 'nominal', scale: { domain: ['trial', 'Pareto front'], range: ['#9ecae1', '#d62728'] }, title: null },
        tooltip: [{ field: 'number' }, { field: 'a' }, { field: 'b' }],
      },
    };
  }
  const sign = study.directions[0] === 'minimize' ? 1 : -1;
  let best = Infinity;
  const values = trials.flatMap((t) => {
    best = Math.min(best, sign * t.values![0]);
    return [
      { number: t.number, value: t.values![0], series: 'trial' },
      { number: t.number, value: sign * best, series: 'best so far' },
    ];
  });
  const color = { field: 'series', type: 'nominal', scale: { domain: ['trial', 'best so far'], range: ['#1f77b4', '#d62728'] }, title: null };
  const x = { field: 'number', type: 'quantitative', title: 'trial' };
  const y = { field: 'value', type: 'quantitative', title: `objective (${study.directions[0]})`, scale: { zero: false } };
  return {
    $schema: SCHEMA,
    title: 'Optimisation history',
    width: 520,
    height: 320,
    data: { values },
    layer: [
      { transform: [{ filter: "datum.series === 'trial'" }], mark: { type: 'point', filled: true }, encoding: { x, y, color } },
      { transform: [{ filter: "datum.series === 'best so far'" }], mark: { type: 'line', interpolate: 'step-after' }, encoding: { x, y, color } },
    ],
  };
}

/** One line per complete trial across the parameters, each on [0, 1] of its range (log where log), coloured by objective 0. */
export function parallelSpec(study: Study): object {
  const trials = complete(study);
  const names = [...new Set(trials.flatMap((t) => Object.keys(t.params)))].sort();
  const values = trials.flatMap((t) =>
    names.filter((n) => n in t.params).map((n) => ({ number: t.number, parameter: n, position: toUnit(t.distributions[n], t.params[n]), shown: String(t.params[n]), value: t.values![0] })),
  );
  return {
    $schema: SCHEMA,
    title: 'Parameters of the complete trials (each axis: its range, log scale where log)',
    width: Math.max(320, 120 * names.length),
    height: 320,
    data: { values },
    mark: { type: 'line', opacity: 0.6, point: { size: 12 } },
    encoding: {
      x: { field: 'parameter', type: 'nominal', sort: names, title: null, axis: { labelAngle: 0 } },
      y: { field: 'position', type: 'quantitative', title: 'position in range', scale: { domain: [0, 1] } },
      detail: { field: 'number', type: 'nominal' },
      color: { field: 'value', type: 'quantitative', title: 'objective', scale: { scheme: 'viridis', reverse: study.directions[0] === 'minimize' } },
      tooltip: [{ field: 'number' }, { field: 'parameter' }, { field: 'shown', title: 'value' }, { field: 'value', title: 'objective' }],
    },
  };
}

export function importanceSpec(importances: Record<string, number>): object {
  return {
    $schema: SCHEMA,
    title: 'Parameter importances (variance explained alone, epsilon-squared, normalised)',
    width: 420,
    height: Math.max(60, 28 * Object.keys(importances).length),
    data: { values: Object.entries(importances).map(([parameter, importance]) => ({ parameter, importance })) },
    mark: 'bar',
    encoding: {
      y: { field: 'parameter', type: 'nominal', sort: '-x', title: null },
      x: { field: 'importance', type: 'quantitative', title: 'share', scale: { domain: [0, 1] } },
    },
  };
}

function table(head: string[], rows: string[][]): string {
  return `<table><thead><tr>${head.map((h) => `<th>${escape(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${escape(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

const MAX_ROWS = 500;

/** Trials table rows: the best first for one objective, in number order otherwise; at most MAX_ROWS. */
function trialRows(study: Study, names: string[]): string[][] {
  const sign = study.directions[0] === 'minimize' ? 1 : -1;
  const ordered: FrozenTrial[] =
    study.directions.length === 1 ? [...study.trials].sort((a, b) => (a.values ? sign * a.values[0] : Infinity) - (b.values ? sign * b.values[0] : Infinity) || a.number - b.number) : [...study.trials];
  return ordered.slice(0, MAX_ROWS).map((t) => [String(t.number), t.state, t.values?.map((v) => v.toPrecision(5)).join(', ') ?? '', ...names.map((n) => (n in t.params ? String(t.params[n]) : '')), String(lastStep(t) ?? '')]);
}

/** history.svg, parallel.svg, importances.svg and a self-contained report.html (the SVGs inline). */
export async function writeStudyReport(study: Study, out: string): Promise<{ report: string }> {
  mkdirSync(out, { recursive: true });
  const importances = parameterImportances(study.trials);
  const svgs = {
    history: await vegaLiteSvg(historySpec(study)),
    parallel: await vegaLiteSvg(parallelSpec(study)),
    importances: await vegaLiteSvg(importanceSpec(importances)),
  };
  for (const [name, svg] of Object.entries(svgs)) writeAtomically(join(out, `${name}.svg`), svg);
  const summary = summarizeStudy(study);
  const names = [...new Set(study.trials.flatMap((t) => Object.keys(t.params)))].sort();
  const counts = Object.entries(summary.counts).filter(([, n]) => n > 0).map(([s, n]) => `${n} ${s}`).join(', ');
  const best = summary.best.map((b) => `trial ${b.number}: ${b.values.map((v) => v.toPrecision(6)).join(', ')} with ${JSON.stringify(b.params)}`);
  const html = `<!doctype html>
<html><head><meta charset="utf-8"><title>hbx tune: ${escape(study.name)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f4f4f4}section{margin:1.5em 0}</style></head>
<body><h1>Study ${escape(study.name)}</h1>
${table(['', ''], [
  ['storage', summary.storage],
  ['directions', summary.directions.join(', ')],
  ['trials', counts || 'none'],
  [summary.best.length > 1 ? 'Pareto front' : 'best', best.join('; ') || 'no complete trial yet'],
  ['importances', Object.entries(importances).sort((a, b) => b[1] - a[1]).map(([n, v]) => `${n} ${(v * 100).toFixed(0)}%`).join(', ')],
  ['hbx', HBX_VERSION],
])}
<section>${svgs.history}</section>
<section>${svgs.parallel}</section>
<section>${svgs.importances}</section>
<section><h2>Trials${study.trials.length > MAX_ROWS ? ` (the first ${MAX_ROWS} of ${study.trials.length}; all are in trials.csv)` : ''}</h2>
${table(['number', 'state', 'value', ...names, 'last step'], trialRows(study, names))}</section>
</body></html>
`;
  const report = join(out, 'report.html');
  writeAtomically(report, html);
  return { report };
}
