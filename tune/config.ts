import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { InputError, zodInputError } from '../tensor/errors.js';
import { TRAIN_PARAM_NAMES, trainParamsSchema } from '../train/index.js';
import { DEFAULT_SPACE, SPACES } from '../networks/index.js';
import { readInputFile } from '../tensor/files.js';
import { categoricalDistribution, floatDistribution, intDistribution, type Distribution } from './distributions.js';
import { HyperbandPruner, MedianPruner, NopPruner, PatientPruner, PercentilePruner, SuccessiveHalvingPruner, ThresholdPruner, type Pruner } from './pruners/index.js';
import { CmaEsSampler, GridSampler, NSGAIISampler, QMCSampler, RandomSampler, TPESampler, type Sampler } from './samplers/index.js';

const value = z.union([z.string(), z.number(), z.boolean(), z.null()]);

const floatParam = z
  .object({ type: z.literal('float'), low: z.number(), high: z.number(), log: z.boolean().default(false), step: z.number().positive().nullable().default(null) })
  .strict();
const intParam = z
  .object({ type: z.literal('int'), low: z.number().int(), high: z.number().int(), log: z.boolean().default(false), step: z.number().int().positive().default(1) })
  .strict();
const categoricalParam = z.object({ type: z.literal('categorical'), choices: z.array(value).min(1, 'expected at least one choice') }).strict();

const param = z
  .discriminatedUnion('type', [floatParam, intParam, categoricalParam], { error: "expected a distribution with type 'float', 'int' or 'categorical'" })
  .superRefine((p, ctx) => {
    if (p.type === 'categorical') return;
    if (p.low > p.high) ctx.addIssue({ code: 'custom', path: ['low'], message: `expected low <= high, got low ${p.low} > high ${p.high}` });
    if (p.log && p.low <= 0) ctx.addIssue({ code: 'custom', path: ['low'], message: `a log scale needs low > 0, got ${p.low}` });
    if (p.log && p.type === 'float' && p.step != null) ctx.addIssue({ code: 'custom', path: ['step'], message: 'a log scale takes no step' });
    if (p.log && p.type === 'int' && p.step !== 1) ctx.addIssue({ code: 'custom', path: ['step'], message: 'a log-scale integer takes no step other than 1' });
  });

const sampler = z.discriminatedUnion('type', [
  z.object({ type: z.literal('random'), seed: z.number().int().optional() }).strict(),
  z
    .object({
      type: z.literal('tpe'),
      seed: z.number().int().optional(),
      startupTrials: z.number().int().nonnegative().default(10),
      eiCandidates: z.number().int().positive().default(24),
      multivariate: z.boolean().default(false),
      group: z.boolean().default(false),
      constantLiar: z.boolean().optional(),
      priorWeight: z.number().positive().default(1),
    })
    .strict(),
  z.object({ type: z.literal('qmc'), seed: z.number().int().optional(), scramble: z.boolean().default(true) }).strict(),
  z
    .object({ type: z.literal('cmaes'), seed: z.number().int().optional(), sigma0: z.number().positive().max(1).optional(), populationSize: z.number().int().min(2).optional() })
    .strict(),
  z
    .object({
      type: z.literal('nsga2'),
      seed: z.number().int().optional(),
      populationSize: z.number().int().min(2).default(50),
      mutationProb: z.number().min(0).max(1).optional(),
      crossoverProb: z.number().min(0).max(1).default(0.9),
      swappingProb: z.number().min(0).max(1).default(0.5),
    })
    .strict(),
  /** Every combination of `values` (default: each categorical's choices, each int's and stepped float's grid). */
  z.object({ type: z.literal('grid'), seed: z.number().int().optional(), values: z.record(z.string(), z.array(value).min(1)).optional() }).strict(),
]);

const direction = z.enum(['minimize', 'maximize']);

