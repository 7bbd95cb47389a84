import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import type { ImageDataset } from '../datasets/index.js';
import { split, subset } from '../datasets/index.js';
import { exportOnnx } from '../export/index.js';
import { archFormOf, getSpace, spaceOf, type ArchForm, type Cost } from '../networks/index.js';
import { DartsMutator, EnasMutator, GdasMutator, ProxylessMutator, RandomMutator, seedInit, writeFileAtomic, type AnyModule, type Arch, type LogitMutator, type LogitMutatorOptions } from '../space/index.js';
import { DEFAULT_SESSION } from '../runtime/index.js';
import { latencySpaceOf, LOCAL_DEVICE, openPredictor, type LatencyPredictor } from '../latency/index.js';
import { HBX_VERSION, InputError } from '../tensor/index.js';
import {
  DEFAULT_DIFFERENTIABLE_SEARCH,
  evaluateTop1,
  recalibrateBatchNorm,
  searchDifferentiable,
  searchEnas,
  type DifferentiableEpochReport,
  type EnasEpochReport,
  type DifferentiableSearchConfig,
} from '../train/index.js';

export const NAS_MUTATORS = ['darts', 'gdas', 'proxyless', 'enas'] as const;
export type NasMutatorName = (typeof NAS_MUTATORS)[number];

export interface NasOptions {
  space: string;
  /** Options of the space (validated by it); the dataset's channels, classes and image size are filled in. */
  spaceOptions?: Record<string, unknown>;
  spaceOptionsSource?: string;
  mutator: NasMutatorName;
  /** The training images: half train the weights, half the architecture (DARTS' split). */
  data: ImageDataset;
  /** Use only the first `images` of them (default all). */
  images?: number;
  mean: number[];
  std: number[];
  config?: Partial<Omit<DifferentiableSearchConfig, 'mean' | 'std' | 'resolution'>>;
  /** Derive `none` where it is the most probable operation (NB201's rule); by default, as DARTS, the best other one. */
  allowNone?: boolean;
  /** Hardware-aware: the architecture loss gains this times the expected latency on `device` (ms). */
  latencyWeight?: number;
  /** Device whose latency table prices the candidates (default local, profiled on first use). */
  device?: string;
  onProgress?: (what: string, done: number, total: number) => void;
  onMessage?: (line: string) => void;
  onEpoch?: (r: DifferentiableEpochReport | EnasEpochReport) => void;
  onStep?: (step: number, total: number) => void;
}

export interface NasOutcome {
  space: string;
  spaceOptions: Record<string, unknown>;
  mutator: NasMutatorName;
  arch: Arch;
  /** The arch in the space's own form (NB201's string, OFA's lists). */
  archForm: ArchForm;
  cost: Cost;
  /** Validation top-1 of the arch's subnet with the supernet's weights, BN recalibrated on 2,000 training images. */
  valTop1: number;
  epochs: DifferentiableEpochReport[];
  /** Each decision's candidates with their final probabilities. */
  probabilities: Record<string, Record<string, number>>;
  config: DifferentiableSearchConfig;
  images: { train: number; val: number };
  /** Where latency priced the candidates: the device, the weight, and the derived arch's predicted latency there. */
  latency?: { device: string; weight: number; predictedMs: number; expectedMs: number };
  seconds: number;
  onnx: Uint8Array;
}

function mutatorFor(name: Exclude<NasMutatorName, 'enas'>, model: AnyModule, options: LogitMutatorOptions): LogitMutator {
  if (name === 'darts') return new DartsMutator(model, options);
  return name === 'gdas' ? new GdasMutator(model, options) : new ProxylessMutator(model, options);
}

async function devicePredictor(model: AnyModule, o: NasOptions): Promise<LatencyPredictor> {
  const device = o.device ?? LOCAL_DEVICE;
  return openPredictor({ device, space: latencySpaceOf(model), settings: DEFAULT_SESSION, onProgress: o.onProgress, onStale: (why) => o.onMessage?.(`${why}\n`) });
}

/** The ms each candidate adds on the device, for a differentiable hardware-aware search. */
function candidateCosts(model: AnyModule, predictor: LatencyPredictor): Record<string, number[]> {
  const costs = predictor.candidateCosts();
  if (!costs) throw new InputError(`--latency-weight: the latency of '${spaceOf(model).id}' is not a sum over its decisions; the differentiable mutators price candidates only in such spaces (nb201, proxyless); --mutator enas takes any space with latency blocks`);
  return costs;
}

