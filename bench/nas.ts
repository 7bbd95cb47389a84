/**
 * Do the NAS mutators find better archs than chance? On NB201 (8 channels, 1 cell per stage)
 * unless `--space ID --space-options JSON` (rows then in bench/results/nas-ID.jsonl). For each
 * seed: each mutator searches (`runNas`, E epochs on the first N training images, half for the
 * weights, half for the architecture), then the found archs and 5 random archs of the same space are each trained from
 * scratch the same way (`trainSubnet`, T epochs on the same N images) and scored on the 10,000
 * Fashion-MNIST test images. One JSON line per search and per trained arch in
 * bench/results/nas.jsonl; a rerun skips what is there (resume after an interruption).
 *
 * Trained archs are keyed by (seed, arch, training settings): the random baseline and any arch
 * found twice are trained once across search settings.
 *
 * `--arch-lr gdas=3e-3,proxyless=1e-3` sets a mutator's architecture learning rate (Adam); a rate
 * other than the bench's default is kept in that mutator's search rows' settings. Defaults:
 * DARTS' 3e-4 for the differentiable ones, and 0.01 for ENAS's controller: with a few hundred
 * updates in a short search, ENAS's own 3.5e-4 leaves it where it started.
 *
 * `darts2` in --mutators is DARTS with the second-order gradient (`hbx nas --second-order`).
 *
 *   npx tsx bench/nas.ts [--space nb201] [--space-options JSON] [--mutators darts,darts2,gdas,proxyless,enas] [--arch-lr MUTATOR=X,...] [--out bench/results/nas.jsonl] [--seeds 0,1,2] [--search-epochs 3] [--warmup-epochs 1] [--train-epochs 3] [--images 10000] [--random 5]
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname } from 'node:path';
import { getDataset, subset } from '../datasets/index.js';
import { archFormOf, getSpace, formatNB201String } from '../networks/index.js';
import { runNas, type NasMutatorName } from '../search/index.js';
import { RandomMutator, seedInit, type Arch } from '../space/index.js';
import { DEFAULT_TRAIN, evaluateTop1, recalibrateBatchNorm, trainSubnet } from '../train/index.js';
import { initBackend } from '../tensor/index.js';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const SEEDS = arg('seeds', '0,1,2').split(',').map(Number);
const SEARCH_EPOCHS = Number(arg('search-epochs', '3'));
const WARMUP_EPOCHS = Number(arg('warmup-epochs', '1'));
const TRAIN_EPOCHS = Number(arg('train-epochs', '3'));
const IMAGES = Number(arg('images', '10000'));
const RANDOM = Number(arg('random', '5'));
const SPACE = arg('space', 'nb201');
const SPACE_OPTIONS = JSON.parse(arg('space-options', SPACE === 'nb201' ? '{"channels":8,"cellsPerStage":1}' : '{}')) as Record<string, unknown>;
const MUTATORS = arg('mutators', 'darts,gdas,enas').split(',') as (NasMutatorName | 'darts2')[];
const DEFAULT_ARCH_LR: Record<string, number> = { enas: 0.01 };
const ARCH_LR: Record<string, number> = Object.fromEntries(
  arg('arch-lr', '')
    .split(',')
    .filter(Boolean)
    .map((kv) => {
      const [name, value] = kv.split('=');
      const rate = Number(value);
      if (!(rate > 0)) throw new Error(`--arch-lr: expected MUTATOR=X with X > 0, got '${kv}'`);
      return [name, rate];
    }),
);
/** The mutator's architecture learning rate where the bench sets one (else runNas's default). */
const archLrOf = (name: string): number | undefined => ARCH_LR[name] ?? DEFAULT_ARCH_LR[name];
const OUT = arg('out', SPACE === 'nb201' ? 'bench/results/nas.jsonl' : `bench/results/nas-${SPACE}.jsonl`);

await initBackend('wasm');
const dataset = getDataset('fashion-mnist');
const full = dataset.load('train');
const train = subset(full, Uint32Array.from({ length: IMAGES }, (_, i) => i));
const test = dataset.load('test');
const def = getSpace(SPACE);
const options = { ...SPACE_OPTIONS, ...def.optionsFor({ channels: train.channels, classes: train.classes, size: train.height }) };
/** The supernet the random archs are drawn on and read in the space's form (the searches and trainings build their own). */
const reference = def.create(options);
/** An arch's key in the rows: NB201's string there (as older rows), else the space's own form. */
const archKey = (arch: Arch) => (SPACE === 'nb201' ? formatNB201String(arch) : JSON.stringify(archFormOf(def, reference, arch)));
// poolGradient: rows before avgPoolExcludingPadding trained avg_pool_3x3 with tfjs's wrong gradient; they are not reused.
const trainSettings = { trainEpochs: TRAIN_EPOCHS, images: IMAGES, spaceOptions: options, cpu: cpus()[0]?.model, poolGradient: 'exact' };
// Derivation as DARTS: never none where another operation is available (the default of runNas).
const settings = { ...trainSettings, searchEpochs: SEARCH_EPOCHS, warmupEpochs: WARMUP_EPOCHS, derive: 'none excluded' };

