import * as tf from '@tensorflow/tfjs-core';
import { InputError, Rng } from '../tensor/index.js';
import type { Arch } from './arch.js';
import type { AnyModule } from './module.js';
import { Mutator, type Decision } from './mutator.js';
import type { OperationSpace } from './operation_space.js';

export interface LogitMutatorOptions {
  space?: string;
  seed?: number;
  /** Standard deviation of the logits' random start (DARTS: 1e-3). */
  initScale?: number;
  /** The ms each candidate of a decision adds on the target device (`LatencyPredictor.candidateCosts()`). */
  costs?: Record<string, number[]>;
  /** With `costs`: the architecture loss gains this times the expected latency (ms). */
  latencyWeight?: number;
  /**
   * Candidate names the derived arch never takes where a decision has another (DARTS' rule for
   * `none`: a zero operation wins the softmax easily and can cut a cell off from its input).
   */
  deriveExcluding?: string[];
  /**
   * For an input decision, the operation decision on the edge from each of its candidates
   * (DARTS: node n's input i goes through `{type}_n{n}_p{i}`): the derived arch then takes the
   * inputs whose edges hold the strongest operation (DARTS' rule), not its own logits, which
   * no gradient trains.
   */
  inputEdges?: Record<string, string[]>;
}

/**
 * A mutator with learned logits per decision (the architecture parameters). Operation spaces
 * are chosen differentiably (subclasses decide how); value and input spaces, whose candidates
 * change shapes rather than mix outputs, get a hard Gumbel sample from their logits on every
 * `sampleDifferentiable()` (no gradient reaches those logits, as in Hyperbox's DARTS).
 */
export abstract class LogitMutator extends Mutator {
  readonly logits: Map<string, tf.Variable>;
  protected readonly rng: Rng;
  readonly costs: Record<string, number[]> | undefined;
  readonly latencyWeight: number;
  readonly deriveExcluding: ReadonlySet<string>;
  private readonly inputEdges: Record<string, string[]>;

  constructor(model: AnyModule, options: LogitMutatorOptions = {}) {
    super(model, options);
    this.rng = new Rng(options.seed);
    if (this.operationDecisions().length === 0) {
      throw new InputError(`mutator ${this.constructor.name}: the space has no operation choices (OperationSpace) to weigh; use an evolution or random mutator`);
    }
    this.costs = options.costs;
    this.latencyWeight = options.latencyWeight ?? 0;
    this.deriveExcluding = new Set(options.deriveExcluding ?? []);
    this.inputEdges = options.inputEdges ?? {};
    for (const [key, edges] of Object.entries(this.inputEdges)) {
      const d = this.decisions.get(key);
      if (d?.kind !== 'input' || edges.length !== d.primary.size || edges.some((e) => this.decisions.get(e)?.kind !== 'operation')) {
        throw new InputError(`inputEdges: '${key}' must be an input decision with one operation decision per candidate`);
      }
    }
    for (const [key, c] of Object.entries(this.costs ?? {})) {
      const d = this.decisions.get(key);
      if (!d || c.length !== d.primary.size) throw new InputError(`latency costs: decision '${key}' ${d ? `has ${d.primary.size} candidates, got ${c.length} costs` : 'is not in the space'}`);
    }
    const scale = options.initScale ?? 1e-3;
    this.logits = new Map(
      [...this.decisions.values()].map((d) => [d.key, tf.variable(tf.tensor1d(Array.from({ length: d.primary.size }, () => scale * this.rng.normal())), true)]),
    );
  }

  /** The logits gradients update: those of operation choices. */
  archParameters(): tf.Variable[] {
    return this.operationDecisions().map((d) => this.logits.get(d.key)!);
  }

  /**
   * Sets every decision for the coming forward passes. Call it inside the function whose
   * gradient is taken: the weights it sets are computed from the logits there.
   */
  sampleDifferentiable(): void {
    const hard: Record<string, number[]> = {};
    for (const d of this.decisions.values()) {
      if (d.kind === 'operation') {
        const { weights, active } = this.operationWeights(this.logits.get(d.key)!);
        for (const m of d.members) (m as unknown as OperationSpace).setWeights(weights, active);
      } else {
        hard[d.key] = this.gumbelMask(d);
      }
    }
    for (const d of this.decisions.values()) if (d.kind !== 'operation') for (const m of d.members) m.setMask(hard);
  }

