import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  archFromJson,
  countEmitted,
  countNB201Cost,
  exportOnnx,
  formatNB201String,
  NB201_SPACE,
  NB201Network,
  parseNB201String,
  RandomMutator,
  validateOnnx,
  type Arch,
} from '../../index.js';
import { runChild } from '../helpers/child.js';
import { checkOnnxFiles, pythonWithOnnx } from '../helpers/onnx_checker.js';
import { perturb } from '../helpers/perturb.js';
import { useWasm } from '../helpers/setup.js';
import { pythonWithTorchvision } from '../helpers/torchvision.js';

useWasm();

/** Small enough for quick forward passes; the structure is NB201's. */
const SMALL = { channels: 8, cellsPerStage: 2, inputChannels: 1, resolution: 16 };
const BEST_CIFAR = '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|';

function sampleArchs(model: NB201Network, count: number, seed: number): Arch[] {
  const m = new RandomMutator(model, { seed });
  return Array.from({ length: count }, () => m.reset());
}

describe('nb201 space', () => {
  it("has NB201's six edges, five operations each, shared by every cell", () => {
    const m = new RandomMutator(new NB201Network(SMALL));
    expect(m.keys).toEqual(['1<-0', '2<-0', '2<-1', '3<-0', '3<-1', '3<-2']);
    const d = m.decisions.get('3<-1')!;
    expect(d.primary.describeCandidates()).toEqual(['none', 'skip_connect', 'nor_conv_1x1', 'nor_conv_3x3', 'avg_pool_3x3']);
    expect(d.members).toHaveLength(3 * SMALL.cellsPerStage);
  });

  it('reads and writes arch strings in NB201 form; the generic form round-trips through it', () => {
    const arch = parseNB201String(BEST_CIFAR);
    expect(arch.choices).toEqual({ '1<-0': 'nor_conv_3x3', '2<-0': 'nor_conv_3x3', '2<-1': 'nor_conv_3x3', '3<-0': 'skip_connect', '3<-1': 'nor_conv_3x3', '3<-2': 'nor_conv_3x3' });
    expect(formatNB201String(arch)).toBe(BEST_CIFAR);
    const model = new NB201Network(SMALL);
    for (const a of sampleArchs(model, 20, 3)) expect(parseNB201String(formatNB201String(a))).toEqual(a);
    expect(archFromJson(BEST_CIFAR, model, 'a.json')).toEqual(arch);
    expect(archFromJson({ arch: BEST_CIFAR }, model, 'a.json')).toEqual(arch);
  });

  it.each([
    ['an unknown operation', '|conv_5x5~0|+|none~0|none~1|+|none~0|none~1|none~2|', /^a\.json: field 'arch': unknown operation 'conv_5x5'; expected NAS-Bench-201's form/],
    ['a node with too few edges', '|none~0|+|none~0|+|none~0|none~1|none~2|', /^a\.json: field 'arch': node 2 has 1 edge\(s\), not 2;/],
    ['two node groups', '|none~0|+|none~0|none~1|', /^a\.json: field 'arch': 2 node group\(s\), not 3;/],
    ['an edge from the wrong node', '|none~0|+|none~1|none~0|+|none~0|none~1|none~2|', /^a\.json: field 'arch': node 2: edge 1 comes from node 1, not 0;/],
  ])('%s is an InputError naming the file and field', (_, text, message) => {
    expect(() => archFromJson(text, new NB201Network(SMALL), 'a.json')).toThrow(message);
  });

  it('counts: the formulas equal what the static subnet emits and the parameters it holds', () => {
    const supernet = new NB201Network(SMALL);
    for (const arch of [parseNB201String(BEST_CIFAR), ...sampleArchs(supernet, 8, 5)]) {
      const subnet = NB201_SPACE.subnet(supernet, arch);
      const cost = countNB201Cost(arch, supernet.options);
      expect(countEmitted(subnet, SMALL.inputChannels, SMALL.resolution)).toEqual(cost);
      expect(subnet.numParameters()).toBe(cost.params);
      subnet.dispose();
    }
  });

  it('the subnet computes what the supernet computes under the same arch, and its ONNX export the same (1e-5 of the logits scale)', async () => {
    const supernet = new NB201Network(SMALL);
    perturb(supernet, 11);
    supernet.eval();
    const x = tf.randomNormal([2, SMALL.resolution, SMALL.resolution, 1], 0, 1, 'float32', 3) as tf.Tensor4D;
    const dir = mkdtempSync(join(tmpdir(), 'hbx-nb201-'));
    const files: string[] = [];
    const archs = [parseNB201String(BEST_CIFAR), parseNB201String('|none~0|+|none~0|avg_pool_3x3~1|+|nor_conv_1x1~0|none~1|none~2|'), ...sampleArchs(supernet, 4, 9)];
    for (const [i, arch] of archs.entries()) {
      const subnet = NB201_SPACE.subnet(supernet, arch);
      const a = tf.tidy(() => supernet.forward(x));
      const b = tf.tidy(() => subnet.forward(x));
      expect(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] / Math.max(1, tf.max(tf.abs(a)).dataSync()[0])).toBeLessThan(1e-5);
      const bytes = exportOnnx(subnet);
      files.push(join(dir, `nb201-${i}.onnx`));
      writeFileSync(files.at(-1)!, bytes);
      // Relative to the logits' scale: perturbed weights make them large (tens), float32 rounding then exceeds 1e-4 absolute.
      const v = await validateOnnx(subnet, bytes, x);
      const scale = Math.max(1, ...Array.from(v.tfjs, Math.abs));
      expect(v.maxAbsDiff / scale).toBeLessThan(1e-5);
      tf.dispose([a, b]);
      subnet.dispose();
    }
    const python = await pythonWithOnnx();
    if (python) expect((await checkOnnxFiles(python, files)).every((l) => l.startsWith('ok'))).toBe(true);
  });
});

const torchPython = await pythonWithTorchvision();

// Debian's python3-torch is installed by .ci/run (python3-torchvision depends on it).
describe.runIf(torchPython)('nb201 against the PyTorch reference network', () => {
  it('MACs and parameters equal the reference for 12 archs, at CIFAR and Fashion-MNIST configurations', async () => {
    for (const config of [{ channels: 16, cellsPerStage: 5, inputChannels: 3, numClasses: 10, resolution: 32 }, { channels: 16, cellsPerStage: 5, inputChannels: 1, numClasses: 10, resolution: 28 }]) {
      const model = NB201_SPACE.create(config);
      const archs = [parseNB201String(BEST_CIFAR), ...sampleArchs(model, 11, 17)];
      const strings = archs.map(formatNB201String);
      const args = { archs: strings, channels: config.channels, cells: config.cellsPerStage, input_channels: config.inputChannels, classes: config.numClasses, resolution: config.resolution };
      const r = await runChild(torchPython!, ['test/helpers/nb201_reference.py', JSON.stringify(args)]);
      expect(r.stderr).toBe('');
      const reference = JSON.parse(r.stdout) as { macs: number; params: number }[];
      expect(archs.map((a) => NB201_SPACE.cost(model, a))).toEqual(reference);
      model.dispose();
    }
  });
});
