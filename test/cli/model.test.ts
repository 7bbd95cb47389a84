import * as tf from '@tensorflow/tfjs-core';
import ort from 'onnxruntime-node';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildSubnet, countDartsCost, decodeModel, genotypeToArch, loadSupernet, OFAMobileNetV3, readArchFor, resolveDartsOptions, saveSupernet, SHIPPED_SUPERNET } from '../../index.js';
import { hbx } from '../helpers/cli.js';
import { perturb } from '../helpers/perturb.js';
import { useWasm } from '../helpers/setup.js';
import { maxAbsDiff } from '../helpers/tensors.js';

useWasm();

const dir = mkdtempSync(join(tmpdir(), 'hbx-cli-'));
const file = (name: string, content: unknown) => {
  const p = join(dir, name);
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
};
const ofa = (ks: number, e: number, d: number, r: number) => ({ ks: Array(20).fill(ks), e: Array(20).fill(e), d: Array(5).fill(d), r });

describe('hbx flops', () => {
  it('counts the reference subnets (OFA form and generic form)', async () => {
    const big = await hbx('flops', '--space', 'ofa-mbv3', '--arch', file('big.json', ofa(7, 6, 4, 224)), '--json');
    expect(big.code).toBe(0);
    expect(JSON.parse(big.stdout)).toEqual({ macs: 566170656, params: 7664760 });
    const sample = await hbx('space', 'sample', '--space', 'ofa-mbv3', '--seed', '3');
    const generic = await hbx('flops', '--arch', file('generic.json', sample.stdout), '--json');
    expect(generic.code).toBe(0);
    expect(JSON.parse(generic.stdout).macs).toBeGreaterThan(41_476_224);
    const human = await hbx('flops', '--arch', file('small.json', ofa(3, 3, 2, 128)));
    expect(human.stdout).toBe('41.48M MACs, 3.41M parameters at 128x128\n');
  });

  const bigArch = ofa(7, 6, 4, 224);
  it.each([
    ['ks 4', { ...bigArch, ks: [7, 4, ...Array(18).fill(7)] }, "field 'ks[1]': 4 is not one of 3, 5, 7"],
    ['expand 5', { ...bigArch, e: [5, ...Array(19).fill(6)] }, "field 'e[0]': 5 is not one of 3, 4, 6"],
    ['19 kernel sizes', { ...bigArch, ks: Array(19).fill(7) }, "field 'ks': expected 20 entries, got 19"],
    ['depth 5', { ...bigArch, d: [4, 4, 4, 4, 5] }, "field 'd[4]': 5 is not one of 2, 3, 4"],
    ['resolution 256', { ...bigArch, r: 256 }, "field 'r': 256 is not a resolution of the space"],
    ['generic, bad resolution', { space: 'ofa-mbv3', choices: { resolution: 99 } }, "missing key 'depth1'"],
    ['not JSON', '{"ks": [7,', 'not valid JSON'],
  ])('bad arch (%s): exit 2, one line naming the field', async (name, content, message) => {
    const path = file(`${name.replace(/\W/g, '_')}.json`, content);
    const r = await hbx('flops', '--arch', path, '--json');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`hbx: ${path}: `);
    expect(lines[0]).toContain(message);
  });

  it('--arch largest / smallest: the extreme subnets of the space, or of a checkpoint\'s configuration', async () => {
    const largest = await hbx('flops', '--arch', 'largest', '--json');
    expect(JSON.parse(largest.stdout)).toEqual({ macs: 566170656, params: 7664760 }); // OFA's ImageNet configuration: k7 e6 d4 at 224
    const smallest = await hbx('flops', '--arch', 'smallest', '--json');
    const ofaSmallest = await hbx('flops', '--arch', file('smallest.json', ofa(3, 3, 2, 128)), '--json');
    expect(JSON.parse(smallest.stdout)).toEqual(JSON.parse(ofaSmallest.stdout));
    // The shipped supernet's configuration (width 0.5, stem stride 2, 28x28), not the space's default.
    const shipped = await hbx('flops', '--supernet', 'supernets/fashion-mnist', '--arch', 'largest', '--json');
    const explicit = await hbx('flops', '--space-options', '{"widthMult":0.5,"stemStride":2,"inputChannels":1,"numClasses":10,"resolutions":[24,28]}', '--arch', file('fm_largest.json', ofa(7, 6, 4, 28)), '--json');
    expect(shipped.code, shipped.stderr).toBe(0);
    expect(JSON.parse(shipped.stdout)).toEqual(JSON.parse(explicit.stdout));
    expect(JSON.parse(shipped.stdout).macs).toBeLessThan(JSON.parse(largest.stdout).macs / 50);
    const both = await hbx('flops', '--supernet', 'supernets/fashion-mnist', '--space-options', '{}', '--arch', 'largest');
    expect(both.code).toBe(2);
    expect(both.stderr).toBe('hbx: --space-options: not with --supernet (the checkpoint holds its configuration)\n');
    // A file that happens to be called largest is ./largest.
    const missing = await hbx('flops', '--arch', './largest');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^hbx: \.\/largest: /);
  });

  it('an unknown space id is exit 2', async () => {
    const r = await hbx('flops', '--space', 'ofa-resnet', '--arch', file('x.json', ofa(3, 3, 2, 128)));
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("hbx: --space: unknown space 'ofa-resnet', expected one of ofa-mbv3, mbconv-stack, nb201, darts, proxyless, resnet\n");
  });
});

