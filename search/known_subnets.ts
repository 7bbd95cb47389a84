import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { zodInputError } from '../tensor/index.js';
import { readJsonFile, writeFileAtomic, type Arch, type Choice } from '../space/index.js';
import { supernetPaths } from '../networks/index.js';
import { ACCURACY_FOLDER, evaluationSettings, evaluationSettingsSchema, readSamplesFile, sameSettings, SAMPLES_FILE, sha256File } from './accuracy_cache.js';
import type { SupernetEvaluator } from './evaluation.js';
import type { Genome } from './genome.js';

const EVALUATED_FILE = 'evaluated.json';

const evaluatedSchema = z
  .object({
    format: z.literal('hbx-evaluated-subnets'),
    supernetSha256: z.string(),
    settings: evaluationSettingsSchema,
    subnets: z.array(z.object({ choices: z.record(z.string(), z.unknown()), top1: z.number().min(0).max(1) }).strict()),
  })
  .strict();

type EvaluatedFile = z.infer<typeof evaluatedSchema>;

export interface KnownSubnet {
  genome: Genome;
  arch: Arch;
  top1: number;
}

/**
 * Subnets whose top-1 is already known for these weights and this evaluator's settings: the
 * accuracy predictor's samples and the finalists of earlier searches (`accuracy/evaluated.json`).
 * Files made with other weights or settings are ignored.
 */
export function knownSubnets(supernetPath: string, evaluator: SupernetEvaluator): KnownSubnet[] {
  const { folder, sha, settings } = keys(supernetPath, evaluator);
  const entries: { choices: Record<string, unknown>; top1: number; path: string }[] = [];
  const samplesPath = join(folder, SAMPLES_FILE);
  const samples = readSamplesFile(samplesPath);
  if (samples && samples.supernetSha256 === sha && sameSettings(samples.settings, settings)) entries.push(...samples.samples.map((s) => ({ ...s, path: samplesPath })));
  const evaluatedPath = join(folder, EVALUATED_FILE);
  const evaluated = readEvaluated(evaluatedPath, sha, settings);
  if (evaluated) entries.push(...evaluated.subnets.map((s) => ({ ...s, path: evaluatedPath })));
  const seen = new Set<string>();
  const known: KnownSubnet[] = [];
  for (const e of entries) {
    const arch = { space: evaluator.space.space, choices: e.choices as Record<string, Choice> };
    const genome = evaluator.space.fromArch(arch, e.path);
    const id = evaluator.space.identity(genome);
    if (seen.has(id)) continue;
    seen.add(id);
    known.push({ genome, arch, top1: e.top1 });
  }
  return known;
}

/** Adds subnets evaluated with `evaluator` to `accuracy/evaluated.json` (written atomically). */
export function recordEvaluations(supernetPath: string, evaluator: SupernetEvaluator, subnets: { arch: Arch; top1: number }[]): void {
  const { folder, sha, settings } = keys(supernetPath, evaluator);
  const path = join(folder, EVALUATED_FILE);
  const file: EvaluatedFile = readEvaluated(path, sha, settings) ?? { format: 'hbx-evaluated-subnets', supernetSha256: sha, settings, subnets: [] };
  const have = new Set(file.subnets.map((s) => JSON.stringify(s.choices)));
  const fresh = subnets.filter((s) => !have.has(JSON.stringify(s.arch.choices)));
  if (!fresh.length) return;
  file.subnets.push(...fresh.map((s) => ({ choices: s.arch.choices, top1: s.top1 })));
  mkdirSync(folder, { recursive: true });
  writeFileAtomic(path, `${JSON.stringify(file)}\n`);
}

function keys(supernetPath: string, evaluator: SupernetEvaluator) {
  const paths = supernetPaths(supernetPath);
  return { folder: join(paths.folder, ACCURACY_FOLDER), sha: sha256File(paths.file), settings: evaluationSettings(evaluator) };
}

function readEvaluated(path: string, sha: string, settings: EvaluatedFile['settings']): EvaluatedFile | undefined {
  if (!existsSync(path)) return undefined;
  const r = evaluatedSchema.safeParse(readJsonFile(path));
  if (!r.success) throw zodInputError(path, r.error.issues);
  return r.data.supernetSha256 === sha && sameSettings(r.data.settings, settings) ? r.data : undefined;
}
