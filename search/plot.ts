import type { TopLevelSpec } from 'vega-lite';

export interface PlotPoint {
  latencyMs: number;
  accuracy: number;
  series: 'explored' | 'Pareto front' | 'finalist (measured)' | 'chosen';
}

/** Accuracy against latency: explored candidates, the Pareto front, the measured finalists, the budget. */
export async function paretoSvg(points: PlotPoint[], o: { budgetMs?: number; title: string }): Promise<string> {
  const series = ['explored', 'Pareto front', 'finalist (measured)', 'chosen'];
  const color = { field: 'series', type: 'nominal', scale: { domain: series, range: ['#c7c7c7', '#1f77b4', '#ff7f0e', '#d62728'] }, title: null } as const;
  const x = { field: 'latencyMs', type: 'quantitative', title: 'latency (ms)', scale: { zero: false } } as const;
  const y = { field: 'accuracy', type: 'quantitative', title: 'top-1 accuracy (%)', scale: { zero: false } } as const;
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: o.title,
    width: 560,
    height: 360,
    data: { values: points.map((p) => ({ ...p, accuracy: p.accuracy * 100 })) },
    layer: [
      { transform: [{ filter: "datum.series === 'explored'" }], mark: { type: 'point', size: 8, opacity: 0.4, filled: true }, encoding: { x, y, color } },
      { transform: [{ filter: "datum.series === 'Pareto front'" }], mark: { type: 'line', point: true, interpolate: 'step-after' }, encoding: { x, y, color } },
      { transform: [{ filter: "datum.series === 'finalist (measured)'" }], mark: { type: 'point', size: 60, filled: true }, encoding: { x, y, color } },
      { transform: [{ filter: "datum.series === 'chosen'" }], mark: { type: 'point', shape: 'diamond', size: 160, filled: true }, encoding: { x, y, color } },
      ...(o.budgetMs != null ? [{ data: { values: [{ budget: o.budgetMs }] }, mark: { type: 'rule', strokeDash: [4, 4], color: '#444' }, encoding: { x: { field: 'budget', type: 'quantitative' } } }] : []),
    ],
  };
  return vegaLiteSvg(spec);
}

/** Renders a vega-lite spec to SVG, headless. */
export async function vegaLiteSvg(spec: object): Promise<string> {
  // Loaded on first use: the two packages take about 0.4 s to import, which every other command would pay.
  const [vega, { compile }] = await Promise.all([import('vega'), import('vega-lite')]);
  const view = new vega.View(vega.parse(compile(spec as unknown as TopLevelSpec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

export async function svgToPng(svg: string): Promise<Buffer> {
  const { default: sharp } = await import('sharp');
  return sharp(Buffer.from(svg), { density: 144 }).png().toBuffer();
}