describe('hbx flops on the classic spaces', () => {
  const V2 =
    "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), ('dil_conv_3x3', 2)], normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])";

  it("counts DARTS' printed genotype on the darts space; a node taking one input twice is exit 2 naming the field", async () => {
    const ok = await hbx('flops', '--space', 'darts', '--arch', file('darts_v2.json', JSON.stringify(V2)), '--json');
    expect(ok.code, ok.stderr).toBe(0);
    const counted = JSON.parse(ok.stdout) as { macs: number; params: number };
    // DARTS' search network (16 channels, 8 cells, 32x32), counted by the formulas tested against what subnets emit.
    expect(counted).toMatchObject(countDartsCost(genotypeToArch(V2, 'v2'), resolveDartsOptions({})));
    expect(counted.macs).toBeGreaterThan(4e7);
    const twice = V2.replace("('sep_conv_3x3', 0), ('sep_conv_3x3', 1)", "('sep_conv_3x3', 1), ('sep_conv_3x3', 1)");
    const path = file('darts_twice.json', JSON.stringify(twice));
    const r = await hbx('flops', '--space', 'darts', '--arch', path, '--json');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`hbx: ${path}: field 'normal[1]': node 2 takes input 1 twice; DARTS nodes sum two different inputs\n`);
  });
});

