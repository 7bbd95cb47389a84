import type * as tf from '@tensorflow/tfjs-core';
import { InputError } from '../tensor/index.js';
import { autoKey, Mutable, type Choice, type MaskInput } from './mutable.js';
import { reduceOutputs, weighted, type Reduction } from './reduction.js';

export interface InputSpaceOptions {
  nCandidates: number;
  /** How many inputs to pick; undefined means any non-empty subset. */
  nChosen?: number;
  key?: string;
  mask?: MaskInput;
  reduction?: Reduction;
}

/** Picks `nChosen` of the tensors passed to it and reduces them. */
export class InputSpace extends Mutable<[readonly tf.Tensor[]], tf.Tensor | tf.Tensor[]> {
  readonly kind = 'input' as const;
  readonly nCandidates: number;
  readonly nChosen: number | undefined;
  readonly reduction: Reduction;

  constructor(options: InputSpaceOptions) {
    const key = options.key ?? autoKey('InputSpace');
    const { nCandidates, nChosen } = options;
    if (!Number.isInteger(nCandidates) || nCandidates < 1) {
      throw new InputError(`InputSpace '${key}': nCandidates must be a positive integer, got ${nCandidates}`);
    }
    if (nChosen != null && (!Number.isInteger(nChosen) || nChosen < 1 || nChosen > nCandidates)) {
      throw new InputError(`InputSpace '${key}': nChosen must be an integer in 1..${nCandidates} (nCandidates), got ${nChosen}`);
    }
    super(key, 'InputSpace', options.mask);
    this.nCandidates = nCandidates;
    this.nChosen = nChosen;
    this.reduction = options.reduction ?? 'sum';
    this.initMask(options.mask);
  }

  get size(): number {
    return this.nCandidates;
  }

  protected override defaultIndex(): number {
    return 0;
  }

  protected override initMask(mask: MaskInput | undefined): void {
    super.initMask(mask);
    if (mask == null) {
      const k = this.nChosen ?? 1;
      this.currentMask = this.currentMask.map((_, i) => (i < k ? 1 : 0));
    }
  }

  protected validateMask(mask: number[]): number[] {
    const chosen = mask.filter((v) => v !== 0).length;
    if (chosen === 0) throw new InputError(`mask for input space '${this.key}' selects no input`);
    if (this.nChosen != null && chosen !== this.nChosen) {
      throw new InputError(`mask for input space '${this.key}' selects ${chosen} inputs, expected nChosen = ${this.nChosen}`);
    }
    return mask;
  }

  choiceFor(mask: readonly number[]): Choice {
    if (mask.some((v) => v !== 0 && v !== 1)) return { weights: [...mask] };
    return mask.flatMap((v, i) => (v !== 0 ? [i] : []));
  }

  maskFor(choice: Choice): number[] {
    if (typeof choice === 'object' && !Array.isArray(choice)) return this.validateMask([...choice.weights]);
    const indices = typeof choice === 'number' ? [choice] : choice;
    if (!Array.isArray(indices) || indices.some((i) => !Number.isInteger(i) || i < 0 || i >= this.nCandidates)) {
      throw new InputError(
        `choice for '${this.key}': expected input indices in 0..${this.nCandidates - 1}, got ${JSON.stringify(choice)}`,
      );
    }
    const mask = new Array<number>(this.nCandidates).fill(0);
    for (const i of indices) mask[i] = 1;
    return this.validateMask(mask);
  }

  describeCandidates(): string[] {
    return Array.from({ length: this.nCandidates }, (_, i) => `input ${i}`);
  }

  forward(inputs: readonly tf.Tensor[]): tf.Tensor | tf.Tensor[] {
    if (inputs.length !== this.nCandidates) {
      throw new Error(`input space '${this.key}': got ${inputs.length} inputs, expected ${this.nCandidates}`);
    }
    const mask = this.mask;
    const picked = inputs.filter((_, i) => mask[i] !== 0);
    const weights = mask.filter((v) => v !== 0);
    return reduceOutputs(weighted(picked, weights), this.reduction);
  }
}