  /**
   * The expected latency under the current probabilities, sum over decisions of
   * softmax(logits) . costs (ms, differentiable), times `latencyWeight`; undefined without costs
   * or weight. The bi-level search adds it to the architecture loss.
   */
  archPenalty(): tf.Scalar | undefined {
    if (!this.costs || this.latencyWeight === 0) return undefined;
    return tf.mul(this.latencyWeight, this.expectedCost()) as tf.Scalar;
  }

  /** Sum over decisions with costs of softmax(logits) . costs (a scalar tensor, ms). */
  expectedCost(): tf.Scalar {
    const terms = Object.entries(this.costs ?? {}).map(([key, c]) => tf.sum(tf.mul(tf.softmax(this.logits.get(key)!), tf.tensor1d(c))));
    return (terms.length ? tf.addN(terms) : tf.scalar(0)) as tf.Scalar;
  }

  /** How an operation decision's candidates are weighed from its logits. */
  protected abstract operationWeights(logits: tf.Variable): { weights: tf.Tensor1D; active?: number[] };

  /** Drops the differentiable weights: forward passes follow the masks again. */
  clearWeights(): void {
    for (const d of this.operationDecisions()) for (const m of d.members) (m as unknown as OperationSpace).setWeights(undefined);
  }

  /** Each decision's candidates with their probabilities (softmax of the logits). */
  probabilities(): Record<string, number[]> {
    return Object.fromEntries([...this.logits].map(([key, l]) => [key, Array.from(tf.tidy(() => tf.softmax(l)).dataSync())]));
  }

  /** The arch of the most probable candidate of every decision (leaving out `deriveExcluding`), applied. */
  derive(): Arch {
    this.clearWeights();
    return this.reset();
  }

  protected sampleSearch(): Record<string, number[]> {
    const masks: Record<string, number[]> = {};
    for (const d of this.decisions.values()) {
      const edges = this.inputEdges[d.key];
      const scores = edges ? edges.map((edge) => Math.max(...this.allowedProbabilities(this.decisions.get(edge)!))) : this.allowedProbabilities(d);
      masks[d.key] = topK(scores, chosenCount(d), d.primary.size);
    }
    return masks;
  }

  /** Softmax of a decision's logits, -Infinity for the candidates derivation leaves out (where another remains). */
  private allowedProbabilities(d: Decision): number[] {
    const names = d.primary.describeCandidates();
    const allowed = names.some((name) => !this.deriveExcluding.has(name));
    const p = tf.tidy(() => tf.softmax(this.logits.get(d.key)!).dataSync());
    return Array.from(p, (v, i) => (allowed && this.deriveExcluding.has(names[i]) ? -Infinity : v));
  }

  dispose(): void {
    this.clearWeights();
    for (const l of this.logits.values()) l.dispose();
  }

  private operationDecisions(): Decision[] {
    return [...this.decisions.values()].filter((d) => d.kind === 'operation');
  }

  protected gumbel(n: number): number[] {
    return Array.from({ length: n }, () => -Math.log(-Math.log(1 - this.rng.next() * (1 - 1e-12))));
  }

  private gumbelMask(d: Decision): number[] {
    const noise = this.gumbel(d.primary.size);
    const noisy = Array.from(this.logits.get(d.key)!.dataSync(), (v, i) => v + noise[i]);
    return topK(noisy, chosenCount(d), d.primary.size);
  }
}

/** Candidates a decision takes at once: an input space's nChosen, else one. */
const chosenCount = (d: Decision): number => (d.kind === 'input' ? ((d.primary as { nChosen?: number }).nChosen ?? 1) : 1);

/** A mask selecting the n largest entries. */
function topK(values: number[], n: number, size: number): number[] {
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => b[0] - a[0]);
  const chosen = new Set(order.slice(0, n).map(([, i]) => i));
  return Array.from({ length: size }, (_, i) => (chosen.has(i) ? 1 : 0));
}

/**
 * DARTS (Liu et al., ICLR 2019): every operation space computes all its candidates, mixed by
 * the softmax of its logits; the arch is the most probable candidate of every decision.
 */