const pruner = z.discriminatedUnion('type', [
  z.object({ type: z.literal('none') }).strict(),
  z.object({ type: z.literal('median'), startupTrials: z.number().int().nonnegative().default(5), warmupSteps: z.number().int().nonnegative().default(0) }).strict(),
  z
    .object({ type: z.literal('percentile'), percentile: z.number().min(0).max(100), startupTrials: z.number().int().nonnegative().default(5), warmupSteps: z.number().int().nonnegative().default(0) })
    .strict(),
  z
    .object({ type: z.literal('asha'), minResource: z.number().int().positive().or(z.literal('auto')).default('auto'), reductionFactor: z.number().min(2).default(4), minEarlyStoppingRate: z.number().int().nonnegative().default(0) })
    .strict(),
  z.object({ type: z.literal('hyperband'), minResource: z.number().int().positive().default(1), maxResource: z.number().int().positive().or(z.literal('auto')).default('auto'), reductionFactor: z.number().min(2).default(3) }).strict(),
  z.object({ type: z.literal('threshold'), lower: z.number().optional(), upper: z.number().optional(), warmupSteps: z.number().int().nonnegative().default(0) }).strict(),
  z.object({ type: z.literal('patient'), patience: z.number().int().nonnegative(), minDelta: z.number().nonnegative().default(0) }).strict(),
]);

const commandObjective = z
  .object({
    command: z.string().min(1),
    /** Seconds before a trial's command is stopped and the trial failed. */
    timeoutS: z.number().positive().optional(),
  })
  .strict();

const proxyData = {
  dataset: z.string().min(1).default('fashion-mnist'),
  trainImages: z.number().int().positive().default(2000),
  valImages: z.number().int().positive().default(500),
  seed: z.number().int().default(0),
  /** Settings for what the space does not tune. */
  settings: trainParamsSchema.default({}),
};

const trainSubnetObjective = z
  .object({
    builtin: z.literal('train-subnet'),
    ...proxyData,
    /** Default: the shipped Fashion-MNIST supernet. */
    supernet: z.string().min(1).optional(),
    init: z.enum(['supernet', 'scratch']).default('supernet'),
    /** 'largest', 'smallest' or an arch file. */
    arch: z.string().min(1).default('smallest'),
  })
  .strict();

const trainSupernetObjective = z
  .object({
    builtin: z.literal('train-supernet'),
    ...proxyData,
    /** Any registered space; its options beyond what the dataset fixes in spaceOptions. */
    supernetSpace: z
      .string()
      .default(DEFAULT_SPACE)
      .refine((id) => SPACES.has(id), { error: (i) => `unknown space '${i.input}', expected one of ${[...SPACES.keys()].join(', ')}` }),
    spaceOptions: z.record(z.string(), z.unknown()).optional(),
    /** ofa-mbv3's (defaults 0.5, 2 and the images' size). */
    width: z.number().positive().optional(),
    stemStride: z.number().int().positive().optional(),
    resolutions: z.array(z.number().int().positive()).min(1).optional(),
    objectives: z.enum(['mean', 'both']).default('mean'),
    /** Data-parallel worker threads per trial (hbx train --workers); with jobs 1, the cores a trial may use. */
    workers: z.number().int().positive().default(1),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.supernetSpace === DEFAULT_SPACE) return;
    for (const key of ['width', 'stemStride', 'resolutions'] as const) {
      if (o[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: `an option of ${DEFAULT_SPACE}; for '${o.supernetSpace}' give spaceOptions` });
    }
  });

const builtinObjective = z.discriminatedUnion('builtin', [trainSubnetObjective, trainSupernetObjective], { error: "expected builtin 'train-subnet' or 'train-supernet'" });

/** A command, or a built-in training objective (chosen by the `builtin` key). */
const objective = z.unknown().transform((v, ctx) => {
  const schema = v != null && typeof v === 'object' && 'builtin' in v ? builtinObjective : commandObjective;
  const r = schema.safeParse(v);
  if (r.success) return r.data;
  for (const issue of r.error.issues) ctx.addIssue({ ...issue, code: 'custom', message: issue.message, path: issue.path } as never);
  return z.NEVER;
});

/** What a built-in training objective may tune (train-subnet trains one subnet: no sandwich, no distillation). */
function tunableBy(builtin: 'train-subnet' | 'train-supernet'): string[] {
  return TRAIN_PARAM_NAMES.filter((n) => builtin === 'train-supernet' || (n !== 'subnetsPerStep' && n !== 'distill'));
}

