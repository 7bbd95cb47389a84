import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError, OFAMobileNetV3, searchSpaceOf, RandomMutator, Rng, SearchSpace } from '../../index.js';
import { useWasm } from '../helpers/setup.js';
import { ToySpace } from './toy_space.js';

useWasm();

const ofa = () => {
  const model = new OFAMobileNetV3({ widthMult: 0.5, inputChannels: 1, numClasses: 10, stemStride: 2, resolutions: [24, 28] });
  return { model, space: searchSpaceOf(model) };
};

describe('SearchSpace', () => {
  it('ofa-mbv3: one gene per decision, 137 one-hot inputs, OFA-form choices', () => {
    const { space } = ofa();
    expect(space.size).toBe(46);
    expect(space.encodingLength).toBe(20 * 3 + 20 * 3 + 5 * 3 + 2);
    expect(space.genes.find((g) => g.key === 'resolution')!.options).toEqual([24, 28]);
  });

  it('a generic space: input genes enumerate every non-empty subset', () => {
    const space = new SearchSpace(new RandomMutator(new ToySpace()));
    const inputs = space.genes.find((g) => g.key === 'inputs')!;
    expect(inputs.options).toEqual([[0], [1], [0, 1], [2], [0, 2], [1, 2], [0, 1, 2]]);
    expect(space.combinations).toBe(4 ** 12 * 7);
  });

  it('any genome: toArch -> fromArch is the identity; the arch applies to the model', () => {
    const { model, space } = ofa();
    const mutator = new RandomMutator(model);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed) => {
        const g = space.sample(new Rng(seed));
        const arch = space.toArch(g);
        expect([...space.fromArch(arch)]).toEqual([...g]);
        mutator.sampleByMask(arch);
        expect(mutator.export()).toEqual(arch);
      }),
      { numRuns: 50 },
    );
  });

  it('fromArch names the key and the allowed options', () => {
    const { space } = ofa();
    const arch = space.toArch(space.sample(new Rng(1)));
    arch.choices.ks_block3 = 9;
    expect(() => space.fromArch(arch, 'a.json')).toThrow(InputError);
    expect(() => space.fromArch(arch, 'a.json')).toThrow("a.json: field 'choices.ks_block3': expected one of 3, 5, 7");
  });

  it('skipped blocks do not change identity or encoding; active ones do', () => {
    const { space } = ofa();
    const index = (key: string) => space.genes.findIndex((g) => g.key === key);
    const g = space.sample(new Rng(5));
    g[index('depth1')] = 0; // depth 2: blocks 3 and 4 of stage 1 are skipped
    const other = g.slice();
    other[index('ks_block4')] = (g[index('ks_block4')] + 1) % 3;
    other[index('er_block3')] = (g[index('er_block3')] + 1) % 3;
    expect(space.identity(other)).toBe(space.identity(g));
    expect([...space.encode(other)]).toEqual([...space.encode(g)]);
    const active = g.slice();
    active[index('ks_block2')] = (g[index('ks_block2')] + 1) % 3;
    expect(space.identity(active)).not.toBe(space.identity(g));
    const code = space.encode(g);
    const activeGenes = space.activeMask(g).filter(Boolean).length;
    expect(code.reduce((a, b) => a + b, 0)).toBe(activeGenes);
  });

  it('mutation: p = 0 copies, p = 1 resamples every gene uniformly; crossover takes each gene from a parent', () => {
    const space = new SearchSpace(new RandomMutator(new ToySpace()));
    const rng = new Rng(3);
    const a = space.sample(rng);
    expect([...space.mutate(a, 0, rng)]).toEqual([...a]);
    const counts = new Array<number>(4).fill(0);
    for (let i = 0; i < 4000; i++) counts[space.mutate(a, 1, rng)[0]]++;
    for (const c of counts) expect(c / 4000).toBeGreaterThan(0.22);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed) => {
        const r = new Rng(seed);
        const [x, y] = [space.sample(r), space.sample(r)];
        const child = space.crossover(x, y, r);
        child.forEach((v, i) => expect(v === x[i] || v === y[i]).toBe(true));
      }),
      { numRuns: 100 },
    );
  });
});
