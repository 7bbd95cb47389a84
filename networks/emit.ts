import type { BatchNormNd, ConvNd, Linear } from '../space/index.js';
import type { Activation } from './layers.js';

/** An attribute value: integers and integer lists go as INT(S); `{ float }` / `{ floats }` as FLOAT(S). */
export type AttrValue = number | number[] | string | { float: number } | { floats: number[] };

/**
 * What a network needs to write itself as a graph: export/ implements it over ONNX. Values
 * are names; every method returns the name of its output. A space's network describes its
 * own structure, export/ owns the format (dependency inversion: networks/ sits left of it).
 */
export interface GraphEmitter {
  /** A conv (active slice) with the following batch norm folded in. */
  conv(x: string, conv: ConvNd, bn: BatchNormNd | undefined, name: string): string;
  activation(x: string, act: Activation): string;
  hardSigmoid(x: string): string;
  /** Flatten, then the linear layer (active slice). `output` names the result. */
  linear(x: string, fc: Linear, name: string, output?: string): string;
  /** A batch norm (eval statistics) that could not be folded into a conv. */
  batchNorm(x: string, bn: BatchNormNd, channels: number, name: string): string;
  /** Drops the first `top` rows and `left` columns of an NCHW value (DARTS' factorized reduction shifts its second path so). */
  crop(x: string, top: number, left: number): string;
  /** A float32 constant of `shape` (batch included), zeros: an operand where a value of that shape is needed. */
  constant(shape: number[], name: string): string;
  /** Any ONNX operator by type. */
  node(op: string, inputs: string[], attrs?: Record<string, AttrValue>, output?: string): string;
}

/** A module that can write itself through a GraphEmitter (a whole network or one block). */
export interface Emittable {
  emit(e: GraphEmitter, x: string, name: string): string;
}

export function isEmittable(m: unknown): m is Emittable {
  return typeof (m as Partial<Emittable> | undefined)?.emit === 'function';
}