export const tuneConfigSchema = z
  .object({
    study: z.string().min(1).default('hbx-tune'),
    /** Default: journal.jsonl in `out`. A postgresql:// URL shares the study across machines. */
    storage: z.string().min(1).optional(),
    out: z.string().min(1).default('hbx-tune'),
    direction: direction.optional(),
    directions: z.array(direction).min(1).optional(),
    sampler: sampler.default({ type: 'tpe', startupTrials: 10, eiCandidates: 24, multivariate: false, group: false, priorWeight: 1 }),
    pruner: pruner.default({ type: 'none' }),
    /** The study's total of complete, pruned and running trials: a resumed study runs the rest. */
    trials: z.number().int().positive().optional(),
    timeoutS: z.number().positive().optional(),
    jobs: z.number().int().positive().default(1),
    /** Same seed, same trials with jobs > 1 (trial n sampled from trials 0..n-jobs, once they have finished). */
    reproducible: z.boolean().default(false),
    patience: z.number().int().positive().optional(),
    /** Record a failing trial and go on, instead of stopping the study. */
    catch: z.boolean().default(false),
    heartbeatS: z.number().positive().default(10),
    maxRetry: z.number().int().nonnegative().default(1),
    space: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, 'expected a parameter name of letters, digits, _ . -'), param).refine((s) => Object.keys(s).length > 0, 'expected at least one parameter'),
    objective,
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.direction && c.directions) ctx.addIssue({ code: 'custom', path: ['directions'], message: 'give direction or directions, not both' });
    if (c.trials == null && c.timeoutS == null && c.patience == null) ctx.addIssue({ code: 'custom', path: ['trials'], message: 'expected a budget: trials, timeoutS or patience' });
    if ('builtin' in c.objective) {
      const allowed = tunableBy(c.objective.builtin);
      for (const name of Object.keys(c.space)) {
        if (!allowed.includes(name)) ctx.addIssue({ code: 'custom', path: ['space', name], message: `${c.objective.builtin} tunes ${allowed.join(', ')}; '${name}' is none of them` });
      }
      for (const [name, p] of Object.entries(c.space)) {
        const check = (trainParamsSchema.shape as Record<string, z.ZodType>)[name];
        if (!check || p.type !== 'categorical') continue;
        p.choices.forEach((choice, i) => {
          const r = check.safeParse(choice);
          if (!r.success) ctx.addIssue({ code: 'custom', path: ['space', name, 'choices', i], message: r.error.issues[0].message });
        });
      }
      const expected = c.objective.builtin === 'train-supernet' && c.objective.objectives === 'both' ? 2 : 1;
      const given = c.directions ?? (c.direction ? [c.direction] : null);
      if (given && (given.length !== expected || given.some((d) => d !== 'maximize'))) {
        ctx.addIssue({ code: 'custom', path: [c.directions ? 'directions' : 'direction'], message: `${c.objective.builtin} reports validation top-1: expected ${expected === 1 ? 'maximize' : '[maximize, maximize]'}` });
      }
    }
    if (c.sampler.type === 'cmaes' && (c.directions?.length ?? 1) > 1) ctx.addIssue({ code: 'custom', path: ['sampler', 'type'], message: 'cmaes optimises one objective; for several use nsga2 or tpe' });
    if (c.sampler.type === 'grid') {
      for (const [name, p] of Object.entries(c.space)) {
        if (c.sampler.values?.[name] || p.type !== 'float' || p.step != null) continue;
        ctx.addIssue({ code: 'custom', path: ['sampler', 'values', name], message: `expected grid values for '${name}' (a float without a step has no grid)` });
      }
    }
    if (c.sampler.type === 'tpe' && c.sampler.group && !c.sampler.multivariate) ctx.addIssue({ code: 'custom', path: ['sampler', 'group'], message: 'group needs multivariate: true' });
  });

export type TuneConfig = z.infer<typeof tuneConfigSchema> & { file: string };

