import * as tf from '@tensorflow/tfjs-core';
import { InputError } from '../tensor/index.js';
import type { AnyModule } from './module.js';
import { checkCandidates, Mutable, oneHot, type Choice, type MaskInput } from './mutable.js';
import { reduceOutputs, weighted, type Reduction } from './reduction.js';

export interface OperationSpaceOptions {
  key?: string;
  mask?: MaskInput;
  reduction?: Reduction;
}

/**
 * One of several candidate modules (or, with a float mask, a weighted mix of them).
 * Candidates given as a dict are named by their keys, as a list by their indices ('0', '1', ...).
 * A fixed space (mask given) keeps only the chosen candidates, so it holds only their weights.
 */
export class OperationSpace extends Mutable<tf.Tensor[], tf.Tensor | tf.Tensor[]> {
  readonly kind = 'operation' as const;
  readonly names: readonly string[];
  readonly reduction: Reduction;
  private readonly ops = new Map<string, AnyModule>();
  /** Differentiable weights a mutator set for the coming forward passes (see setWeights). */
  private soft: { weights: tf.Tensor1D; active: readonly number[] } | undefined;

  constructor(candidates: readonly AnyModule[] | Readonly<Record<string, AnyModule>>, options: OperationSpaceOptions = {}) {
    super(options.key, 'OperationSpace', options.mask);
    const entries: [string, AnyModule][] = Array.isArray(candidates)
      ? candidates.map((m, i) => [String(i), m])
      : Object.entries(candidates);
    checkCandidates('OperationSpace', this.key, entries.map(([n]) => n));
    this.names = entries.map(([n]) => n);
    this.reduction = options.reduction ?? 'sum';
    this.initMask(options.mask);
    entries.forEach(([name, op], i) => {
      if (this.isSearch || this.mask[i] !== 0) {
        this.ops.set(name, op);
        this.registerModule(name, op);
      }
    });
  }

  get size(): number {
    return this.names.length;
  }

  /** The candidate module called `name`, when this space holds it. */
  candidate(name: string): AnyModule | undefined {
    return this.ops.get(name);
  }

  protected validateMask(mask: number[]): number[] {
    if (mask.every((v) => v === 0)) throw new InputError(`mask for operation space '${this.key}' selects nothing`);
    return mask;
  }

  choiceFor(mask: readonly number[]): Choice {
    const chosen = mask.flatMap((v, i) => (v !== 0 ? [i] : []));
    if (chosen.length === 1 && mask[chosen[0]] === 1) return this.names[chosen[0]];
    return { weights: [...mask] };
  }

  maskFor(choice: Choice): number[] {
    if (typeof choice === 'object' && !Array.isArray(choice)) return [...choice.weights];
    const name = typeof choice === 'number' ? String(choice) : choice;
    const i = this.names.indexOf(name as string);
    if (i < 0) {
      throw new InputError(
        `choice for '${this.key}': ${JSON.stringify(choice)} is not a candidate, expected one of ${JSON.stringify(this.names)}`,
      );
    }
    return oneHot(this.size, i);
  }

  describeCandidates(): string[] {
    return [...this.names];
  }

  /**
   * Differentiable choice (DARTS, GDAS): until cleared with `undefined`, forward computes the
   * candidates at `active` (all by default) and sums them, each times its entry of `weights`
   * (a tensor, so gradients reach whatever the weights were computed from).
   */
  setWeights(weights: tf.Tensor1D | undefined, active?: readonly number[]): void {
    if (weights && weights.shape[0] !== this.size) throw new Error(`operation space '${this.key}': ${weights.shape[0]} weights for ${this.size} candidates`);
    this.soft = weights && { weights, active: active ?? this.names.map((_, i) => i) };
  }

  forward(...inputs: tf.Tensor[]): tf.Tensor | tf.Tensor[] {
    if (this.soft) return this.forwardWeighted(this.soft.weights, this.soft.active, inputs);
    const mask = this.mask;
    const selected = this.names.flatMap((name, i) => (mask[i] !== 0 ? [{ name, w: mask[i] }] : []));
    const outputs = selected.map(({ name }) => {
      const op = this.ops.get(name);
      if (!op) throw new Error(`operation space '${this.key}': candidate '${name}' was not kept`);
      return op.forward(...inputs) as tf.Tensor;
    });
    return reduceOutputs(weighted(outputs, selected.map((s) => s.w)), this.reduction);
  }

  private forwardWeighted(weights: tf.Tensor1D, active: readonly number[], inputs: tf.Tensor[]): tf.Tensor {
    const outputs = active.map((i) => {
      const op = this.ops.get(this.names[i]);
      if (!op) throw new Error(`operation space '${this.key}': candidate '${this.names[i]}' was not kept`);
      return tf.mul(op.forward(...inputs) as tf.Tensor, tf.slice(weights, [i], [1]));
    });
    return outputs.length === 1 ? outputs[0] : tf.addN(outputs);
  }
}
