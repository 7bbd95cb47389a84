/**
 * ProxylessNAS with the latency loss on NB201: as the latency weight rises, do the found archs
 * run faster when measured? For each weight, `runNas` (proxyless, expected latency priced from
 * this machine's `local` table of the configuration) then the found arch exported and timed end
 * to end by the timing protocol. Prints the rows and the Spearman correlation between weight and
 * measured ms, and writes the trade-off plot (measured ms and validation top-1 against the
 * weight) to bench/results/nas-latency.svg and .png, the rows to bench/results/nas-latency.json.
 *
 *   npx tsx bench/nas-latency.ts [--weights 0,0.003,0.01,0.03,0.1,0.3] [--epochs 3] [--warmup-epochs 1] [--images 4000] [--arch-lr 0.05] [--seed 0]
 */
import { cpus } from 'node:os';
import { writeFileSync } from 'node:fs';
import { getDataset, subset } from '../datasets/index.js';
import { getSpace, formatNB201String } from '../networks/index.js';
import { latencySpaceOf, LOCAL_DEVICE, measureArchs, openPredictor, referenceFor, spearman } from '../latency/index.js';
import { DEFAULT_SESSION } from '../runtime/index.js';
import { runNas, svgToPng, vegaLiteSvg } from '../search/index.js';
import { initBackend } from '../tensor/index.js';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const WEIGHTS = arg('weights', '0,0.003,0.01,0.03,0.1,0.3').split(',').map(Number);
const EPOCHS = Number(arg('epochs', '3'));
const WARMUP = Number(arg('warmup-epochs', '1'));
const IMAGES = Number(arg('images', '4000'));
const ARCH_LR = Number(arg('arch-lr', '0.05'));
const SEED = Number(arg('seed', '0'));
const SPACE_OPTIONS = { channels: 8, cellsPerStage: 2 };

await initBackend('wasm');
const dataset = getDataset('fashion-mnist');
const full = dataset.load('train');
const data = subset(full, Uint32Array.from({ length: IMAGES }, (_, i) => i));
const def = getSpace('nb201');
const model = def.create({ ...SPACE_OPTIONS, ...def.optionsFor({ channels: data.channels, classes: data.classes, size: data.height }) });
const space = latencySpaceOf(model);
// The local table of this configuration (profiled on first use; kept even on a busy machine: this bench times relative differences).
process.env.HBX_LATENCY_FORCE = '1';
const predictor = await openPredictor({ device: LOCAL_DEVICE, space, settings: DEFAULT_SESSION, onStale: (why) => console.log(why) });
console.log(`local table: ${predictor.path}`);

const rows: { weight: number; arch: string; predictedMs: number; measuredMs: number; spread: number; valTop1: number; seconds: number }[] = [];
for (const weight of WEIGHTS) {
  const r = await runNas({
    space: 'nb201',
    spaceOptions: SPACE_OPTIONS,
    mutator: 'proxyless',
    data,
    mean: dataset.mean,
    std: dataset.std,
    latencyWeight: weight,
    // A latency-aware search may drop an edge entirely: none is the fastest operation.
    allowNone: true,
    config: { epochs: EPOCHS, warmupEpochs: WARMUP, archLr: ARCH_LR, seed: SEED },
  });
  const [t] = await measureArchs(space, space.supernet(space.resolutions), [r.arch], { settings: DEFAULT_SESSION, reference: referenceFor(predictor.table) });
  const row = { weight, arch: formatNB201String(r.arch), predictedMs: predictor.predict(r.arch), measuredMs: t.ms, spread: t.spread, valTop1: r.valTop1, seconds: r.seconds };
  rows.push(row);
  console.log(JSON.stringify(row));
}

const rho = spearman(rows.map((r) => r.weight), rows.map((r) => r.measuredMs));
console.log(`\nNB201 ${JSON.stringify(SPACE_OPTIONS)} on Fashion-MNIST (${IMAGES} images), proxyless ${EPOCHS} epochs (${WARMUP} weights only), arch lr ${ARCH_LR}, seed ${SEED}; ${cpus()[0]?.model}`);
console.log('| latency weight | arch | predicted ms | measured ms | val top-1 (supernet weights) |');
console.log('|---:|---|---:|---:|---:|');
for (const r of rows) console.log(`| ${r.weight} | \`${r.arch}\` | ${r.predictedMs.toFixed(3)} | ${r.measuredMs.toFixed(3)} | ${(r.valTop1 * 100).toFixed(2)}% |`);
console.log(`Spearman(weight, measured ms) = ${rho.toFixed(3)}`);

// Weight 0 sits on a log axis at a tenth of the smallest positive weight.
const positive = WEIGHTS.filter((w) => w > 0);
const at = (w: number) => (w > 0 ? w : Math.min(...positive) / 10);
const values = rows.flatMap((r) => [
  { weight: at(r.weight), value: r.measuredMs, panel: 'measured latency (ms)' },
  { weight: at(r.weight), value: r.valTop1 * 100, panel: 'validation top-1, supernet weights (%)' },
]);
const svg = await vegaLiteSvg({
  $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
  title: `ProxylessNAS on NB201: latency weight against measured latency and accuracy (Spearman ${rho.toFixed(2)})`,
  data: { values },
  facet: { row: { field: 'panel', type: 'nominal', title: null } },
  spec: {
    width: 520,
    height: 180,
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'weight', type: 'quantitative', scale: { type: 'log' }, title: `latency weight (log; 0 drawn at ${at(0)})` },
      y: { field: 'value', type: 'quantitative', scale: { zero: false }, title: null },
    },
  },
  resolve: { scale: { y: 'independent' } },
});
writeFileSync('bench/results/nas-latency.svg', svg);
writeFileSync('bench/results/nas-latency.png', await svgToPng(svg));
writeFileSync('bench/results/nas-latency.json', `${JSON.stringify({ spaceOptions: SPACE_OPTIONS, images: IMAGES, epochs: EPOCHS, warmupEpochs: WARMUP, archLr: ARCH_LR, seed: SEED, cpu: cpus()[0]?.model, spearman: rho, rows }, null, 2)}\n`);
