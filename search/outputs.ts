import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic, type Arch } from '../space/index.js';
import { archFormOf, spaceOf, type ArchForm } from '../networks/index.js';
import { exportOnnx } from '../export/index.js';
import { recalibrateBatchNorm } from '../train/index.js';
import type { SearchOutcome } from './run.js';
import { paretoSvg, svgToPng, type PlotPoint } from './plot.js';
import { renderReport } from './report.js';

export interface SearchFiles {
  arch: string;
  onnx: string;
  paretoCsv: string;
  paretoJson: string;
  paretoSvg: string;
  paretoPng: string;
  report: string;
}

/** Explored candidates drawn in the plot (a deterministic thinning of the archive). */
const PLOT_EXPLORED = 3000;

/**
 * Writes the search's results into `out`: arch.json, subnet.onnx (inherited weights, BN
 * recalibrated on 2,000 training images), pareto.csv/json, pareto.svg/png and report.html.
 * Every file is written atomically.
 */
export async function writeSearchOutputs(r: SearchOutcome, out: string): Promise<SearchFiles> {
  mkdirSync(out, { recursive: true });
  const files: SearchFiles = {
    arch: join(out, 'arch.json'),
    onnx: join(out, 'subnet.onnx'),
    paretoCsv: join(out, 'pareto.csv'),
    paretoJson: join(out, 'pareto.json'),
    paretoSvg: join(out, 'pareto.svg'),
    paretoPng: join(out, 'pareto.png'),
    report: join(out, 'report.html'),
  };
  writeFileAtomic(files.arch, `${JSON.stringify(r.chosen.arch, null, 2)}\n`);
  writeFileAtomic(files.onnx, exportChosen(r, r.chosen.arch));
  const rows = paretoRows(r);
  writeFileAtomic(files.paretoJson, `${JSON.stringify(rows, null, 2)}\n`);
  writeFileAtomic(files.paretoCsv, paretoCsv(rows));
  const svg = await paretoSvg(plotPoints(r), { budgetMs: r.settings.constraints.latencyMs, title: `${r.settings.strategy} search on ${r.settings.device}` });
  writeFileAtomic(files.paretoSvg, svg);
  writeFileAtomic(files.paretoPng, await svgToPng(svg));
  writeFileAtomic(files.report, renderReport(r, svg));
  return files;
}

function exportChosen(r: SearchOutcome, arch: Arch): Uint8Array {
  const subnet = spaceOf(r.supernet).subnet(r.supernet, arch);
  const batch = { mean: r.data.mean, std: r.data.std, resolution: arch.choices.resolution as number };
  recalibrateBatchNorm(subnet, r.data.recalibration, { ...batch, images: 2000 });
  const bytes = exportOnnx(subnet, { mean: r.data.mean, std: r.data.std, labels: r.data.labels });
  subnet.dispose();
  return bytes;
}

export interface ParetoRow {
  arch: ArchForm;
  predictedAccuracy: number;
  /** Supernet top-1 on the validation split, where the candidate was a finalist. */
  accuracy?: number;
  predictedMs: number;
  measuredMs?: number;
  macs: number;
  params: number;
}

function paretoRows(r: SearchOutcome): ParetoRow[] {
  const finalists = new Map(r.finalists.map((f) => [JSON.stringify(f.arch.choices), f]));
  return r.front
    .map((c) => {
      const f = finalists.get(JSON.stringify(c.arch.choices));
      return { arch: archFormOf(spaceOf(r.supernet), r.supernet, c.arch), predictedAccuracy: c.accuracy, accuracy: f?.accuracy, predictedMs: c.latencyMs!, measuredMs: f?.measuredMs, macs: c.macs, params: c.params };
    })
    .sort((a, b) => a.predictedMs - b.predictedMs);
}

function paretoCsv(rows: ParetoRow[]): string {
  const fields = Object.keys(rows[0]?.arch ?? {});
  const header = [...fields, 'predicted_accuracy', 'accuracy', 'predicted_ms', 'measured_ms', 'macs', 'params'].join(',');
  const cell = (v: number | undefined) => (v == null ? '' : String(v));
  const archCell = (v: ArchForm[string]) => (Array.isArray(v) ? `"${v.join(' ')}"` : typeof v === 'string' ? `"${v.replace(/"/g, '""')}"` : String(v));
  const lines = rows.map((p) => [...fields.map((f) => archCell(p.arch[f])), cell(p.predictedAccuracy), cell(p.accuracy), cell(p.predictedMs), cell(p.measuredMs), p.macs, p.params].join(','));
  return `${[header, ...lines].join('\n')}\n`;
}

function plotPoints(r: SearchOutcome): PlotPoint[] {
  const archive = r.archive;
  const step = Math.max(1, Math.ceil(archive.length / PLOT_EXPLORED));
  const explored = archive.filter((_, i) => i % step === 0).map((c) => ({ latencyMs: c.latencyMs!, accuracy: c.accuracy, series: 'explored' as const }));
  const front = r.front.map((c) => ({ latencyMs: c.latencyMs!, accuracy: c.accuracy, series: 'Pareto front' as const }));
  const finalists = r.finalists.map((f) => ({ latencyMs: f.measuredMs ?? f.predictedMs, accuracy: f.accuracy, series: f === r.chosen ? ('chosen' as const) : ('finalist (measured)' as const) }));
  return [...explored, ...front, ...finalists];
}
