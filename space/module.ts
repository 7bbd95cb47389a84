import * as tf from '@tensorflow/tfjs-core';
import { InputError } from '../tensor/index.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
export type AnyModule = Module<any[], any>;
/* eslint-enable @typescript-eslint/no-explicit-any */

/**
 * The base of every layer and network, after torch.nn.Module: named children, named
 * parameters (trainable tf.Variables), named buffers (non-trainable, e.g. BN running
 * statistics), a training flag, and state dicts keyed by module path.
 */
export abstract class Module<I extends unknown[] = [tf.Tensor], O = tf.Tensor> {
  training = true;
  private readonly childModules = new Map<string, AnyModule>();
  private readonly params = new Map<string, tf.Variable>();
  private readonly buffers = new Map<string, tf.Variable>();

  abstract forward(...inputs: I): O;

  protected registerModule<M extends AnyModule>(name: string, module: M): M {
    this.childModules.set(name, module);
    return module;
  }

  protected registerParameter(name: string, value: tf.Tensor): tf.Variable {
    return this.addVariable(this.params, name, value, true);
  }

  protected registerBuffer(name: string, value: tf.Tensor): tf.Variable {
    return this.addVariable(this.buffers, name, value, false);
  }

  private addVariable(into: Map<string, tf.Variable>, name: string, value: tf.Tensor, trainable: boolean) {
    if (this.params.has(name) || this.buffers.has(name)) throw new Error(`duplicate tensor name '${name}'`);
    const variable = tf.variable(value, trainable);
    value.dispose();
    into.set(name, variable);
    return variable;
  }

  children(): [string, AnyModule][] {
    return [...this.childModules];
  }

  /** This module and every descendant with its dotted path ('' for this one), depth first. */
  namedModules(prefix = ''): [string, AnyModule][] {
    const out: [string, AnyModule][] = [[prefix, this]];
    for (const [name, child] of this.childModules) {
      out.push(...child.namedModules(prefix ? `${prefix}.${name}` : name));
    }
    return out;
  }

  namedParameters(): [string, tf.Variable][] {
    return this.collect((m) => m.params);
  }

  parameters(): tf.Variable[] {
    return this.namedParameters().map(([, v]) => v);
  }

  namedBuffers(): [string, tf.Variable][] {
    return this.collect((m) => m.buffers);
  }

  /** Counts each shared tensor once. */
  private collect(pick: (m: AnyModule) => Map<string, tf.Variable>): [string, tf.Variable][] {
    const seen = new Set<tf.Variable>();
    const out: [string, tf.Variable][] = [];
    for (const [path, module] of this.namedModules()) {
      for (const [name, v] of pick(module)) {
        if (seen.has(v)) continue;
        seen.add(v);
        out.push([path ? `${path}.${name}` : name, v]);
      }
    }
    return out;
  }

  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Parameters and buffers by path. The tensors are the live variables, not copies. */
  stateDict(): Record<string, tf.Variable> {
    return Object.fromEntries([...this.namedParameters(), ...this.namedBuffers()]);
  }

  /**
   * Copies values into this module's tensors. A shape mismatch, or (when strict) a missing
   * or unexpected entry, is an error naming the entry; nothing is changed in that case.
   */
  loadStateDict(state: Record<string, tf.Tensor>, { strict = true, source = 'state dict' } = {}): void {
    const own = this.stateDict();
    for (const [name, v] of Object.entries(own)) {
      const given = state[name];
      if (given == null) {
        if (strict) throw new InputError(`${source}: missing tensor '${name}' (shape [${v.shape}])`);
        continue;
      }
      if (!tf.util.arraysEqual(given.shape, v.shape)) {
        throw new InputError(`${source}: tensor '${name}' has shape [${given.shape}], expected [${v.shape}]`);
      }
    }
    if (strict) {
      const unexpected = Object.keys(state).find((name) => !(name in own));
      if (unexpected) throw new InputError(`${source}: unexpected tensor '${unexpected}'`);
    }
    for (const [name, v] of Object.entries(own)) {
      const given = state[name];
      if (given != null) tf.tidy(() => v.assign(tf.cast(given, v.dtype)));
    }
  }

  numParameters(): number {
    return this.parameters().reduce((n, p) => n + p.size, 0);
  }

  dispose(): void {
    for (const [, v] of [...this.namedParameters(), ...this.namedBuffers()]) v.dispose();
  }
}
