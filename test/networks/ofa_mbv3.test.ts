import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { archFromJson, archToOfa, buildSubnet, countEmitted, countMacs, countOFACost, countParams, OFA_IMAGENET, OFAMobileNetV3, ofaToArch, type OFAArch } from '../../networks/index.js';
import { RandomMutator } from '../../space/index.js';
import { perturb } from '../helpers/perturb.js';
import { useWasm } from '../helpers/setup.js';
import { maxAbsDiff } from '../helpers/tensors.js';

useWasm();

const fill = (ks: number, e: number, d: number, r: number): OFAArch => ({ ks: Array(20).fill(ks), e: Array(20).fill(e), d: Array(5).fill(d), r });

/** A small configuration so forward passes are quick; the structure is OFA's. */
const SMALL = { widthMult: 0.5, numClasses: 10, stemStride: 1, resolutions: [24, 32, 40] };

describe('ofa-mbv3 supernet', () => {
  it('has the keys of OFA: ks/er per block, depth per stage, resolution', () => {
    const keys = new RandomMutator(new OFAMobileNetV3(SMALL)).keys;
    expect(keys).toHaveLength(20 + 20 + 5 + 1);
    for (let i = 1; i <= 20; i++) expect(keys).toEqual(expect.arrayContaining([`ks_block${i}`, `er_block${i}`]));
    expect(keys).toEqual(expect.arrayContaining(['depth1', 'depth5', 'resolution']));
  });

  it('counts MACs and parameters exactly as OFA does (reference subnets)', () => {
    expect(countOFACost(ofaToArch(fill(7, 6, 4, 224)), OFA_IMAGENET)).toEqual({ macs: 566_170_656, params: 7_664_760 });
    expect(countOFACost(ofaToArch(fill(3, 3, 2, 128)), OFA_IMAGENET)).toEqual({ macs: 41_476_224, params: 3_410_792 });
    expect(countMacs(ofaToArch(fill(7, 6, 4, 224)))).toBe(566_170_656);
    expect(countParams(ofaToArch(fill(3, 3, 2, 128)))).toBe(3_410_792);
  });

  it('the static subnet holds exactly countParams parameters, for random archs and widths', () => {
    for (const [options, seed] of [
      [OFA_IMAGENET, 1],
      [SMALL, 2],
      [{ ...SMALL, widthMult: 1.2, inputChannels: 1 }, 3],
    ] as const) {
      const supernet = new OFAMobileNetV3(options);
      const m = new RandomMutator(supernet, { seed });
      for (let i = 0; i < 3; i++) {
        const arch = m.reset();
        const subnet = buildSubnet(supernet, arch);
        const cost = countOFACost(arch, supernet.options);
        expect(subnet.numParameters()).toBe(cost.params);
        // The generic counter walks what the subnet exports: it must agree with OFA's formulas.
        expect(countEmitted(subnet, supernet.options.inputChannels, arch.choices.resolution as number)).toEqual(cost);
        subnet.dispose();
      }
      supernet.dispose();
    }
  });

  it('the subnet computes what the supernet computes under the same arch (eval, 1e-5)', () => {
    const supernet = new OFAMobileNetV3(SMALL);
    perturb(supernet, 7);
    supernet.eval();
    const m = new RandomMutator(supernet, { seed: 11 });
    for (let i = 0; i < 6; i++) {
      const arch = m.reset();
      const r = arch.choices.resolution as number;
      const x = tf.randomNormal([2, r, r, 3], 0, 1, 'float32', i);
      const want = supernet.forward(x);
      const subnet = buildSubnet(supernet, arch);
      const got = subnet.forward(x);
      expect(tf.max(tf.abs(want)).dataSync()[0]).toBeGreaterThan(0.5); // a signal, not just biases
      expect(maxAbsDiff(got.dataSync(), want.dataSync())).toBeLessThanOrEqual(1e-5);
      subnet.dispose();
    }
  });

  it('sortChannels keeps the full-width function and orders middle channels by importance', () => {
    const supernet = new OFAMobileNetV3(SMALL);
    perturb(supernet, 3);
    supernet.eval();
    const m = new RandomMutator(supernet, { seed: 5 });
    m.sampleByMask(ofaToArch(fill(7, 6, 4, 32)));
    const x = tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 9);
    const before = supernet.forward(x).dataSync();
    supernet.sortChannels();
    expect(maxAbsDiff(supernet.forward(x).dataSync(), before)).toBeLessThan(1e-4);
    for (const block of supernet.stages.flat()) {
      const importance = tf.sum(tf.abs(block.project.weight), [0, 2, 3]).arraySync() as number[];
      for (let i = 1; i < importance.length; i++) expect(importance[i]).toBeLessThanOrEqual(importance[i - 1]);
    }
  });

  it('generic and OFA arch forms convert both ways', () => {
    const supernet = new OFAMobileNetV3(SMALL);
    const arch = new RandomMutator(supernet, { seed: 4 }).reset();
    const ofa = archToOfa(arch, supernet.options);
    expect(archFromJson(ofa, supernet)).toEqual(arch);
    expect(archFromJson({ ...ofa, r: [ofa.r] }, supernet)).toEqual(arch);
    expect(archFromJson(JSON.parse(JSON.stringify(arch)), supernet)).toEqual(arch);
  });

  it.each([
    [{ ...fill(7, 6, 4, 224), ks: [4, ...Array(19).fill(7)] }, "a.json: field 'ks[0]': 4 is not one of 3, 5, 7"],
    [{ ...fill(7, 6, 4, 224), e: [...Array(19).fill(6), 5] }, "a.json: field 'e[19]': 5 is not one of 3, 4, 6"],
    [{ ...fill(7, 6, 4, 224), ks: Array(19).fill(7) }, "a.json: field 'ks': expected 20 entries, got 19"],
    [{ ...fill(7, 6, 4, 224), d: [4, 4, 5, 4, 4] }, "a.json: field 'd[2]': 5 is not one of 2, 3, 4"],
    [fill(7, 6, 4, 230), "a.json: field 'r': 230 is not a resolution of the space (128..224:"],
    [{ space: 'mbconv-stack', choices: {} }, "a.json: field 'space': expected 'ofa-mbv3', got 'mbconv-stack'"],
  ])('bad arch %#: one line naming the field', (json, message) => {
    expect(() => archFromJson(json, new OFAMobileNetV3({ ...SMALL, resolutions: OFA_IMAGENET.resolutions }), 'a.json')).toThrow(message);
  });
});
