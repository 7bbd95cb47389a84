import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { countEmitted, countResNetCost, currentSize, RandomMutator, RESNET_SPACE, ResNetNetwork, type Arch } from '../../index.js';
import { perturb } from '../helpers/perturb.js';
import { madeUpTable } from '../helpers/made_up_table.js';
import { useWasm } from '../helpers/setup.js';
import { expectSubnetsMatchSupernet } from '../helpers/subnet_checks.js';

useWasm();

/** ResNet-18's structure, a quarter of its widths, one or two blocks a stage, at 16x16. */
const SMALL = { widthMult: 0.25, blocks: [2, 1, 1, 2], inputChannels: 1, numClasses: 10, resolution: 16 };

function sampleArchs(model: ResNetNetwork, count: number, seed: number): Arch[] {
  const m = new RandomMutator(model, { seed });
  return Array.from({ length: count }, () => m.reset());
}

const uniform = (model: ResNetNetwork, ratio: number): Arch => ({ space: 'resnet', choices: Object.fromEntries(new RandomMutator(model).keys.map((k) => [k, ratio])) });

describe('resnet space (fine-grained widths)', () => {
  it('keys: one width ratio per stage and one per block', () => {
    const m = new RandomMutator(new ResNetNetwork(SMALL));
    expect(m.keys.sort()).toEqual(['block1_width', 'block2_width', 'block3_width', 'block4_width', 'block5_width', 'block6_width', 'stage1_width', 'stage2_width', 'stage3_width', 'stage4_width']);
    expect(m.decisions.get('stage2_width')!.primary.describeCandidates()).toEqual(['0.25', '0.5', '0.75', '1']);
    const full = new ResNetNetwork();
    expect(new RandomMutator(full).keys).toHaveLength(4 + 8);
    // CIFAR ResNet-18 with 10 classes has 11,173,962 parameters; plus stage 1's projection shortcut (conv and BN).
    expect(countResNetCost(uniform(full, 1), full.options).params).toBe(11_173_962 + 64 * 64 + 2 * 64);
    full.dispose();
  });

  it('counts: the formulas equal what the static subnet emits and the parameters it holds', () => {
    const supernet = new ResNetNetwork(SMALL);
    const archs = [uniform(supernet, 0.25), uniform(supernet, 1), ...sampleArchs(supernet, 8, 3)];
    for (const arch of archs) {
      const subnet = RESNET_SPACE.subnet(supernet, arch);
      const cost = countResNetCost(arch, supernet.options);
      expect(countEmitted(subnet, SMALL.inputChannels, SMALL.resolution)).toEqual(cost);
      expect(subnet.numParameters()).toBe(cost.params);
      subnet.dispose();
    }
    const [narrow, wide] = archs.map((a) => countResNetCost(a, supernet.options).macs);
    expect(wide).toBeGreaterThan(8 * narrow);
  });

  it('the subnet computes what the supernet computes under the same arch (first channels), and its ONNX export the same', async () => {
    const supernet = new ResNetNetwork(SMALL);
    perturb(supernet, 17);
    supernet.eval();
    const x = tf.randomNormal([2, SMALL.resolution, SMALL.resolution, 1], 0, 1, 'float32', 6) as tf.Tensor4D;
    await expectSubnetsMatchSupernet(RESNET_SPACE, supernet, [uniform(supernet, 0.25), ...sampleArchs(supernet, 3, 4)], x);
  });

  it('latency: the compiled sum is the stem, each block at the widths the arch gives it, and the head; every block it reads is listed', () => {
    const model = new ResNetNetwork(SMALL);
    const latency = RESNET_SPACE.latency!(model);
    const { listed, lookup } = madeUpTable(latency, [SMALL.resolution]);
    const sum = latency.compile(lookup, [SMALL.resolution], 'test table');
    // Stage 1: 2 blocks (first 4 mids x 4 outs from the stem, second 4 x 4); stages 2-3: 1 block of 4 ins x 4 x 4; stage 4: 64 + 16; stem; 4 heads.
    expect(listed.size).toBe(16 + 16 + 64 + 64 + 64 + 16 + 1 + 4);
    for (const arch of sampleArchs(model, 30, 8)) {
      const counted = { blocks: 0 };
      const ms = sum(arch, counted);
      expect(counted.blocks).toBe(6 + 2);
      // The same sum from the keys the subnet's blocks would have.
      const subnet = RESNET_SPACE.subnet(model, arch) as ResNetNetwork;
      let size = SMALL.resolution;
      let expected = lookup([...listed].find((k) => k.startsWith('resnet:stem'))!);
      for (const block of subnet.blocks) {
        const stride = block.conv1.options.stride as number;
        const key = `resnet:block:in${size}x${size}x${currentSize(block.conv1.inChannels)}:mid${currentSize(block.conv1.outChannels)}:out${currentSize(block.conv2.outChannels)}:s${stride}${block.shortcut ? ':proj' : ''}`;
        expected += lookup(key);
        size = Math.floor((size - 1) / stride) + 1;
      }
      expected += lookup(`resnet:head:in${size}x${size}x${currentSize(subnet.classifier.inFeatures)}:classes10`);
      expect(ms).toBeCloseTo(expected, 9);
      subnet.dispose();
    }
  });

  it('bad options: an InputError naming the field', () => {
    expect(() => RESNET_SPACE.create({ blocks: [2, 2] }, 'space.json')).toThrow(/^space\.json: field 'options\.blocks': expected 4 stages' block counts/);
    expect(() => RESNET_SPACE.create({ ratios: [1.5] }, 'space.json')).toThrow(/^space\.json: field 'options\.ratios\.0': Too big: expected number to be <=1/);
  });
});
