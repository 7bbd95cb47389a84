import { InputError } from '../tensor/index.js';
import { parseArch, RandomMutator, readJsonFile, underSource, type AnyModule, type Arch } from '../space/index.js';
import { spaceIdOf } from './definition.js';
import { getSpace } from './registry.js';
import { extremeArch, isExtremeName } from './extreme_arch.js';

/**
 * Reads an arch for `model` from any accepted form (generic `{ space, choices }`, Hyperbox
 * mask dict, or the space's own form: OFA's `{ ks, e, d, r }`, NB201's string), checks it against the space and
 * returns it in generic form. Errors name the file and the field.
 */
export function archFromJson(json: unknown, model: AnyModule, source = 'arch', mutator = new RandomMutator(model)): Arch {
  const id = spaceIdOf(model);
  const own = id === undefined ? undefined : getSpace(id).parseArch?.(json, model, source);
  if (own) {
    underSource(source, () => mutator.sampleByMask(own));
    return mutator.export();
  }
  const spec = parseArch(json, source);
  if (spec.form === 'choices' && spec.arch.space !== mutator.space) {
    throw new InputError(`${source}: field 'space': expected '${mutator.space}', got '${spec.arch.space}'`);
  }
  underSource(source, () => mutator.sampleByMask(spec.form === 'choices' ? spec.arch : spec.masks));
  return mutator.export();
}

/** An arch file, or `largest` / `smallest` (the space's extreme subnets; a file of that name is `./largest`). */
export function readArchFor(spec: string, model: AnyModule): Arch {
  return isExtremeName(spec) ? extremeArch(model, spec) : archFromJson(readJsonFile(spec), model, spec);
}

/**
 * A file holding one arch (or `largest` / `smallest`), or an array of archs (`array` says which). An error in an element
 * names the file and the field from the element's index, e.g. `field '[3].choices.k0'`.
 */
export function readArchesFor(path: string, model: AnyModule): { archs: Arch[]; array: boolean } {
  if (isExtremeName(path)) return { archs: [extremeArch(model, path)], array: false };
  const json = readJsonFile(path);
  if (!Array.isArray(json)) return { archs: [archFromJson(json, model, path)], array: false };
  if (json.length === 0) throw new InputError(`${path}: expected an arch or a non-empty array of archs, got an empty array`);
  const mutator = new RandomMutator(model);
  return { archs: json.map((element: unknown, i) => underField(path, `[${i}]`, () => archFromJson(element, model, path, mutator))), array: true };
}

/**
 * Runs `read` on a part of file `path` found at `field` (e.g. `[3].arch`): an InputError it
 * throws about the file names the field from there, `field '[3].arch.ks[0]'`.
 */
export function underField<T>(path: string, field: string, read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    const rest = err.message.startsWith(`${path}: `) ? err.message.slice(path.length + 2) : err.message;
    const named = /^field '([^']*)'(.*)$/s.exec(rest);
    if (!named) throw new InputError(`${path}: field '${field}': ${rest}`);
    const inner = named[1] === '(root)' ? '' : named[1].startsWith('[') ? named[1] : `.${named[1]}`;
    throw new InputError(`${path}: field '${field}${inner}'${named[2]}`);
  }
}