/** Reads a YAML or JSON tune config; any problem is one InputError naming the file and field. */
export function readTuneConfig(file: string): TuneConfig {
  const text = readInputFile(file).toString('utf8');
  let raw: unknown;
  try {
    raw = extname(file) === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new InputError(`${file}: not valid ${extname(file) === '.json' ? 'JSON' : 'YAML'} (${(err as Error).message.split('\n')[0]})`);
  }
  const parsed = tuneConfigSchema.safeParse(raw);
  if (!parsed.success) throw zodInputError(file, parsed.error.issues);
  return { ...parsed.data, file };
}

export function directionsOf(config: TuneConfig): ('minimize' | 'maximize')[] {
  if (config.directions ?? config.direction) return config.directions ?? [config.direction!];
  if (!('builtin' in config.objective)) return ['minimize'];
  return config.objective.builtin === 'train-supernet' && config.objective.objectives === 'both' ? ['maximize', 'maximize'] : ['maximize'];
}

export function distributionsOf(config: TuneConfig): Record<string, Distribution> {
  return Object.fromEntries(
    Object.entries(config.space).map(([name, p]) => {
      if (p.type === 'categorical') return [name, categoricalDistribution(name, p.choices)];
      if (p.type === 'int') return [name, intDistribution(name, p.low, p.high, { log: p.log, step: p.log ? 1 : p.step })];
      return [name, floatDistribution(name, p.low, p.high, { log: p.log, step: p.step })];
    }),
  );
}

export function samplerOf(config: TuneConfig): Sampler {
  const s = config.sampler;
  if (s.type === 'random') return new RandomSampler({ seed: s.seed });
  if (s.type === 'qmc') return new QMCSampler({ seed: s.seed, scramble: s.scramble });
  if (s.type === 'cmaes') return new CmaEsSampler({ seed: s.seed, sigma0: s.sigma0, populationSize: s.populationSize });
  if (s.type === 'nsga2') return new NSGAIISampler(s);
  if (s.type === 'grid') return new GridSampler(gridOf(config, s.values ?? {}), { seed: s.seed });
  return new TPESampler({
    seed: s.seed,
    nStartupTrials: s.startupTrials,
    nEiCandidates: s.eiCandidates,
    multivariate: s.multivariate,
    group: s.group,
    priorWeight: s.priorWeight,
    constantLiar: s.constantLiar ?? config.jobs > 1,
  });
}

/** The grid's values per parameter: given ones, else every value of a categorical, int or stepped float. */
function gridOf(config: TuneConfig, given: Record<string, z.infer<typeof value>[]>): Record<string, z.infer<typeof value>[]> {
  const distributions = distributionsOf(config);
  return Object.fromEntries(
    Object.entries(distributions).map(([name, d]) => {
      if (given[name]) return [name, given[name]];
      if (d.type === 'categorical') return [name, d.choices];
      const step = d.step ?? 1;
      const count = Math.round((d.high - d.low) / step) + 1;
      return [name, Array.from({ length: count }, (_, k) => Number((d.low + k * step).toPrecision(12)))];
    }),
  );
}

export function prunerOf(config: TuneConfig): Pruner {
  const p = config.pruner;
  switch (p.type) {
    case 'none':
      return new NopPruner();
    case 'median':
      return new MedianPruner({ nStartupTrials: p.startupTrials, nWarmupSteps: p.warmupSteps });
    case 'percentile':
      return new PercentilePruner(p.percentile, { nStartupTrials: p.startupTrials, nWarmupSteps: p.warmupSteps });
    case 'asha':
      return new SuccessiveHalvingPruner({ minResource: p.minResource, reductionFactor: p.reductionFactor, minEarlyStoppingRate: p.minEarlyStoppingRate });
    case 'hyperband':
      return new HyperbandPruner({ minResource: p.minResource, maxResource: p.maxResource, reductionFactor: p.reductionFactor });
    case 'threshold':
      return new ThresholdPruner({ lower: p.lower, upper: p.upper, nWarmupSteps: p.warmupSteps });
    case 'patient':
      return new PatientPruner(null, p.patience, p.minDelta);
  }
}