export class DartsMutator extends LogitMutator {
  protected operationWeights(logits: tf.Variable): { weights: tf.Tensor1D } {
    return { weights: tf.softmax(logits) as tf.Tensor1D };
  }
}

export interface GdasOptions extends LogitMutatorOptions {
  /** Gumbel-softmax temperature at the start and the end of the search (GDAS: 10 to 0.1). */
  temperature?: [number, number];
}

/**
 * GDAS (Dong & Yang, CVPR 2019): each operation space computes one candidate, drawn by
 * Gumbel-argmax from its logits; straight-through Gumbel-softmax weights make its output
 * exactly the candidate's while the gradient reaches every logit. The temperature falls
 * linearly over the search (`setProgress`).
 */
export class GdasMutator extends LogitMutator {
  readonly temperatures: [number, number];
  temperature: number;

  constructor(model: AnyModule, options: GdasOptions = {}) {
    super(model, options);
    this.temperatures = options.temperature ?? [10, 0.1];
    this.temperature = this.temperatures[0];
  }

  /** Where the search is, from 0 to 1: sets the temperature. */
  setProgress(progress: number): void {
    const [from, to] = this.temperatures;
    this.temperature = from + (to - from) * Math.min(1, Math.max(0, progress));
  }

  protected operationWeights(logits: tf.Variable): { weights: tf.Tensor1D; active: number[] } {
    const noise = this.gumbel(logits.shape[0]);
    const noisy = Array.from(logits.dataSync(), (v, i) => v + noise[i]);
    const index = noisy.indexOf(Math.max(...noisy));
    const soft = tf.softmax(tf.div(tf.add(logits, tf.tensor1d(noise)), this.temperature)) as tf.Tensor1D;
    // Straight-through: forward value one-hot (hard - soft + soft), gradient the softmax's.
    const detached = tf.tensor1d(soft.dataSync());
    const hard = tf.oneHot([index], logits.shape[0]).reshape([-1]).asType('float32');
    return { weights: tf.add(tf.sub(hard, detached), soft) as tf.Tensor1D, active: [index] };
  }
}

/**
 * ProxylessNAS (Cai et al., ICLR 2019) with binary gates: each operation space computes two
 * candidates drawn from softmax(logits) without replacement, and gates one of them on
 * (drawn by the softmax of the pair's logits) with straight-through weights, so the output is
 * that candidate's and the gradient reaches both logits of the pair. With `costs` from a
 * device's latency table and `latencyWeight`, the architecture loss gains the expected latency:
 * differentiable and hardware-aware.
 */
export class ProxylessMutator extends LogitMutator {
  protected operationWeights(logits: tf.Variable): { weights: tf.Tensor1D; active: number[] } {
    const n = logits.shape[0];
    const p = Array.from(tf.tidy(() => tf.softmax(logits)).dataSync());
    const first = this.draw(p);
    const rest = p.map((v, i) => (i === first ? 0 : v));
    const second = n > 1 ? this.draw(rest.map((v) => v / rest.reduce((a, b) => a + b, 0))) : first;
    const pair = [first, second];
    // The pair as a [2, n] selection matrix: matMul picks and spreads (gather's gradient has no wasm kernel).
    const spread = tf.tensor2d(pair.flatMap((i) => Array.from({ length: n }, (_, j) => (j === i ? 1 : 0))), [2, n]);
    const soft = tf.softmax(tf.reshape(tf.matMul(spread, tf.reshape(logits, [n, 1])), [2])) as tf.Tensor1D;
    const softValues = soft.dataSync();
    const gate = this.rng.next() < softValues[0] ? 0 : 1;
    // Straight-through: the pair's weights are the gate's one-hot in value, the pair softmax in gradient.
    const pairWeights = tf.add(tf.sub(tf.tensor1d(pair.map((_, k) => (k === gate ? 1 : 0))), tf.tensor1d(softValues)), soft);
    const weights = tf.reshape(tf.matMul(tf.reshape(pairWeights, [1, 2]), spread), [n]) as tf.Tensor1D;
    return { weights, active: first === second ? [first] : pair };
  }

  private draw(p: number[]): number {
    let u = this.rng.next();
    for (let i = 0; i < p.length; i++) if ((u -= p[i]) < 0) return i;
    return p.length - 1;
  }
}