interface Row {
  kind: 'search' | 'train';
  seed: number;
  name: string;
  arch: string;
  [k: string]: unknown;
}
mkdirSync(dirname(OUT), { recursive: true });
const done: Row[] = existsSync(OUT) ? readFileSync(OUT, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Row) : [];
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
/** A search's settings: the architecture learning rate only where it is not the default (older rows have none). */
const searchSettings = (name: string) => (ARCH_LR[name] != null && ARCH_LR[name] !== DEFAULT_ARCH_LR[name] ? { ...settings, archLr: ARCH_LR[name] } : settings);
const found = (seed: number, name: string) => done.find((r) => r.kind === 'search' && r.seed === seed && r.name === name && same(r.settings, searchSettings(name)));
const trained = (seed: number, arch: string) => done.find((r) => r.kind === 'train' && r.seed === seed && r.arch === arch && same(r.settings, trainSettings));
const record = (row: Row) => {
  done.push(row);
  appendFileSync(OUT, `${JSON.stringify(row)}\n`);
  console.log(JSON.stringify(row));
};

/** Trains an arch's static network from scratch with the default recipe and scores it on the test split. */
async function trainArch(arch: Arch, seed: number): Promise<{ testTop1: number; seconds: number }> {
  const started = performance.now();
  seedInit(seed);
  const supernet = def.create(options);
  const model = def.subnet(supernet, arch);
  supernet.dispose();
  seedInit(seed);
  const resolution = train.height;
  const config = { ...DEFAULT_TRAIN, seed, epochs: TRAIN_EPOCHS, mean: dataset.mean, std: dataset.std, resolution };
  await trainSubnet(model, { config, train, val: subset(test, Uint32Array.from({ length: 500 }, (_, i) => i)) });
  recalibrateBatchNorm(model, train, { mean: dataset.mean, std: dataset.std, resolution, images: 2000 });
  const testTop1 = evaluateTop1(model, test, { mean: dataset.mean, std: dataset.std, resolution }).top1;
  model.dispose();
  return { testTop1, seconds: (performance.now() - started) / 1000 };
}

const results: { seed: number; archs: { name: string; testTop1: number }[] }[] = [];
for (const seed of SEEDS) {
  const archs: { name: string; arch: Arch }[] = [];
  for (const mutator of MUTATORS) {
    const have = found(seed, mutator);
    if (have) {
      archs.push({ name: mutator, arch: have.generic as Arch });
      continue;
    }
    const config = { epochs: SEARCH_EPOCHS, warmupEpochs: WARMUP_EPOCHS, seed, ...(archLrOf(mutator) != null ? { archLr: archLrOf(mutator) } : {}), ...(mutator === 'darts2' ? { order: 2 as const } : {}) };
    const r = await runNas({ space: SPACE, spaceOptions: SPACE_OPTIONS, mutator: mutator === 'darts2' ? 'darts' : mutator, data: train, mean: dataset.mean, std: dataset.std, config });
    record({ kind: 'search', seed, name: mutator, arch: archKey(r.arch), generic: r.arch, valTop1: r.valTop1, seconds: r.seconds, epochs: r.epochs.map((e) => ({ valTop1: e.valTop1, seconds: e.seconds })), settings: searchSettings(mutator) });
    archs.push({ name: mutator, arch: r.arch });
  }
  const sampler = new RandomMutator(reference, { seed: 1000 + seed });
  for (let i = 0; i < RANDOM; i++) archs.push({ name: `random${i + 1}`, arch: sampler.reset() });
  for (const { name, arch } of archs) {
    if (trained(seed, archKey(arch))) continue;
    const t = await trainArch(arch, seed);
    record({ kind: 'train', seed, name, arch: archKey(arch), ...t, settings: trainSettings });
  }
  results.push({ seed, archs: archs.map(({ name, arch }) => ({ name, testTop1: trained(seed, archKey(arch))!.testTop1 as number })) });
}

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
console.log(`\n${SPACE} ${JSON.stringify(SPACE_OPTIONS)} on Fashion-MNIST 28x28, search ${SEARCH_EPOCHS} epochs (${WARMUP_EPOCHS} weights only), training ${TRAIN_EPOCHS} epochs on ${IMAGES} images, test top-1 on 10,000`);
console.log(`| seed | ${MUTATORS.join(' | ')} | mean of ${RANDOM} random (min-max) | ${MUTATORS.map((m) => `${m} search s`).join(' | ')} |`);
console.log(`|---:|${MUTATORS.map(() => '---:|').join('')}---:|${MUTATORS.map(() => '---:|').join('')}`);
for (const { seed, archs } of results) {
  const of = (name: string) => archs.find((a) => a.name === name)!.testTop1;
  const random = archs.filter((a) => a.name.startsWith('random')).map((a) => a.testTop1);
  const mean = random.reduce((a, b) => a + b, 0) / random.length;
  const searchSeconds = (name: string) => (found(seed, name)?.seconds as number).toFixed(0);
  const randomCell = random.length ? `${pct(mean)} (${pct(Math.min(...random))}-${pct(Math.max(...random))})` : '-';
  console.log(`| ${seed} | ${MUTATORS.map((m) => pct(of(m))).join(' | ')} | ${randomCell} | ${MUTATORS.map(searchSeconds).join(' | ')} |`);
}
