import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  countEmitted,
  countProxylessCost,
  latencySpaceOf,
  PROXYLESS_SPACE,
  ProxylessNetwork,
  proxylessLayers,
  RandomMutator,
  type Arch,
} from '../../index.js';
import { perturb } from '../helpers/perturb.js';
import { madeUpTable } from '../helpers/made_up_table.js';
import { useWasm } from '../helpers/setup.js';
import { expectSubnetsMatchSupernet } from '../helpers/subnet_checks.js';

useWasm();

/** ProxylessNAS's structure with fewer layers, narrower and at 16x16, for quick passes. */
const SMALL = { widthMult: 0.25, stageLayers: [2, 2, 1, 1, 2, 1], stemStride: 1, inputChannels: 1, numClasses: 10, resolution: 16, kernelSizes: [3, 5], expandRatios: [3, 6] };

function sampleArchs(model: ProxylessNetwork, count: number, seed: number): Arch[] {
  const m = new RandomMutator(model, { seed });
  return Array.from({ length: count }, () => m.reset());
}

const uniformArch = (model: ProxylessNetwork, op: (skippable: boolean) => string): Arch => ({
  space: 'proxyless',
  choices: Object.fromEntries(proxylessLayers(model.options).map((l) => [l.key, op(l.skippable)])),
});

describe('proxyless space', () => {
  it("has one decision per layer: every MBConv (kernel x expand), and zero except on a stage's first layer", () => {
    const m = new RandomMutator(new ProxylessNetwork(SMALL));
    expect(m.keys).toEqual(['layer1', 'layer2', 'layer3', 'layer4', 'layer5', 'layer6', 'layer7', 'layer8', 'layer9']);
    const ops = (key: string) => m.decisions.get(key)!.primary.describeCandidates();
    expect(ops('layer1')).toEqual(['mb_k3_e3', 'mb_k3_e6', 'mb_k5_e3', 'mb_k5_e6']);
    expect(ops('layer2')).toEqual(['mb_k3_e3', 'mb_k3_e6', 'mb_k5_e3', 'mb_k5_e6', 'zero']);
    expect(ops('layer5')).toEqual(ops('layer1')); // first layer of stage 4 (stride 1, new width)
    const full = new ProxylessNetwork({ numClasses: 10 });
    expect(new RandomMutator(full).keys).toHaveLength(21);
    full.dispose();
  });

  it('counts: the formulas equal what the static subnet emits and the parameters it holds', () => {
    const supernet = new ProxylessNetwork(SMALL);
    const archs = [uniformArch(supernet, (s) => (s ? 'zero' : 'mb_k3_e3')), uniformArch(supernet, () => 'mb_k5_e6'), ...sampleArchs(supernet, 10, 5)];
    for (const arch of archs) {
      const subnet = PROXYLESS_SPACE.subnet(supernet, arch);
      const cost = countProxylessCost(arch, supernet.options);
      expect(countEmitted(subnet, SMALL.inputChannels, SMALL.resolution)).toEqual(cost);
      expect(subnet.numParameters()).toBe(cost.params);
      subnet.dispose();
    }
    const [skipped, largest] = archs.map((a) => countProxylessCost(a, supernet.options).macs);
    expect(largest).toBeGreaterThan(2 * skipped);
  });

  it('the subnet computes what the supernet computes under the same arch, and its ONNX export the same (1e-5 of the logits scale)', async () => {
    const supernet = new ProxylessNetwork(SMALL);
    perturb(supernet, 13);
    supernet.eval();
    const x = tf.randomNormal([2, SMALL.resolution, SMALL.resolution, 1], 0, 1, 'float32', 4) as tf.Tensor4D;
    await expectSubnetsMatchSupernet(PROXYLESS_SPACE, supernet, [uniformArch(supernet, (s) => (s ? 'zero' : 'mb_k5_e3')), ...sampleArchs(supernet, 3, 9)], x);
  });

  it('latency is additive over layers: the compiled sum equals the fixed blocks plus each choice\'s candidate cost, and every key it reads is a listed block', () => {
    const model = new ProxylessNetwork(SMALL);
    const latency = PROXYLESS_SPACE.latency!(model);
    const { listed, lookup } = madeUpTable(latency, [SMALL.resolution]);
    const sum = latency.compile(lookup, [SMALL.resolution], 'test table');
    const costs = latency.candidateCosts!(lookup, [SMALL.resolution]);
    const names = new Map(proxylessLayers(model.options).map((l) => [l.key, l.ops.map((op) => op.name)]));
    const fixedMs = [...listed].filter((k) => k.startsWith('proxyless:')).reduce((n, k) => n + lookup(k), 0);
    const arb = fc.array(fc.nat(), { minLength: names.size, maxLength: names.size });
    fc.assert(
      fc.property(arb, (picks) => {
        const keys = [...names.keys()];
        const choices = Object.fromEntries(keys.map((k, i) => [k, names.get(k)![picks[i] % names.get(k)!.length]]));
        const counted = { blocks: 0 };
        const ms = sum({ space: 'proxyless', choices }, counted);
        const expected = fixedMs + keys.reduce((n, k) => n + costs[k][names.get(k)!.indexOf(choices[k])], 0);
        expect(ms).toBeCloseTo(expected, 9);
        expect(counted.blocks).toBe(2 + keys.filter((k) => choices[k] !== 'zero').length);
      }),
      { numRuns: 50 },
    );
    expect(latencySpaceOf(model).space).toBe('proxyless');
  });

  it('bad options and archs: InputErrors naming the file and field', () => {
    expect(() => PROXYLESS_SPACE.create({ stageLayers: [1, 2] }, 'space.json')).toThrow(/^space\.json: field 'options\.stageLayers': expected 6 stages' layer counts/);
    expect(() => PROXYLESS_SPACE.create({ kernelSizes: [4] }, 'space.json')).toThrow(/^space\.json: field 'options\.kernelSizes': expected odd kernel sizes/);
    const model = new ProxylessNetwork(SMALL);
    expect(() => countProxylessCost(uniformArch(model, () => 'zero'), model.options)).toThrow(/field 'choices\.layer1': expected one of mb_k3_e3, mb_k3_e6, mb_k5_e3, mb_k5_e6$/);
  });
});
