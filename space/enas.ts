import * as tf from '@tensorflow/tfjs-core';
import { InputError, Rng } from '../tensor/index.js';
import type { Arch } from './arch.js';
import type { AnyModule } from './module.js';
import { decisionMasks, definedOptions, Mutator, type Decision } from './mutator.js';

export interface EnasMutatorOptions {
  space?: string;
  seed?: number;
  /** LSTM width (ENAS: 100). */
  hidden?: number;
  /** Adam learning rate of the controller (ENAS: 3.5e-4). */
  lr?: number;
  /** Logits are tanhConstant x tanh(z / temperature) (ENAS: 2.5 and 5): bounded, so no choice is ruled out early. */
  tanhConstant?: number;
  temperature?: number;
  /** Weight of the entropy bonus in the controller's loss (ENAS: 1e-4). */
  entropyWeight?: number;
  /** The baseline is an exponential moving average of the rewards with this decay (ENAS: 0.99). */
  baselineDecay?: number;
}

/** One decision as the controller sees it: its masks, one per action. */
interface Step {
  decision: Decision;
  masks: number[][];
}

/**
 * ENAS's controller (Pham et al., ICML 2018) as a mutator: an LSTM makes the decisions one
 * after another, each from a softmax over that decision's actions, fed the embedding of the
 * previous action. `reset()` samples an arch and applies it; `reinforce(reward)` makes one
 * REINFORCE step for that arch (advantage over a moving-average baseline, entropy bonus);
 * `derive()` applies the most probable action at every step. An input space's actions are its
 * allowed subsets (nChosen inputs, or any non-empty subset).
 */
export class EnasMutator extends Mutator {
  readonly baseline: { value: number | undefined } = { value: undefined };
  private readonly steps: Step[];
  private readonly o: Required<Omit<EnasMutatorOptions, 'space' | 'seed'>>;
  private readonly rng: Rng;
  private readonly params: Record<string, tf.Variable>;
  private readonly optimizer: tf.AdamOptimizer;
  private sampled: number[] | undefined;