interface Searched {
  arch: Arch;
  epochs: DifferentiableEpochReport[];
  probabilities: Record<string, Record<string, number>>;
  dispose(): void;
}

/** The search itself, by the mutator's kind: bi-level for the differentiable ones, alternating REINFORCE for ENAS. */
async function search(o: NasOptions, model: AnyModule, config: DifferentiableSearchConfig, halves: { train: ImageDataset; val: ImageDataset }, predictor: LatencyPredictor | undefined): Promise<Searched> {
  const latencyWeight = o.latencyWeight ?? 0;
  const named = (probabilities: Record<string, number[]>, names: Record<string, string[]>) =>
    Object.fromEntries(Object.entries(probabilities).map(([key, p]) => [key, Object.fromEntries(p.map((v, i) => [names[key][i], v]))]));
  if (o.mutator === 'enas') {
    const mutator = new EnasMutator(model, { seed: config.seed, ...(o.config?.archLr != null ? { lr: o.config.archLr } : {}) });
    const latency = predictor && { weight: latencyWeight, latencyOf: (arch: Arch) => predictor.predict(arch) };
    const r = await searchEnas({ model, mutator, config, ...halves, latency, onEpoch: o.onEpoch, onStep: o.onStep });
    return { ...r, probabilities: named(mutator.probabilities(), mutator.actionNames()), dispose: () => mutator.dispose() };
  }
  const costs = predictor && candidateCosts(model, predictor);
  const def = spaceOf(model);
  const mutator = mutatorFor(o.mutator, model, { seed: config.seed, costs, latencyWeight, deriveExcluding: o.allowNone ? [] : ['none'], inputEdges: def.inputEdges?.(model) });
  const r = await searchDifferentiable({ model, mutator, config, ...halves, onEpoch: o.onEpoch, onStep: o.onStep });
  const names = Object.fromEntries([...mutator.decisions].map(([key, d]) => [key, d.primary.describeCandidates()]));
  return { ...r, probabilities: named(mutator.probabilities(), names), dispose: () => mutator.dispose() };
}

/**
 * A differentiable architecture search on one space and dataset: the supernet and the
 * mutator's logits trained bi-level, the derived arch's subnet (inherited weights, BN
 * recalibrated) evaluated on the held-out half and exported.
 */
export async function runNas(o: NasOptions): Promise<NasOutcome> {
  const started = performance.now();
  if (!(NAS_MUTATORS as readonly string[]).includes(o.mutator)) throw new InputError(`--mutator: expected one of ${NAS_MUTATORS.join(', ')}, got '${o.mutator}'`);
  const def = getSpace(o.space);
  const data = o.images != null && o.images < o.data.count ? subset(o.data, Uint32Array.from({ length: o.images }, (_, i) => i)) : o.data;
  const size = data.height;
  const spaceOptions = { ...o.spaceOptions, ...def.optionsFor({ channels: data.channels, classes: data.classes, size }) };
  const config: DifferentiableSearchConfig = { ...DEFAULT_DIFFERENTIABLE_SEARCH, ...o.config, mean: o.mean, std: o.std, resolution: size };
  if (config.order === 2 && o.mutator !== 'darts') throw new InputError(`--second-order: only with --mutator darts (DARTS' unrolled gradient), not ${o.mutator}`);
  seedInit(config.seed);
  const model = def.create(spaceOptions, o.spaceOptionsSource ?? '--space-options');
  const latencyWeight = o.latencyWeight ?? 0;
  if (!(latencyWeight >= 0)) throw new InputError(`--latency-weight: expected a non-negative number, got ${latencyWeight}`);
  const kinds = new Set([...new RandomMutator(model).decisions.values()].map((d) => d.kind));
  if (o.mutator !== 'enas' && !kinds.has('operation')) {
    model.dispose();
    throw new InputError(`mutator ${o.mutator}: the space '${def.id}' has no operation choices (OperationSpace) to weigh; use --mutator enas, or hbx search (evolution)`);
  }
  const predictor = latencyWeight > 0 ? await devicePredictor(model, o) : undefined;
  const halves = split(data, 0.5, config.seed);
  let searched: Searched | undefined;
  try {
    searched = await search(o, model, config, halves, predictor);
    const { arch, epochs, probabilities } = searched;
    const subnet = def.subnet(model, arch);
    const batch = { mean: o.mean, std: o.std, resolution: size };
    recalibrateBatchNorm(subnet, halves.train, { ...batch, images: 2000 });
    const valTop1 = evaluateTop1(subnet, halves.val, batch).top1;
    const onnx = exportOnnx(subnet, { mean: o.mean, std: o.std, labels: data.labelNames });
    subnet.dispose();
    return {
      space: def.id,
      spaceOptions,
      mutator: o.mutator,
      arch,
      archForm: archFormOf(def, model, arch),
      cost: def.cost(model, arch),
      valTop1,
      epochs,
      probabilities,
      config,
      images: { train: halves.train.count, val: halves.val.count },
      latency: predictor && { device: predictor.table.device, weight: latencyWeight, predictedMs: predictor.predict(arch), expectedMs: epochs.at(-1)?.expectedMs ?? NaN },
      seconds: (performance.now() - started) / 1000,
      onnx,
    };
  } finally {
    searched?.dispose();
    model.dispose();
  }
}

