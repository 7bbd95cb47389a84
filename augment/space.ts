import * as tf from '@tensorflow/tfjs-core';
import { Module, OperationSpace, type Arch } from '../space/index.js';
import { InputError, Rng } from '../tensor/index.js';
import { applyStepToBatch } from './apply.js';
import { hasMagnitude, type MagnitudeRange, type OpName } from './ops.js';
import type { PolicyStep, SubPolicies } from './policy.js';

/** Groups of hbx's default augmentation space, each one OperationSpace (plus identity). */
export const DEFAULT_GROUPS: Readonly<Record<string, readonly OpName[]>> = {
  geometry: ['ShearX', 'ShearY', 'TranslateX', 'TranslateY', 'Rotate'],
  color: ['Brightness', 'Color', 'Contrast', 'Sharpness'],
  tone: ['Posterize', 'Solarize', 'AutoContrast', 'Equalize', 'Invert'],
};

/** The default groups for images with `channels` channels: saturation (Color) does nothing to grayscale ones. */
export function defaultGroups(channels: number): Record<string, readonly OpName[]> {
  return Object.fromEntries(Object.entries(DEFAULT_GROUPS).map(([group, ops]) => [group, channels === 1 ? ops.filter((op) => op !== 'Color') : ops]));
}

export interface AugmentSpaceOptions {
  groups?: Readonly<Record<string, readonly OpName[]>>;
  /** Magnitude bins each op may take (of `bins`). */
  magnitudes?: readonly number[];
  probabilities?: readonly number[];
  bins?: number;
  range?: MagnitudeRange;
}

export const IDENTITY = 'identity';

/** A candidate's name: op, magnitude bin and probability, e.g. `Rotate:5:p0.5`. */
export function candidateName(s: PolicyStep): string {
  return s.magnitude === undefined ? `${s.op}:p${s.probability}` : `${s.op}:${s.magnitude}:p${s.probability}`;
}

/** Shared by a space's candidates: where their random choices come from. */
interface Draws {
  rng: Rng;
}

/**
 * One candidate of a group: an op at a magnitude applied with a probability. Its forward takes
 * and returns an NHWC float tensor of byte values (0..255), in front of the network's normalisation.
 */
class AugmentCandidate extends Module {
  constructor(
    readonly step: PolicyStep | undefined,
    private readonly policy: Pick<SubPolicies, 'bins' | 'range'>,
    private readonly draws: Draws,
  ) {
    super();
  }

  forward(x: tf.Tensor): tf.Tensor {
    if (!this.step) return x;
    const [count, height, width, channels] = x.shape;
    const data = Uint8Array.from(x.dataSync());
    applyStepToBatch({ data, count, height, width, channels }, this.step, this.policy.bins, this.policy.range, this.draws.rng);
    return tf.tensor(data, x.shape, 'float32');
  }
}

/**
 * Augmentation as a search space, the Hyperbox way: one OperationSpace per group (identity or
 * an op x magnitude x probability), applied in sequence. Any mutator decides it; `policyOf`
 * turns a decision into a policy file's single sub-policy, which training applies on bytes.
 */
export class AugmentationSpace extends Module {
  readonly spaceId = 'augment';
  readonly groups: [string, OperationSpace][] = [];
  readonly bins: number;
  readonly range: MagnitudeRange;
  private readonly steps = new Map<string, Map<string, PolicyStep | undefined>>();
  private readonly draws: Draws = { rng: new Rng(0) };

  constructor(o: AugmentSpaceOptions = {}) {
    super();
    this.bins = o.bins ?? 10;
    this.range = o.range ?? 'standard';
    const magnitudes = o.magnitudes ?? [2, 5, 8];
    const probabilities = o.probabilities ?? [0.3, 0.7];
    if (magnitudes.some((m) => !Number.isInteger(m) || m < 0 || m >= this.bins)) throw new InputError(`magnitudes: expected bins in 0..${this.bins - 1}, got ${JSON.stringify(magnitudes)}`);
    if (probabilities.some((p) => !(p >= 0 && p <= 1))) throw new InputError(`probabilities: expected values in [0, 1], got ${JSON.stringify(probabilities)}`);
    for (const [group, ops] of Object.entries(o.groups ?? DEFAULT_GROUPS)) {
      const steps = new Map<string, PolicyStep | undefined>([[IDENTITY, undefined]]);
      for (const op of ops)
        for (const probability of probabilities)
          for (const magnitude of hasMagnitude(op) ? magnitudes : [undefined]) {
            const step: PolicyStep = magnitude === undefined ? { op, probability } : { op, probability, magnitude };
            steps.set(candidateName(step), step);
          }
      const key = `aug_${group}`;
      const candidates = Object.fromEntries([...steps].map(([name, step]) => [name, new AugmentCandidate(step, this, this.draws)]));
      this.groups.push([key, this.registerModule(group, new OperationSpace(candidates, { key }))]);
      this.steps.set(key, steps);
    }
  }

  /** Random choices of the candidates' forward come from here. */
  seed(rng: Rng): void {
    this.draws.rng = rng;
  }

  forward(x: tf.Tensor): tf.Tensor {
    return this.groups.reduce((y, [, space]) => space.forward(y) as tf.Tensor, x);
  }

  /** The steps of a key's candidates, in candidate order (undefined: identity). */
  stepsOf(key: string): (PolicyStep | undefined)[] {
    const steps = this.steps.get(key);
    if (!steps) throw new InputError(`augmentation space: no group with key '${key}'`);
    return [...steps.values()];
  }

  /** The candidate names of each group's key. */
  candidates(): Record<string, string[]> {
    return Object.fromEntries([...this.steps].map(([key, steps]) => [key, [...steps.keys()]]));
  }

  /** The policy an arch of this space stands for: its chosen ops, in group order, as one sub-policy. */
  policyOf(arch: Arch, name = 'searched'): SubPolicies {
    const chosen: PolicyStep[] = [];
    for (const [key, steps] of this.steps) {
      const choice = String(arch.choices[key]);
      if (!steps.has(choice)) throw new InputError(`arch choice '${key}': '${choice}' is not a candidate (expected one of ${[...steps.keys()].slice(0, 4).join(', ')}, ...)`);
      const step = steps.get(choice);
      if (step) chosen.push(step);
    }
    return { kind: 'subpolicies', name, bins: this.bins, range: this.range, subpolicies: [chosen.length ? chosen : [{ op: 'Identity', probability: 1 }]] };
  }
}

