import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { zodInputError } from '../tensor/index.js';
import { readJsonFile, writeFileAtomic } from '../space/index.js';
import { NO_MIX, NONE_POLICY, parsePolicy, policySchema } from '../augment/index.js';

export const trainConfigSchema = z
  .object({
    dataset: z.string(),
    seed: z.number().int(),
    epochs: z.number().int().positive(),
    batchSize: z.number().int().positive(),
    subnetsPerStep: z.number().int().nonnegative(),
    lr: z.number().positive(),
    momentum: z.number().min(0).max(1),
    nesterov: z.boolean(),
    weightDecay: z.number().nonnegative(),
    labelSmoothing: z.number().min(0).max(1),
    warmupEpochs: z.number().nonnegative(),
    distill: z.boolean(),
    schedule: z.enum(['progressive', 'all-elastic']),
    valFraction: z.number().min(0).max(0.5),
    mean: z.array(z.number()),
    std: z.array(z.number()),
    augment: z
      .object({
        cropPadding: z.number().int().nonnegative(),
        horizontalFlip: z.boolean(),
        cutout: z.number().int().nonnegative(),
        // Added after the first supernets were trained: their state files lack them and mean these defaults.
        policy: policySchema.default(NONE_POLICY),
        erasing: z.number().min(0).max(1).default(0),
        resizedCrop: z
          .tuple([z.number().gt(0).max(1), z.number().gt(0).max(1)])
          .refine(([lo, hi]) => lo <= hi, 'expected lo <= hi')
          .nullable()
          .default(null),
        mix: z.object({ kind: z.enum(['none', 'mixup', 'cutmix']), alpha: z.number().positive() }).strict().default(NO_MIX),
      })
      .strict(),
    /** Stop after this many steps in total (for tests and benchmarks); 0: no limit. */
    maxSteps: z.number().int().nonnegative(),
    /** Weights this run started from (a supernet checkpoint), instead of a fresh initialisation. */
    init: z.string().optional(),
  })
  .strict();

export type TrainConfig = z.infer<typeof trainConfigSchema>;

export const DEFAULT_TRAIN: Omit<TrainConfig, 'dataset' | 'mean' | 'std'> = {
  seed: 0,
  epochs: 10,
  batchSize: 64,
  subnetsPerStep: 2,
  lr: 0.05,
  momentum: 0.9,
  nesterov: true,
  weightDecay: 3e-5,
  labelSmoothing: 0.1,
  warmupEpochs: 0.5,
  distill: true,
  schedule: 'progressive',
  valFraction: 1 / 12,
  augment: { cropPadding: 2, horizontalFlip: true, cutout: 0, policy: NONE_POLICY, erasing: 0, resizedCrop: null, mix: NO_MIX },
  maxSteps: 0,
};

const stateSchema = z
  .object({
    format: z.literal('hbx-train-state'),
    config: trainConfigSchema,
    /** Epochs completed; training resumes at this epoch. */
    epoch: z.number().int().nonnegative(),
    /** The next step; past the epoch's first step when the checkpoint was taken within it. */
    step: z.number().int().nonnegative(),
    /** Within an epoch: the loss summed over its steps so far and the seconds they took. */
    partialEpoch: z.object({ lossSum: z.number(), seconds: z.number().nonnegative() }).strict().optional(),
  })
  .strict();

const STATE_FILE = 'state.json';

export type TrainState = z.infer<typeof stateSchema>;

/** Where a training run (or a supernet it produced) keeps its state. */
export function trainStatePath(folder: string): string {
  return join(folder, STATE_FILE);
}

/** The training state in a run's folder, validated; undefined when there is none. */
export function readTrainState(folder: string): TrainState | undefined {
  const path = trainStatePath(folder);
  if (!existsSync(path)) return undefined;
  const r = stateSchema.safeParse(readJsonFile(path));
  if (!r.success) throw zodInputError(path, r.error.issues);
  return r.data;
}

/**
 * Why a run that starts from the weights in `folder` would validate on images those weights
 * trained on (its held-out images are drawn by the seed and share); undefined when it would not
 * or when the folder records no run of the same dataset.
 */
export function heldOutMismatch(folder: string, config: TrainConfig): string | undefined {
  const source = readTrainState(folder)?.config; // none for a .safetensors file
  if (!source || source.dataset !== config.dataset || (source.seed === config.seed && source.valFraction === config.valFraction)) return undefined;
  const heldOut = (c: TrainConfig) => `seed ${c.seed}, share ${+c.valFraction.toFixed(4)}`;
  return `${trainStatePath(folder)}: that run held out other validation images (${heldOut(source)}) than this one (${heldOut(config)}), so this run's validation figures include images its starting weights trained on`;
}

export function writeTrainState(folder: string, state: TrainState): void {
  writeFileAtomic(trainStatePath(folder), `${JSON.stringify(state, null, 2)}\n`);
}

/** Training settings a study may tune, by the names a tune space and a best-params file use. */
export const trainParamsSchema = z
  .object({
    lr: z.number().positive(),
    weightDecay: z.number().nonnegative(),
    labelSmoothing: z.number().min(0).max(1),
    batchSize: z.number().int().positive(),
    epochs: z.number().int().positive(),
    momentum: z.number().min(0).max(1),
    nesterov: z.boolean(),
    warmupEpochs: z.number().nonnegative(),
    subnetsPerStep: z.number().int().nonnegative(),
    distill: z.boolean(),
    cropPadding: z.number().int().nonnegative(),
    horizontalFlip: z.boolean(),
    cutout: z.number().int().nonnegative(),
    /** An augmentation policy as `hbx train --augment` takes it (none, trivial, randaugment:N,M, ...). */
    augment: z.string().superRefine((spec, ctx) => {
      const problem = policyProblem(spec);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
    erasing: z.number().min(0).max(1),
  })
  .partial()
  .strict();

function policyProblem(spec: string): string | undefined {
  try {
    parsePolicy(spec, 'augment');
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

export type TrainParams = z.infer<typeof trainParamsSchema>;
export const TRAIN_PARAM_NAMES = Object.keys(trainParamsSchema.shape) as (keyof TrainParams)[];

/** A best-params file (what `hbx tune` writes), validated: only tunable names, each in range. */
export function readTrainParams(path: string): TrainParams {
  const r = trainParamsSchema.safeParse(readJsonFile(path));
  if (!r.success) throw zodInputError(path, r.error.issues);
  return r.data;
}

/** The config with the given settings in place (augmentation ones inside `augment`). */
export function applyTrainParams<C extends Pick<TrainConfig, 'augment'>>(config: C, params: TrainParams): C {
  const { cropPadding, horizontalFlip, cutout, augment: policy, erasing, ...rest } = params;
  const augment = {
    ...config.augment,
    ...(cropPadding != null && { cropPadding }),
    ...(horizontalFlip != null && { horizontalFlip }),
    ...(cutout != null && { cutout }),
    ...(policy != null && { policy: parsePolicy(policy, 'augment') }),
    ...(erasing != null && { erasing }),
  };
  return { ...config, ...rest, augment };
}
