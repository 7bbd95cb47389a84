import { archFormOf, spaceOf } from '../networks/index.js';
import { HBX_VERSION } from '../tensor/index.js';
import { describeCalibration } from '../latency/index.js';
import type { Finalist, LatencyBudget, SearchOutcome } from './run.js';
import { describeConstraints } from './problem.js';
import { formatCount, formatMs } from './units.js';

const escape = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
const ms = (x: number | undefined) => (x == null ? '&ndash;' : `${formatMs(x)} ms`);

function table(head: string[], rows: string[][]): string {
  return `<table><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

function archText(r: SearchOutcome, f: Finalist): string {
  const form = archFormOf(spaceOf(r.supernet), r.supernet, f.arch);
  return Object.entries(form)
    .map(([k, v]) => `${escape(k)} ${escape(Array.isArray(v) ? v.join(' ') : String(v))}`)
    .join('<br>');
}

/** `80% of the largest subnet's measured latency, 1.234 ms`. */
export const describeShare = (b: LatencyBudget): string => `${+(b.share * 100).toFixed(4)}% of the largest subnet's ${b.basis} latency, ${formatMs(b.largestMs)} ms`;

/** A self-contained HTML report: settings, device table, the answer, the plot, the finalists, timings. */
export function renderReport(r: SearchOutcome, svg: string): string {
  const s = r.settings;
  const space = spaceOf(r.supernet);
  const c = r.chosen;
  const settingsRows: [string, string][] = [
    ['constraints', `${escape(describeConstraints(s.constraints))}${r.latencyBudget ? ` (${describeShare(r.latencyBudget)})` : ''}`],
    ['strategy', `${s.strategy} (population ${s.population}, generations ${s.generations}${s.strategy === 'random' ? `, samples ${s.samples}` : ''}${s.strategy === 'nsga2' ? `, objectives accuracy + ${s.objectives.join(' + ')}` : ''})`],
    ['seed', String(s.seed)],
    ['supernet', escape(s.supernet)],
    ['space options', escape(`${space.id} ${JSON.stringify(space.config(r.supernet).options)}`)],
    ['device', escape(s.device) + (r.latencyTable.adapted ? ` (adapted from ${escape(r.latencyTable.adapted.from)} with ${r.latencyTable.adapted.timings} end-to-end timings)` : '')],
    ['latency table', `${escape(r.latencyTable.path || `$HBX_HOME/latency/${s.device}.json`)}; calibration ${r.latencyTable.calibration ? describeCalibration(r.latencyTable.calibration) : 'none'}`],
    ['runtime settings', escape(JSON.stringify(s.settings))],
    ['accuracy estimate', s.accuracy === 'direct' ? 'the supernet itself (1,000 validation images, BN recalibrated on 500)' : s.accuracy !== 'predictor' ? escape(s.accuracy) : `MLP predictor on ${r.predictor?.samples} supernet-evaluated subnets${r.predictor?.cached ? ' (cached)' : ''}; held-out ${r.predictor?.quality.heldOut}: RMSE ${((r.predictor?.quality.rmse ?? NaN) * 100).toFixed(2)} points, Spearman ${r.predictor?.quality.spearman.toFixed(3)}`],
    ['evaluation data', escape(r.data.source)],
    ['known subnets', s.useKnown ? `${r.known} evaluated before with these weights and settings (accuracy samples, earlier finalists); the most accurate that fit compete with the finalists` : 'not used (--no-known)'],
    ['calls', `${r.calls.cost} latency/cost predictions, ${r.calls.candidates} candidates scored, ${r.calls.accuracy} accuracy estimates (distinct subnets)`],
    ['rounds', r.rounds.map((x, i) => `${i + 1}: budget ${ms(x.latencyMs)} predicted${x.chosenMeasuredMs != null ? `, chosen measured ${ms(x.chosenMeasuredMs)}` : ''}`).join('; ')],
    ['time', `${r.seconds.total.toFixed(1)} s in all: accuracy predictor ${r.seconds.predictor.toFixed(1)} s, search ${r.seconds.search.toFixed(1)} s, finalists ${r.seconds.finish.toFixed(1)} s`],
    ['hbx', HBX_VERSION],
  ];
  const finalists = r.finalists.map((f) => [f === c ? '<b>chosen</b>' : f.fits ? 'fits' : 'over budget', f.from, archText(r, f), pct(f.predictedAccuracy), pct(f.accuracy), ms(f.predictedMs), ms(f.measuredMs), formatCount(f.macs), formatCount(f.params)]);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>hbx search report</title>
<style>body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:980px;color:#222}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}th{background:#f4f4f4}code{background:#f4f4f4;padding:1px 4px}</style>
</head><body>
<h1>hbx search</h1>
<p>Most accurate subnet under ${escape(describeConstraints(s.constraints))} on <b>${escape(s.device)}</b>:
top-1 ${pct(c.accuracy)} (validation, supernet weights, BN recalibrated), latency ${ms(c.measuredMs)} measured / ${ms(c.predictedMs)} predicted,
${formatCount(c.macs)} MACs, ${formatCount(c.params)} parameters.</p>
<h2>Chosen architecture</h2>
<p><code>${archText(r, c)}</code></p>
<h2>Accuracy against latency</h2>
${svg}
<h2>Finalists: predicted vs measured</h2>
<p>The search's best candidates by predicted accuracy, and as many of the most accurate known subnets that fit (evaluated the same way before: accuracy samples, earlier finalists), each evaluated with the supernet${s.device === 'local' ? ' and timed end to end' : ''}.</p>
${table(['', 'from', 'arch', 'predicted top-1', 'supernet top-1', 'predicted', 'measured', 'MACs', 'params'], finalists)}
<h2>Settings</h2>
${table(['', ''], settingsRows.map(([k, v]) => [k, v]))}
</body></html>
`;
}
