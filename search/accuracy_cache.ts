import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { InputError, loadGradients, Rng, zodInputError } from '../tensor/index.js';
import { readJsonFile, writeFileAtomic, type Arch, type Choice } from '../space/index.js';
import { AccuracyPredictor, DEFAULT_PREDICTOR_TRAINING, predictorFileSchema, trainAccuracyPredictor, type PredictorTraining } from './accuracy_predictor.js';
import { supernetPaths } from '../networks/index.js';
import type { SupernetEvaluator } from './evaluation.js';
import type { Genome } from './genome.js';
import { evaluateInProcesses } from './sample_pool.js';

/** How subnets were evaluated: top-1 on `valImages` of `source`, BN recalibrated on `recalibrationImages`. */
export const evaluationSettingsSchema = z.object({ valImages: z.number().int(), recalibrationImages: z.number().int(), source: z.string() }).strict();
type EvaluationSettings = z.infer<typeof evaluationSettingsSchema>;

const samplesSchema = z
  .object({
    format: z.literal('hbx-accuracy-samples'),
    supernetSha256: z.string(),
    settings: evaluationSettingsSchema.extend({ seed: z.number().int() }).strict(),
    samples: z.array(z.object({ choices: z.record(z.string(), z.unknown()), top1: z.number().min(0).max(1), seconds: z.number() }).strict()),
  })
  .strict();

type SamplesFile = z.infer<typeof samplesSchema>;

const predictorCacheSchema = z.object({ supernetSha256: z.string(), samples: z.number().int(), training: z.unknown(), predictor: predictorFileSchema }).strict();

export const ACCURACY_FOLDER = 'accuracy';
export const SAMPLES_FILE = 'samples.json';
const PREDICTOR_FILE = 'predictor.json';

export function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

export interface PredictorOptions {
  /** Subnets sampled and evaluated with the supernet to train the predictor on. */
  samples: number;
  seed: number;
  training?: PredictorTraining;
  onProgress?: (done: number, total: number) => void;
  /** Samples between two atomic writes of the samples file (resumable). */
  saveEvery?: number;
  /**
   * Processes evaluating samples side by side (default 1: this one). Each opens `supernetPath`
   * and its `evaluationData` with the evaluator's options, so the evaluator must use those.
   */
  processes?: number;
}

export const DEFAULT_PREDICTOR_SAMPLES = 400;

/** One sample process per core, at most 8 (each holds the supernet and the training images). */
export function defaultSampleProcesses(): number {
  return Math.min(availableParallelism(), 8);
}

/**
 * The accuracy predictor of a supernet: reuses `<supernet>/accuracy/predictor.json` when it
 * was trained for these weights, else evaluates random subnets with the supernet (written
 * to `accuracy/samples.json` as they come, so an interrupted run resumes) and trains one.
 */
export async function accuracyPredictorFor(supernetPath: string, evaluator: SupernetEvaluator, o: PredictorOptions): Promise<{ predictor: AccuracyPredictor; cached: boolean; samples: number }> {
  const paths = supernetPaths(supernetPath);
  const folder = join(paths.folder, ACCURACY_FOLDER);
  const sha = sha256File(paths.file);
  const training = o.training ?? DEFAULT_PREDICTOR_TRAINING;
  const predictorPath = join(folder, PREDICTOR_FILE);
  if (existsSync(predictorPath)) {
    const r = predictorCacheSchema.safeParse(readJsonFile(predictorPath));
    if (!r.success) throw zodInputError(predictorPath, r.error.issues);
    const fits = r.data.supernetSha256 === sha && r.data.samples >= o.samples && JSON.stringify(r.data.training) === JSON.stringify(training);
    if (fits && r.data.predictor.encodingLength === evaluator.space.encodingLength) {
      return { predictor: AccuracyPredictor.fromJSON(evaluator.space, r.data.predictor), cached: true, samples: r.data.samples };
    }
  }
  const file = await collectSamples(join(folder, SAMPLES_FILE), sha, supernetPath, evaluator, o);
  const samples = file.samples.slice(0, Math.max(o.samples, 0)).map((s) => ({ genome: evaluator.space.fromArch({ space: evaluator.space.space, choices: s.choices as Record<string, Choice> }, join(folder, SAMPLES_FILE)), accuracy: s.top1 }));
  await loadGradients();
  const predictor = trainAccuracyPredictor(evaluator.space, samples, training);
  writeFileAtomic(predictorPath, `${JSON.stringify({ supernetSha256: sha, samples: samples.length, training, predictor: predictor.toJSON() })}\n`);
  return { predictor, cached: false, samples: samples.length };
}

