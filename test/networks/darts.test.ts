import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import {
  archFromJson,
  archToGenotype,
  countDartsCost,
  countEmitted,
  DARTS_SPACE,
  DartsMutator,
  DartsNetwork,
  formatGenotype,
  genotypeToArch,
  RandomMutator,
  searchSpaceOf,
  type Arch,
} from '../../index.js';
import { perturb } from '../helpers/perturb.js';
import { madeUpTable } from '../helpers/made_up_table.js';
import { useWasm } from '../helpers/setup.js';
import { expectSubnetsMatchSupernet } from '../helpers/subnet_checks.js';

useWasm();

/** DARTS' structure (a normal cell, the two reductions between), 4 channels at 12x12, for quick passes. */
const SMALL = { channels: 4, layers: 5, inputChannels: 1, numClasses: 10, resolution: 12 };
/** DARTS_V2, the genotype the DARTS paper reports for CIFAR-10. */
const DARTS_V2 =
  "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), ('dil_conv_3x3', 2)], normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])";

function sampleArchs(model: DartsNetwork, count: number, seed: number): Arch[] {
  const m = new RandomMutator(model, { seed });
  return Array.from({ length: count }, () => m.reset());
}

describe('darts space', () => {
  it('keys: per cell type and node, one operation per incoming edge and a switch choosing two inputs; cells of a type share them', () => {
    const m = new RandomMutator(new DartsNetwork(SMALL));
    expect(m.keys.filter((k) => k.startsWith('normal_n3'))).toEqual(['normal_n3_p0', 'normal_n3_p1', 'normal_n3_p2', 'normal_n3_switch']);
    expect(m.keys).toHaveLength(2 * (2 + 3 + 4 + 5 + 4));
    expect(m.decisions.get('reduce_n5_p4')!.primary.describeCandidates()).toEqual(['none', 'max_pool_3x3', 'avg_pool_3x3', 'skip_connect', 'sep_conv_3x3', 'sep_conv_5x5', 'dil_conv_3x3', 'dil_conv_5x5']);
    expect(m.decisions.get('normal_n2_p0')!.members).toHaveLength(3); // three normal cells
    for (const arch of sampleArchs(new DartsNetwork(SMALL), 20, 1)) expect((arch.choices.normal_n4_switch as number[]).length).toBe(2);
  });

  it("reads DARTS' printed genotype and its JSON form; writes it back; the search encodes only the edges a switch takes", () => {
    const model = new DartsNetwork(SMALL);
    const arch = archFromJson(DARTS_V2, model, 'g.txt');
    expect(arch.choices.normal_n5_switch).toEqual([0, 2]);
    expect(arch.choices.normal_n5_p2).toBe('dil_conv_3x3');
    expect(arch.choices.normal_n5_p1).toBe('none');
    expect(genotypeToArch(archToGenotype(arch), 'g.json')).toEqual(arch);
    expect(archFromJson(formatGenotype(arch), model, 'g.txt')).toEqual(arch);
    for (const a of sampleArchs(model, 10, 2)) expect(genotypeToArch(JSON.parse(JSON.stringify(archToGenotype(a))), 'g.json')).toEqual(canonical(a));
    const space = searchSpaceOf(model);
    const g = space.fromArch(arch);
    const other = space.fromArch({ ...arch, choices: { ...arch.choices, normal_n5_p1: 'sep_conv_5x5' } });
    expect(space.identity(other)).toBe(space.identity(g));
  });

  it.each([
    ['a node taking the same input twice', { normal: pairs([['sep_conv_3x3', 1], ['sep_conv_3x3', 1]]), reduce: pairs() }, "g.json: field 'normal[1]': node 2 takes input 1 twice; DARTS nodes sum two different inputs"],
    ['an input after the node', { normal: pairs([['sep_conv_3x3', 0], ['sep_conv_3x3', 2]]), reduce: pairs() }, "g.json: field 'normal[1]': node 2 takes inputs 0..1 (the two cell inputs, then earlier nodes), got 2"],
    ['an unknown operation', { normal: pairs([['conv_7x7', 0], ['sep_conv_3x3', 1]]), reduce: pairs() }, "g.json: field 'normal[0]': unknown operation \"conv_7x7\"; expected one of none, max_pool_3x3"],
    ['too few pairs', { normal: pairs().slice(0, 6), reduce: pairs() }, "g.json: field 'normal': expected 8 (operation, input) pairs, two per node, got 6"],
  ])('%s is an InputError naming the file and field', (_, genotype, message) => {
    expect(() => archFromJson(genotype, new DartsNetwork(SMALL), 'g.json')).toThrow(message);
  });

  it('counts: the formulas equal what the static subnet emits and the parameters it holds', () => {
    const supernet = new DartsNetwork(SMALL);
    for (const arch of [archFromJson(DARTS_V2, supernet, 'g'), ...sampleArchs(supernet, 8, 5)]) {
      const subnet = DARTS_SPACE.subnet(supernet, arch);
      const cost = countDartsCost(arch, supernet.options);
      expect(countEmitted(subnet, SMALL.inputChannels, SMALL.resolution)).toEqual(cost);
      expect(subnet.numParameters()).toBe(cost.params);
      subnet.dispose();
    }
  });

  it('the subnet computes what the supernet computes under the same arch, and its ONNX export the same (1e-5 of the logits scale)', async () => {
    const supernet = new DartsNetwork(SMALL);
    perturb(supernet, 21);
    supernet.eval();
    const x = tf.randomNormal([2, SMALL.resolution, SMALL.resolution, 1], 0, 1, 'float32', 5) as tf.Tensor4D;
    const allNone = genotypeToArch({ normal: pairs([['none', 0], ['none', 1]]), reduce: pairs([['none', 0], ['none', 1]]) }, 'g');
    await expectSubnetsMatchSupernet(DARTS_SPACE, supernet, [archFromJson(DARTS_V2, supernet, 'g'), allNone, ...sampleArchs(supernet, 3, 9)], x);
  });
});