describe('hbx export', () => {
  it('without a checkpoint: random weights, a warning, a valid model', async () => {
    const out = join(dir, 'random.onnx');
    const r = await hbx('export', '--space', 'ofa-mbv3', '--arch', file('small2.json', ofa(3, 3, 2, 128)), '--out', out, '--json');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('hbx: warning: no --supernet given, exporting random initial weights\n');
    expect(JSON.parse(r.stdout)).toMatchObject({ out, resolution: 128, macs: 41_476_224, params: 3_410_792 });
    const meta = Object.fromEntries(decodeModel(readFileSync(out)).metadataProps.map((p) => [p.key, p.value]));
    expect(meta.resolution).toBe('128');
  });

  it('with a checkpoint: the ONNX file computes what the loaded supernet computes', async () => {
    const options = { widthMult: 0.5, numClasses: 10, inputChannels: 1, stemStride: 1, resolutions: [28, 32] };
    const supernet = new OFAMobileNetV3(options);
    perturb(supernet, 12);
    const ckpt = join(dir, 'ckpt');
    saveSupernet(supernet, ckpt);
    const sample = await hbx('space', 'sample', '--space', 'ofa-mbv3', '--seed', '8');
    const archJson = JSON.parse(sample.stdout);
    archJson.choices.resolution = 32;
    const archFile = file('ckpt_arch.json', archJson);
    const out = join(dir, 'trained.onnx');
    const r = await hbx('export', '--arch', archFile, '--supernet', ckpt, '--out', out);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^wrote .*trained\.onnx/);

    const loaded = loadSupernet(ckpt) as OFAMobileNetV3;
    const subnet = buildSubnet(loaded, readArchFor(archFile, loaded)).eval();
    const x = tf.randomNormal([2, 32, 32, 1], 0, 1, 'float32', 1);
    const want = subnet.forward(x).dataSync();
    const session = await ort.InferenceSession.create(out);
    const nchw = tf.transpose(x, [0, 3, 1, 2]);
    const got = (await session.run({ input: new ort.Tensor('float32', nchw.dataSync() as Float32Array, [2, 1, 32, 32]) })).logits.data as Float32Array;
    expect(maxAbsDiff(got, want)).toBeLessThanOrEqual(1e-4);
    expect(Math.max(...Array.from(want, Math.abs))).toBeGreaterThan(0.5);
  });

  it('bad input leaves nothing behind: exit 2 and no output file', async () => {
    const out = join(dir, 'never.onnx');
    const bad = await hbx('export', '--arch', file('bad_export.json', { ...ofa(7, 6, 4, 224), d: [9, 4, 4, 4, 4] }), '--out', out);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/field 'd\[0\]': 9 is not one of 1, 2, 3, 4\n$/);
    expect(existsSync(out)).toBe(false);
    const noCkpt = await hbx('export', '--arch', file('ok.json', ofa(3, 3, 2, 128)), '--supernet', join(dir, 'missing'), '--out', out);
    expect(noCkpt.code).toBe(2);
    expect(noCkpt.stderr).toBe(`hbx: --supernet: ${join(dir, 'missing')} does not exist\n`);
    const notOnnx = await hbx('export', '--arch', file('ok2.json', ofa(3, 3, 2, 128)), '--out', join(dir, 'model.bin'));
    expect(notOnnx.code).toBe(2);
    expect(existsSync(join(dir, 'model.bin'))).toBe(false);
  });

  it('without --supernet or --space: the shipped Fashion-MNIST supernet, its normalisation in the metadata', async () => {
    const out = join(dir, 'shipped.onnx');
    const r = await hbx('export', '--arch', file('fm.json', ofa(5, 4, 3, 28)), '--out', out, '--json');
    expect(r.code, r.stderr).toBe(0);
    const meta = Object.fromEntries(decodeModel(readFileSync(out)).metadataProps.map((p) => [p.key, p.value]));
    expect(JSON.parse(meta.mean!)).toEqual([0.286]);
    expect(JSON.parse(meta.std!)).toEqual([0.353]);
    expect(meta.input_channels).toBe('1');
    const shipped = loadSupernet(SHIPPED_SUPERNET) as OFAMobileNetV3;
    const arch = readArchFor(join(dir, 'fm.json'), shipped);
    const session = await ort.InferenceSession.create(out);
    const x = tf.randomNormal([1, 28, 28, 1], 0, 1, 'float32', 4);
    const subnet = buildSubnet(shipped, arch);
    subnet.eval();
    const want = (subnet.forward(x) as tf.Tensor).dataSync();
    const nchw = tf.transpose(x, [0, 3, 1, 2]);
    const got = (await session.run({ input: new ort.Tensor('float32', nchw.dataSync() as Float32Array, [1, 1, 28, 28]) })).logits.data as Float32Array;
    expect(maxAbsDiff(got, want)).toBeLessThanOrEqual(1e-4);
  });

  it('--arch smallest exports the space\'s smallest subnet of the checkpoint', async () => {
    const out = join(dir, 'smallest.onnx');
    const r = await hbx('export', '--arch', 'smallest', '--out', out, '--json');
    expect(r.code, r.stderr).toBe(0);
    const meta = Object.fromEntries(decodeModel(readFileSync(out)).metadataProps.map((p) => [p.key, p.value]));
    const shipped = loadSupernet(SHIPPED_SUPERNET) as OFAMobileNetV3;
    const { kernelSizes, expandRatios, depths, resolutions } = shipped.options;
    const [k, e, d, r0] = [kernelSizes, expandRatios, depths, resolutions].map((xs) => Math.min(...xs));
    // The metadata names the decisions of the blocks the subnet runs: the resolution, 5 depths, a kernel and an expansion per block.
    const exported = JSON.parse(meta.arch!);
    expect(Object.keys(exported.choices)).toHaveLength(1 + 5 + 2 * 5 * d);
    expect(readArchFor(file('fm_smallest.json', ofa(k, e, d, r0)), shipped)).toMatchObject(exported);
    const flops = await hbx('flops', '--supernet', SHIPPED_SUPERNET, '--arch', 'smallest', '--json');
    expect(JSON.parse(r.stdout)).toMatchObject({ resolution: r0, ...JSON.parse(flops.stdout) });
  });

  it("a supernet whose state.json records no usable normalisation: exit 2 naming the field, nothing written", async () => {
    const folder = join(dir, 'bad-state');
    mkdirSync(folder);
    copyFileSync(join('supernets', 'fashion-mnist', 'supernet.safetensors'), join(folder, 'supernet.safetensors'));
    const state = JSON.parse(readFileSync(join('supernets', 'fashion-mnist', 'state.json'), 'utf8'));
    writeFileSync(join(folder, 'state.json'), JSON.stringify({ ...state, config: { ...state.config, mean: 'grey' } }));
    const out = join(dir, 'bad-state.onnx');
    const r = await hbx('export', '--arch', file('fm2.json', ofa(5, 4, 3, 28)), '--supernet', folder, '--out', out);
    expect(r.code).toBe(2);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(new RegExp(`^hbx: ${join(folder, 'state.json')}: field 'config.mean'`));
    expect(existsSync(out)).toBe(false);
  });

  it('a corrupt checkpoint is exit 2 naming the file', async () => {
    const p = file('broken.safetensors', 'garbage that is not a safetensors file');
    const r = await hbx('export', '--arch', file('ok3.json', ofa(3, 3, 2, 128)), '--supernet', p, '--out', join(dir, 'y.onnx'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^hbx: ${p}: not a safetensors file`));
  });
});
