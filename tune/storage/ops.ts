import { z } from 'zod';

/**
 * Every storage is an append-only log of these operations; a study's state is their replay.
 * Trial numbers follow log order, so every process that replays the same log agrees on them,
 * and a conflicting write (two workers claiming one waiting trial, two marking one stale trial
 * failed) is decided by whichever op the log holds first.
 */
const json = z.unknown();
const worker = z.object({ host: z.string(), pid: z.number().int(), token: z.string() });
const distribution = z.discriminatedUnion('type', [
  z.object({ type: z.literal('float'), low: z.number(), high: z.number(), log: z.boolean(), step: z.number().nullable() }),
  z.object({ type: z.literal('int'), low: z.number().int(), high: z.number().int(), log: z.boolean(), step: z.number().int() }),
  z.object({ type: z.literal('categorical'), choices: z.array(z.union([z.string(), z.number(), z.boolean(), z.null()])).min(1) }),
]);
const choice = z.union([z.string(), z.number(), z.boolean(), z.null()]);

export const opSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('study'), study: z.string(), directions: z.array(z.enum(['minimize', 'maximize'])).min(1), at: z.number() }),
  /** A new trial: running when `worker` is set, else waiting (enqueued). `token` lets its writer find it after replay. */
  z.object({
    op: z.literal('trial'),
    study: z.string(),
    token: z.string(),
    worker: worker.nullable(),
    params: z.record(z.string(), choice),
    distributions: z.record(z.string(), distribution),
    systemAttrs: z.record(z.string(), json),
    at: z.number(),
  }),
  /** Takes a waiting trial; only the first claim in the log wins. */
  z.object({ op: z.literal('claim'), study: z.string(), trial: z.number().int().nonnegative(), worker, at: z.number() }),
  z.object({ op: z.literal('param'), study: z.string(), trial: z.number().int().nonnegative(), name: z.string(), value: choice, distribution }),
  z.object({ op: z.literal('report'), study: z.string(), trial: z.number().int().nonnegative(), step: z.number().int().nonnegative(), value: z.array(z.number().or(z.null())) }),
  z.object({ op: z.literal('attr'), study: z.string(), trial: z.number().int().nonnegative(), key: z.string(), value: json, system: z.boolean() }),
  z.object({ op: z.literal('heartbeat'), study: z.string(), trial: z.number().int().nonnegative(), at: z.number() }),
  /**
   * Ends a running trial; ignored when it is no longer running. `retry` re-enqueues its
   * parameters as a new waiting trial (a stale trial's worker died), applied with the finish.
   */
  z.object({
    op: z.literal('finish'),
    study: z.string(),
    trial: z.number().int().nonnegative(),
    state: z.enum(['complete', 'pruned', 'fail']),
    values: z.array(z.number().or(z.null())).nullable(),
    constraints: z.array(z.number()).nullable(),
    retry: z.boolean(),
    at: z.number(),
  }),
]);

export type Op = z.infer<typeof opSchema>;