  constructor(model: AnyModule, options: EnasMutatorOptions = {}) {
    super(model, options);
    this.o = { hidden: 64, lr: 3.5e-4, tanhConstant: 2.5, temperature: 5, entropyWeight: 1e-4, baselineDecay: 0.99, ...definedOptions(options) };
    this.rng = new Rng(options.seed ?? 0);
    this.steps = [...this.decisions.values()].map((decision) => ({ decision, masks: decisionMasks(decision, 'EnasMutator') }));
    if (this.steps.length === 0) throw new InputError('EnasMutator: the model has no searchable decisions');
    const h = this.o.hidden;
    const init = (shape: number[]) => tf.variable(tf.tensor(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => 0.1 * (2 * this.rng.next() - 1)), shape));
    this.params = { start: init([1, h]), lstmW: init([2 * h, 4 * h]), lstmB: tf.variable(tf.zeros([4 * h])) };
    this.steps.forEach((s, k) => {
      this.params[`head${k}`] = init([h, s.masks.length]);
      this.params[`embed${k}`] = init([s.masks.length, h]);
    });
    this.optimizer = tf.train.adam(this.o.lr);
  }

  /** The controller's trainable variables. */
  controllerParameters(): tf.Variable[] {
    return Object.values(this.params);
  }

  protected sampleSearch(): Record<string, number[]> {
    const actions: number[] = [];
    tf.tidy(() => this.unroll((logits) => {
      const p = tf.softmax(logits).dataSync();
      const action = drawIndex(p, this.rng.next());
      actions.push(action);
      return action;
    }));
    this.sampled = actions;
    return this.masksOf(actions);
  }

  /** The most probable action at every step (the controller's greedy arch), applied. */
  derive(): Arch {
    const actions: number[] = [];
    tf.tidy(() => this.unroll((logits) => {
      const p = logits.dataSync();
      const action = p.indexOf(Math.max(...p));
      actions.push(action);
      return action;
    }));
    this.sampleByMask(this.masksOf(actions));
    return this.export();
  }

  /**
   * One REINFORCE step for the arch the last `reset()` sampled: loss = -(reward - baseline) x
   * log-probability - entropyWeight x entropy; then the baseline moves toward the reward.
   * Returns the advantage used.
   */
  reinforce(reward: number): number {
    if (!this.sampled) throw new Error('EnasMutator: reinforce() without an arch from reset()');
    if (!Number.isFinite(reward)) throw new InputError(`EnasMutator: reward must be a finite number, got ${reward}`);
    const actions = this.sampled;
    this.sampled = undefined;
    const advantage = reward - (this.baseline.value ?? reward);
    const { value, grads } = tf.variableGrads(() => {
      let logProb: tf.Tensor = tf.scalar(0);
      let entropy: tf.Tensor = tf.scalar(0);
      let k = 0;
      this.unroll((logits) => {
        const logP = tf.logSoftmax(logits);
        logProb = tf.add(logProb, tf.sum(tf.mul(logP, oneHotRow(actions[k], logP.shape[0]))));
        entropy = tf.sub(entropy, tf.sum(tf.mul(tf.exp(logP), logP)));
        return actions[k++];
      });
      return tf.sub(tf.mul(-advantage, logProb), tf.mul(this.o.entropyWeight, entropy)) as tf.Scalar;
    }, this.controllerParameters());
    this.optimizer.applyGradients(grads as unknown as Parameters<typeof this.optimizer.applyGradients>[0]);
    tf.dispose([value, ...Object.values(grads)]);
    const d = this.o.baselineDecay;
    this.baseline.value = this.baseline.value === undefined ? reward : d * this.baseline.value + (1 - d) * reward;
    return advantage;
  }

  /** Each decision's actions with their probabilities along the greedy path. */
  probabilities(): Record<string, number[]> {
    const out: Record<string, number[]> = {};
    let k = 0;
    tf.tidy(() => this.unroll((logits) => {
      const p = Array.from(tf.softmax(logits).dataSync());
      out[this.steps[k++].decision.key] = p;
      return p.indexOf(Math.max(...p));
    }));
    return out;
  }

  /** Names of each decision's actions (an input space's: its subsets). */
  actionNames(): Record<string, string[]> {
    return Object.fromEntries(this.steps.map((s) => [s.decision.key, s.masks.map((m) => JSON.stringify(s.decision.primary.choiceFor(m)).replace(/"/g, ''))]));
  }

  dispose(): void {
    tf.dispose(this.controllerParameters());
    this.optimizer.dispose();
  }

  /** Runs the LSTM over every decision; `act` gets each step's logits ([actions]) and returns the action to feed on. */
  private unroll(act: (logits: tf.Tensor1D) => number): void {
    const h = this.o.hidden;
    let input = this.params.start as tf.Tensor2D;
    let state = { h: tf.zeros([1, h]) as tf.Tensor2D, c: tf.zeros([1, h]) as tf.Tensor2D };
    this.steps.forEach((_, k) => {
      state = lstmStep(input, state, this.params.lstmW, this.params.lstmB);
      const z = tf.reshape(tf.matMul(state.h, this.params[`head${k}`]), [-1]) as tf.Tensor1D;
      const logits = tf.mul(this.o.tanhConstant, tf.tanh(tf.div(z, this.o.temperature))) as tf.Tensor1D;
      const action = act(logits);
      // A one-hot product, not a gather: gather's gradient needs a kernel tfjs-wasm lacks.
      input = tf.matMul(tf.reshape(oneHotRow(action, logits.shape[0]), [1, -1]), this.params[`embed${k}`]);
    });
  }

  private masksOf(actions: number[]): Record<string, number[]> {
    return Object.fromEntries(this.steps.map((s, k) => [s.decision.key, s.masks[actions[k]]]));
  }
}

const oneHotRow = (index: number, n: number): tf.Tensor1D => tf.tensor1d(Array.from({ length: n }, (_, i) => (i === index ? 1 : 0)));

function lstmStep(x: tf.Tensor2D, s: { h: tf.Tensor2D; c: tf.Tensor2D }, w: tf.Variable, b: tf.Variable): { h: tf.Tensor2D; c: tf.Tensor2D } {
  const gates = tf.add(tf.matMul(tf.concat([x, s.h], 1), w), b);
  const [i, f, g, o] = tf.split(gates, 4, 1);
  const c = tf.add(tf.mul(tf.sigmoid(f), s.c), tf.mul(tf.sigmoid(i), tf.tanh(g))) as tf.Tensor2D;
  return { h: tf.mul(tf.sigmoid(o), tf.tanh(c)) as tf.Tensor2D, c };
}

/** The masks a decision can take: one-hot per candidate, or an input space's allowed subsets. */
/** The index whose cumulative probability first exceeds u. */
function drawIndex(p: ArrayLike<number>, u: number): number {
  let acc = 0;
  for (let i = 0; i < p.length; i++) {
    acc += p[i];
    if (u < acc) return i;
  }
  return p.length - 1;
}
