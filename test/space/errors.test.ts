import { describe, expect, it } from 'vitest';
import { Conv2d, InputSpace, Module, OperationSpace, RandomMutator, ValueSpace } from '../../space/index.js';
import { InputError } from '../../tensor/index.js';
import { useWasm } from '../helpers/setup.js';

useWasm();

function errorOf(fn: () => unknown): InputError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return err as InputError;
  }
  throw new Error('expected an InputError');
}

describe('bad search-space input is an InputError naming the key', () => {
  it('mask of the wrong length', () => {
    const e = errorOf(() => new ValueSpace([3, 5, 7], { key: 'ks', mask: [0, 1] }));
    expect(e.message).toBe("mask for 'ks': expected 3 entries, got 2");
    expect(e.exitCode).toBe(2);
    expect(errorOf(() => new OperationSpace([new Conv2d(1, 1, 1)], { key: 'op', mask: [1, 0] })).message).toMatch(/'op'/);
  });

  it('a mask dict missing a key', () => {
    const masks = { ks: [0, 1, 0] };
    expect(errorOf(() => new ValueSpace([16, 32], { key: 'width', mask: masks })).message).toBe("mask: no entry for key 'width'");
  });

  it('nChosen > nCandidates', () => {
    expect(errorOf(() => new InputSpace({ nCandidates: 2, nChosen: 3, key: 'skip' })).message).toBe(
      "InputSpace 'skip': nChosen must be an integer in 1..2 (nCandidates), got 3",
    );
  });

  it('a non-one-hot boolean mask for a value space', () => {
    expect(errorOf(() => new ValueSpace([3, 5, 7], { key: 'ks', mask: [true, true, false] })).message).toBe(
      "mask for value space 'ks' must be one-hot, got [1, 1, 0]",
    );
    expect(errorOf(() => new ValueSpace([3, 5], { key: 'ks', mask: [0.3, 0.7] })).message).toMatch(/one-hot/);
  });

  it('a candidate list that is empty or has duplicates', () => {
    expect(errorOf(() => new ValueSpace([], { key: 'e' })).message).toBe("ValueSpace 'e': candidate list is empty");
    expect(errorOf(() => new ValueSpace([3, 5, 3], { key: 'e' })).message).toBe("ValueSpace 'e': duplicate candidate 3");
    expect(errorOf(() => new OperationSpace([], { key: 'op' })).message).toBe("OperationSpace 'op': candidate list is empty");
  });

  it('an InputSpace mask choosing a different number of inputs than nChosen', () => {
    expect(errorOf(() => new InputSpace({ nCandidates: 3, nChosen: 1, key: 'in', mask: [1, 1, 0] })).message).toBe(
      "mask for input space 'in' selects 2 inputs, expected nChosen = 1",
    );
  });

  it('a choice that is not a candidate, and arch keys missing or unknown', () => {
    class Net extends Module {
      readonly conv = this.registerModule('conv', new Conv2d(3, new ValueSpace([8, 16], { key: 'w' }), 3));
      forward() {
        return this.conv.weight;
      }
    }
    const m = new RandomMutator(new Net(), { seed: 1 });
    expect(errorOf(() => m.sampleByMask({ space: 'custom', choices: { w: 12 } })).message).toBe(
      "choice for 'w': 12 is not a candidate, expected one of [8,16]",
    );
    expect(errorOf(() => m.sampleByMask({ space: 'custom', choices: {} })).message).toBe("arch choices: missing key 'w'");
    expect(errorOf(() => m.sampleByMask({ space: 'custom', choices: { w: 8, x: 1 } })).message).toMatch(/unknown key 'x'/);
    expect(errorOf(() => m.sampleByMask({ w: [1, 1] })).message).toMatch(/one-hot/);
  });

  it('two spaces sharing a key with different numbers of candidates', () => {
    class Net extends Module {
      readonly a = this.registerModule('a', new Conv2d(3, new ValueSpace([8, 16], { key: 'w' }), 3));
      readonly b = this.registerModule('b', new Conv2d(3, new ValueSpace([8, 16, 24], { key: 'w' }), 3));
      forward() {
        return this.a.weight;
      }
    }
    expect(errorOf(() => new RandomMutator(new Net())).message).toMatch(/key 'w' is shared/);
  });
});
