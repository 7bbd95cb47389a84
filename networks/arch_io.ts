import { InputError } from '../tensor/index.js';
import { parseArch, RandomMutator, readJsonFile, type AnyModule, type Arch } from '../space/index.js';
import { isOFAForm, ofaToArch, parseOFAArch } from './ofa_arch.js';
import { OFAMobileNetV3 } from './ofa_mbv3.js';

/**
 * Reads an arch for `model` from any accepted form (generic `{ space, choices }`, Hyperbox
 * mask dict, or for ofa-mbv3 OFA's `{ ks, e, d, r }`), checks it against the space and
 * returns it in generic form. Errors name the file and the field.
 */
export function archFromJson(json: unknown, model: AnyModule, source = 'arch'): Arch {
  const mutator = new RandomMutator(model);
  const prefix = (fn: () => void) => {
    try {
      fn();
    } catch (err) {
      if (err instanceof InputError && !err.message.startsWith(source)) throw new InputError(`${source}: ${err.message}`);
      throw err;
    }
  };
  if (model instanceof OFAMobileNetV3 && isOFAForm(json)) {
    const arch = ofaToArch(parseOFAArch(json, model.options, source));
    prefix(() => mutator.sampleByMask(arch));
    return mutator.export();
  }
  const spec = parseArch(json, source);
  if (spec.form === 'choices' && spec.arch.space !== mutator.space) {
    throw new InputError(`${source}: field 'space': expected '${mutator.space}', got '${spec.arch.space}'`);
  }
  prefix(() => mutator.sampleByMask(spec.form === 'choices' ? spec.arch : spec.masks));
  return mutator.export();
}

export function readArchFor(path: string, model: AnyModule): Arch {
  return archFromJson(readJsonFile(path), model, path);
}