export function evaluationSettings(evaluator: SupernetEvaluator): EvaluationSettings {
  return { valImages: evaluator.valImages, recalibrationImages: evaluator.options.recalibrationImages, source: evaluator.data.source };
}

export function sameSettings(a: EvaluationSettings, b: EvaluationSettings): boolean {
  return a.valImages === b.valImages && a.recalibrationImages === b.recalibrationImages && a.source === b.source;
}

/** The samples file at `path`, validated; undefined when there is none. */
export function readSamplesFile(path: string): SamplesFile | undefined {
  if (!existsSync(path)) return undefined;
  const r = samplesSchema.safeParse(readJsonFile(path));
  if (!r.success) throw zodInputError(path, r.error.issues);
  return r.data;
}

/**
 * Top-1 of each arch with the supernet, in `processes` child processes when there are several
 * (the same values one process computes); results come back in completion order as the arch's
 * position, its top-1 and the seconds it took.
 */
async function evaluateSubnets(evaluator: SupernetEvaluator, supernetPath: string, archs: Arch[], processes: number, onResult: (k: number, top1: number, seconds: number) => void): Promise<void> {
  if (processes > 1 && archs.length > 1) {
    const jobs = archs.map((a, index) => ({ index, choices: a.choices }));
    const expect = { source: evaluator.data.source, valImages: evaluator.valImages };
    return evaluateInProcesses(jobs, { supernet: supernetPath, evaluation: evaluator.options, expect, processes }, onResult);
  }
  archs.forEach((arch, k) => {
    const started = performance.now();
    const top1 = evaluator.top1(arch);
    onResult(k, top1, (performance.now() - started) / 1000);
  });
}

/** Evaluates the archs the evaluator does not know yet (each once) and remembers their top-1. */
export async function evaluateUnknown(evaluator: SupernetEvaluator, supernetPath: string, archs: Arch[], processes: number, onProgress?: (done: number, total: number) => void): Promise<void> {
  const unknown = [...new Map(archs.filter((a) => !evaluator.has(a)).map((a) => [JSON.stringify(a.choices), a])).values()];
  let done = 0;
  await evaluateSubnets(evaluator, supernetPath, unknown, processes, (k, top1) => {
    evaluator.remember(unknown[k], top1);
    onProgress?.(++done, unknown.length);
  });
}

/** Evaluates random subnets (largest and smallest first) until the file holds `o.samples`. */
async function collectSamples(path: string, sha: string, supernetPath: string, evaluator: SupernetEvaluator, o: PredictorOptions): Promise<SamplesFile> {
  const settings = { ...evaluationSettings(evaluator), seed: o.seed };
  const existing = readSamplesFile(path);
  const reusable = existing && existing.supernetSha256 === sha && existing.settings.seed === o.seed && sameSettings(existing.settings, settings);
  const file: SamplesFile = reusable ? existing : { format: 'hbx-accuracy-samples', supernetSha256: sha, settings, samples: [] };
  const { space } = evaluator;
  const rng = new Rng(o.seed);
  const genomes: Genome[] = [space.largest(), space.smallest()];
  while (genomes.length < o.samples) genomes.push(space.sample(rng));
  mkdirSync(join(path, '..'), { recursive: true });
  const saveEvery = o.saveEvery ?? 10;
  // Results may finish out of order (several processes); the file takes them in order.
  const done = new Map<number, SamplesFile['samples'][number]>();
  const add = (i: number, sample: SamplesFile['samples'][number]) => {
    done.set(i, sample);
    const before = file.samples.length;
    while (done.has(file.samples.length)) {
      file.samples.push(done.get(file.samples.length)!);
      done.delete(file.samples.length - 1);
      const n = file.samples.length;
      if (n % saveEvery === 0 || n === o.samples) writeFileAtomic(path, `${JSON.stringify(file)}\n`);
    }
    for (let n = before + 1; n <= file.samples.length; n++) o.onProgress?.(n, o.samples);
  };
  const first = file.samples.length;
  const todo = genomes.slice(first, o.samples).map((g) => space.toArch(g));
  await evaluateSubnets(evaluator, supernetPath, todo, o.processes ?? 1, (k, top1, seconds) => add(first + k, { choices: todo[k].choices, top1, seconds }));
  if (file.samples.length < 3) throw new InputError(`--predictor-samples: at least 3 are needed, got ${o.samples}`);
  return file;
}