/** arch.json (generic form), model.onnx, search.json (everything else) and report.md in `dir`. */
export function writeNasOutputs(r: NasOutcome, dir: string): { arch: string; onnx: string; search: string; report: string } {
  mkdirSync(dir, { recursive: true });
  const files = { arch: join(dir, 'arch.json'), onnx: join(dir, 'model.onnx'), search: join(dir, 'search.json'), report: join(dir, 'report.md') };
  const { onnx, ...summary } = r;
  writeFileAtomic(files.arch, `${JSON.stringify(r.arch, null, 2)}\n`);
  writeFileAtomic(files.onnx, onnx);
  writeFileAtomic(files.search, `${JSON.stringify({ ...summary, hbx: HBX_VERSION }, null, 2)}\n`);
  writeFileAtomic(files.report, nasReport(r));
  return files;
}

function nasReport(r: NasOutcome): string {
  const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
  const form = Object.entries(r.archForm).map(([k, v]) => `${k} ${Array.isArray(v) ? v.join(' ') : v}`).join('; ');
  const lines = [
    `# hbx nas: ${r.mutator} on ${r.space}`,
    '',
    `Arch: \`${form}\``,
    '',
    `Validation top-1 ${pct(r.valTop1)} (supernet weights, BN recalibrated; ${r.images.val} held-out training images), ${r.cost.macs.toLocaleString('en')} MACs, ${r.cost.params.toLocaleString('en')} parameters; search ${r.seconds.toFixed(0)} s, hbx ${HBX_VERSION}.`,
    '',
    ...(r.latency ? [`Latency on ${r.latency.device}: ${r.latency.predictedMs.toFixed(3)} ms predicted for the arch${Number.isFinite(r.latency.expectedMs) ? `; expected ${r.latency.expectedMs.toFixed(3)} ms under the final probabilities` : ''} (latency weight ${r.latency.weight}).`, ''] : []),
    `| epoch | train loss | ${r.mutator === 'enas' ? 'mean reward' : 'arch loss'} | derived arch val top-1 | seconds |`,
    '|---:|---:|---:|---:|---:|',
    ...r.epochs.map((e) => {
      const arch = 'meanReward' in e ? (e as EnasEpochReport).meanReward : e.valLoss;
      return `| ${e.epoch} | ${e.trainLoss.toFixed(3)} | ${Number.isNaN(arch) ? 'warm-up' : arch.toFixed(3)} | ${pct(e.valTop1)} | ${e.seconds.toFixed(0)} |`;
    }),
    '',
    '## Final probabilities',
    '',
    ...Object.entries(r.probabilities).map(([key, p]) => `- \`${key}\`: ${Object.entries(p).map(([name, v]) => `${name} ${v.toFixed(3)}`).join(', ')}`),
    '',
    `Settings: ${JSON.stringify(r.config)}; space options ${JSON.stringify(r.spaceOptions)}.`,
    '',
  ];
  return lines.join('\n');
}
