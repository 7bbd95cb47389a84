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

export const SPACES: ReadonlyMap<string, AnySpaceDefinition> = new Map(entries.map((e) => [e.id, e]));

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