/** Eight (operation, input) pairs: `first` for node 2, then sep_conv_3x3 from inputs 0 and 1. */
function pairs(first: [string, number][] = [['sep_conv_3x3', 0], ['sep_conv_3x3', 1]]): [string, number][] {
  return [...first, ...Array.from({ length: 6 }, (_, i): [string, number] => ['sep_conv_3x3', i % 2])];
}

/** An arch as a genotype keeps it: edges the switch does not take read 'none'. */
function canonical(arch: Arch): Arch {
  return genotypeToArch(archToGenotype(arch), 'arch');
}

describe('DARTS derivation on the darts space', () => {
  it("takes each node's two inputs whose edges hold the strongest operation other than none (DARTS' rule), not the switch's own logits", () => {
    const model = new DartsNetwork(SMALL);
    const mutator = new DartsMutator(model, { seed: 1, deriveExcluding: ['none'], inputEdges: DARTS_SPACE.inputEdges!(model) });
    const set = (key: string, values: number[]) => mutator.logits.get(key)!.assign(tf.tensor1d(values));
    // Node 3 of the normal cell: input 0's edge strongly sep_conv_5x5, input 2's dil_conv_3x3,
    // input 1's edge strongly none (left out); the switch's own logits favour input 1.
    set('normal_n3_p0', [0, 0, 0, 0, 0, 4, 0, 0]);
    set('normal_n3_p1', [9, 0, 0, 0, 0, 0, 0, 0]);
    set('normal_n3_p2', [0, 0, 0, 0, 0, 0, 3, 0]);
    set('normal_n3_switch', [0, 9, 0]);
    const arch = mutator.derive();
    expect(arch.choices.normal_n3_switch).toEqual([0, 2]);
    expect(arch.choices.normal_n3_p0).toBe('sep_conv_5x5');
    expect(arch.choices.normal_n3_p2).toBe('dil_conv_3x3');
    expect(formatGenotype(arch)).toContain("('sep_conv_5x5', 0), ('dil_conv_3x3', 2)");
    expect(() => new DartsMutator(model, { inputEdges: { normal_n3_switch: ['normal_n3_p0'] } })).toThrow("inputEdges: 'normal_n3_switch' must be an input decision with one operation decision per candidate");
    mutator.dispose();
  });
});

describe('darts latency blocks', () => {
  it('the compiled sum reads only listed blocks; swapping one chosen operation changes it by exactly the two blocks\' difference', () => {
    const model = new DartsNetwork(SMALL);
    const latency = DARTS_SPACE.latency!(model);
    const { lookup } = madeUpTable(latency, [SMALL.resolution]);
    const sum = latency.compile(lookup, [SMALL.resolution], 'test table');
    const v2 = archFromJson(DARTS_V2, model, 'g');
    const counted = { blocks: 0 };
    const base = sum(v2, counted);
    // Stem, head; per cell 2 preprocessing + concat, the running operations, one Add per node.
    const running = (type: 'normal' | 'reduce') => archToGenotype(v2)[type].filter(([op, input]) => op !== 'skip_connect' || (type === 'reduce' && input < 2)).length;
    expect(counted.blocks).toBe(2 + 5 * 3 + 3 * (running('normal') + 4) + 2 * (running('reduce') + 4));
    // Normal node 5 takes input 2 through dil_conv_3x3: make it sep_conv_5x5, in the three normal
    // cells (cells 0, 2, 4 of 5: 4 channels at 12x12, 8 at 6x6, 16 at 3x3).
    const swapped = sum({ ...v2, choices: { ...v2.choices, normal_n5_p2: 'sep_conv_5x5' } });
    const shapes = [[4, 12], [8, 6], [16, 3]];
    const difference = shapes.reduce((n, [c, s]) => n + lookup(`darts:sep_conv_5x5:c${c}:s${s}:st1`) - lookup(`darts:dil_conv_3x3:c${c}:s${s}:st1`), 0);
    expect(swapped - base).toBeCloseTo(difference, 9);
    for (const arch of sampleArchs(model, 20, 12)) expect(Number.isFinite(sum(arch))).toBe(true);
  });
});
