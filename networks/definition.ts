import type { AnyModule, Arch, Choice } from '../space/index.js';
import type { Emittable } from './emit.js';

export interface Cost {
  macs: number;
  params: number;
}

/** Keys whose choice does not matter for an arch (e.g. blocks a shallower depth skips). */
export type InactiveKeys = (choiceOf: (key: string) => Choice) => Iterable<string>;

/** A stand-alone model of one block, to be exported and timed: NCHW input and output shapes. */
export interface BlockModel {
  module: Emittable;
  input: number[];
  output: number[];
  dispose(): void;
}

/** How a space's latency decomposes into blocks a device table times one by one. */
export interface SpaceLatency {
  /** Distinct blocks, grouped (by resolution): a group's sessions are open together while it is timed. */
  blockGroups(resolutions: number[]): { group: string; blocks: { key: string; build: () => BlockModel }[] }[];
  /**
   * A fast function from arch to the sum of its blocks' times (`lookup` gives a block's ms
   * and throws for a missing one); it writes the number of blocks summed into `counted`.
   * `table` names the table in errors ("latency table of 'local'").
   */
  compile(lookup: (key: string) => number, resolutions: number[], table: string): (arch: Arch, counted?: { blocks: number }) => number;
  /**
   * Where the block sum is additive over decisions: the ms each candidate of each decision adds
   * (a differentiable expected latency for hardware-aware mutators such as ProxylessNAS).
   */
  candidateCosts?(lookup: (key: string) => number, resolutions: number[]): Record<string, number[]>;
}

/**
 * A search space as every stage right of networks/ sees it: search, latency, export and the
 * CLI speak only to this, never to a particular space.
 */
export interface SpaceDefinition<M extends AnyModule = AnyModule> {
  id: string;
  description: string;
  /** Builds the supernet; `options` (validated, errors citing `source`) override the defaults. */
  create(options?: unknown, source?: string): M;
  /** Options that fit the space to a dataset's images (channels, classes, size), for `create`. */
  optionsFor(data: { channels: number; classes: number; size: number }): Record<string, unknown>;
  /** The configuration a latency table records (resolutions apart) and the resolutions an arch may take. */
  config(model: M): { options: object; resolutions: number[] };
  /** The supernet of the same configuration whose archs take only `resolutions` (fresh weights). */
  withResolutions(model: M, resolutions: number[]): M;
  /** An arch from a form of the space's own (OFA's `{ ks, e, d, r }`, NB201's string), or undefined for the generic forms. */
  parseArch?(json: unknown, model: M, source: string): Arch | undefined;
  /** The arch in the space's own form, for reports and tables (default: its choices). */
  archForm?(model: M, arch: Arch): ArchForm;
  /** Decisions an arch leaves without effect (left out of the search's encoding). */
  inactiveKeys?(model: M): InactiveKeys;
  /** MACs and parameters of the static subnet of `arch`. */
  cost(model: M, arch: Arch): Cost;
  /** The static subnet of `arch` with the weights it inherits; leaves the supernet set to `arch`. */
  subnet(supernet: M, arch: Arch): AnyModule & Emittable;
  /** Input channels, input size of the current arch (undefined where the space has no resolution decision) and classes. */
  io(model: M): { channels: number; resolution?: number; classes: number };
  /** Input decisions whose candidates each feed an operation decision (DARTS: node inputs and their edges), for derivation by edge strength. */
  inputEdges?(model: M): Record<string, string[]>;
  /** The latency blocks, where the space declares them. */
  latency?(model: M): SpaceLatency;
}

/** An arch as a report shows it: named fields, each a number, a string or a list of numbers. */
export type ArchForm = Record<string, number | string | number[]>;

/** The arch in its space's own form (OFA's `{ ks, e, d, r }`), or its choices. */
export function archFormOf<M extends AnyModule>(def: SpaceDefinition<M>, model: M, arch: Arch): ArchForm {
  return def.archForm?.(model, arch) ?? (arch.choices as ArchForm);
}

export type AnySpaceDefinition = SpaceDefinition<AnyModule>;

/** A module built by a space carries the space's id (checkpoints record it). */
export function spaceIdOf(model: AnyModule): string | undefined {
  return (model as { spaceId?: string }).spaceId;
}
