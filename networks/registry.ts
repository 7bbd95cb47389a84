import { InputError } from '../tensor/index.js';
import type { AnyModule } from '../space/index.js';
import { spaceIdOf, type AnySpaceDefinition, type SpaceDefinition } from './definition.js';
import { OFA_SPACE } from './ofa_space.js';
import { STACK_SPACE } from './stack_space.js';
import { NB201_SPACE } from './nb201_space.js';
import { PROXYLESS_SPACE } from './proxyless_space.js';
import { DARTS_SPACE } from './darts_space.js';
import { RESNET_SPACE } from './resnet_space.js';

const entries = [OFA_SPACE, STACK_SPACE, NB201_SPACE, DARTS_SPACE, PROXYLESS_SPACE, RESNET_SPACE] as unknown as AnySpaceDefinition[];

const registry = new Map(entries.map((e) => [e.id, e]));

/** The built-in spaces and those registered with registerSpace. */
export const SPACES: ReadonlyMap<string, AnySpaceDefinition> = registry;

/**
 * Adds a space of your own: its networks carry `spaceId` equal to `def.id`. Every stage right
 * of networks/ then takes it (a space that declares no latency blocks is profiled per operator).
 */
export function registerSpace<M extends AnyModule>(def: SpaceDefinition<M>): void {
  const existing = registry.get(def.id);
  if (existing && existing !== (def as unknown as AnySpaceDefinition)) throw new InputError(`registerSpace: a space '${def.id}' is already registered`);
  registry.set(def.id, def as unknown as AnySpaceDefinition);
}

export const DEFAULT_SPACE = 'ofa-mbv3';

export function getSpace(id: string): AnySpaceDefinition {
  const entry = SPACES.get(id);
  if (!entry) throw new InputError(`--space: unknown space '${id}', expected one of ${[...SPACES.keys()].join(', ')}`);
  return entry;
}

/** The definition of the space a supernet (or subnet) was built from. */
export function spaceOf<M extends AnyModule>(model: M): SpaceDefinition<M> {
  const id = spaceIdOf(model);
  if (!id) throw new InputError(`${model.constructor.name} is not a module of a registered search space`);
  return getSpace(id) as unknown as SpaceDefinition<M>;
}
