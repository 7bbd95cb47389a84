import { z } from 'zod';
import { InputError, zodInputError } from '../tensor/index.js';
import { readJsonFile } from '../space/index.js';
import { hasMagnitude, OP_NAMES } from './ops.js';
import { AUTO_AUGMENT_POLICIES } from './autoaugment.js';

const stepSchema = z
  .object({
    op: z.enum(OP_NAMES),
    probability: z.number().min(0).max(1),
    /** A magnitude bin, 0 .. bins-1 (ignored by ops without a magnitude). */
    magnitude: z.number().int().nonnegative().optional(),
  })
  .strict();

export type PolicyStep = z.infer<typeof stepSchema>;

const subPoliciesSchema = z
  .object({
    kind: z.literal('subpolicies'),
    name: z.string().optional(),
    bins: z.number().int().min(2).max(100),
    range: z.enum(['standard', 'wide']),
    subpolicies: z.array(z.array(stepSchema).min(1)).min(1),
  })
  .strict()
  .superRefine((p, ctx) => {
    p.subpolicies.forEach((sub, i) =>
      sub.forEach((s, j) => {
        if (hasMagnitude(s.op) && s.magnitude === undefined) ctx.addIssue({ code: 'custom', path: ['subpolicies', i, j, 'magnitude'], message: `${s.op} needs a magnitude bin in 0..${p.bins - 1}` });
        if (s.magnitude !== undefined && s.magnitude >= p.bins) ctx.addIssue({ code: 'custom', path: ['subpolicies', i, j, 'magnitude'], message: `expected a bin in 0..${p.bins - 1}, got ${s.magnitude}` });
      }),
    );
  });

/** What an augmentation policy is: applied per image after the base crop and flip. */
export const policySchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('none') }).strict(),
  /** TrivialAugment (wide): one op, a uniform bin of 31, a random sign. */
  z.object({ kind: z.literal('trivial') }).strict(),
  /** RandAugment: n ops, each at bin m of 31 (standard range). */
  z.object({ kind: z.literal('randaugment'), n: z.number().int().min(1).max(10), m: z.number().int().min(0).max(30) }).strict(),
  subPoliciesSchema,
]);

export type Policy = z.infer<typeof policySchema>;
export type SubPolicies = Extract<Policy, { kind: 'subpolicies' }>;

export const NONE_POLICY: Policy = { kind: 'none' };

/** A policy file: the sub-policies form, as `hbx augment search` writes it. */
export const policyFileSchema = z.object({ format: z.literal('hbx-augment-policy'), policy: policySchema }).strict();

export function readPolicyFile(path: string): Policy {
  const parsed = policyFileSchema.safeParse(readJsonFile(path));
  if (!parsed.success) throw zodInputError(path, parsed.error.issues);
  return parsed.data.policy;
}

export function policyFile(policy: Policy): z.infer<typeof policyFileSchema> {
  return { format: 'hbx-augment-policy', policy };
}

/**
 * `none`, `trivial`, `randaugment:N,M`, `autoaugment:cifar10|svhn|imagenet`, or a policy file's path.
 * `flag` names where the text came from, for errors.
 */
export function parsePolicy(text: string, flag = '--augment'): Policy {
  if (text === 'none') return NONE_POLICY;
  if (text === 'trivial') return { kind: 'trivial' };
  const rand = /^randaugment:(\d+),(\d+)$/.exec(text);
  if (rand) {
    const [n, m] = [Number(rand[1]), Number(rand[2])];
    if (n < 1 || n > 10) throw new InputError(`${flag}: randaugment's N must be 1..10, got ${n}`);
    if (m > 30) throw new InputError(`${flag}: randaugment's M must be a bin in 0..30, got ${m}`);
    return { kind: 'randaugment', n, m };
  }
  if (text.startsWith('randaugment')) throw new InputError(`${flag}: expected randaugment:N,M (for example randaugment:2,9), got '${text}'`);
  if (text.startsWith('autoaugment:')) {
    const name = text.slice('autoaugment:'.length);
    const policy = AUTO_AUGMENT_POLICIES[name];
    if (!policy) throw new InputError(`${flag}: unknown AutoAugment policy '${name}' (expected one of ${Object.keys(AUTO_AUGMENT_POLICIES).join(', ')})`);
    return policy;
  }
  if (/\.json$/i.test(text)) return readPolicyFile(text);
  throw new InputError(`${flag}: expected none, trivial, randaugment:N,M, autoaugment:cifar10|svhn|imagenet or a policy .json file, got '${text}'`);
}

/** A short name of a policy, for reports. */
export function describePolicy(p: Policy): string {
  if (p.kind === 'randaugment') return `randaugment:${p.n},${p.m}`;
  if (p.kind === 'subpolicies') return p.name ?? `${p.subpolicies.length} sub-policies`;
  return p.kind;
}
