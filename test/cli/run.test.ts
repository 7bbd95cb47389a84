import * as tf from '@tensorflow/tfjs-core';
import sharp from 'sharp';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildSubnet, exportOnnx, FASHION_MNIST_LABELS, GraphBuilder, loadIdxPair, OFAMobileNetV3, searchSpaceOf, openSearchSupernet, readIdx, recalibrateBatchNorm } from '../../index.js';
import { hbx } from '../helpers/cli.js';
import { useWasm } from '../helpers/setup.js';

useWasm();

const dir = mkdtempSync(join(tmpdir(), 'hbx-run-'));
const imagesDir = join(dir, 'images');
const modelPath = join(dir, 'fmnist.onnx');
const FIXTURE = 'test/fixtures/fashion-mnist';
let tfjsPredictions: number[] = [];
let labels: Uint8Array;

/**
 * The shipped Fashion-MNIST supernet's smallest subnet at 28x28 (a trained model, so its
 * predictions mean something), BN recalibrated on the fixture, exported with its normalisation.
 */
beforeAll(async () => {
  const images = readIdx(join(FIXTURE, 't10k-1000-images-idx3-ubyte.gz'));
  labels = readIdx(join(FIXTURE, 't10k-1000-labels-idx1-ubyte.gz')).data;
  expect(images.dims).toEqual([1000, 28, 28]);
  const data = loadIdxPair(join(FIXTURE, 't10k-1000-images-idx3-ubyte.gz'), join(FIXTURE, 't10k-1000-labels-idx1-ubyte.gz'), 'fixture', FASHION_MNIST_LABELS);
  const supernet = openSearchSupernet('supernets/fashion-mnist') as OFAMobileNetV3;
  const space = searchSpaceOf(supernet);
  const arch = space.toArch(space.smallest());
  arch.choices.resolution = 28;
  const net = buildSubnet(supernet, arch);
  const norm = { mean: [0.286], std: [0.353] };
  recalibrateBatchNorm(net, data, { ...norm, resolution: 28, images: 500 });
  net.eval();
  const x = tf.tidy(() => tf.div(tf.sub(tf.div(tf.tensor4d(images.data, [1000, 28, 28, 1], 'float32'), 255), norm.mean[0]), norm.std[0]));
  tfjsPredictions = Array.from(tf.tidy(() => tf.argMax(net.forward(x), 1)).dataSync());
  x.dispose();
  writeFileSync(modelPath, exportOnnx(net, { ...norm, labels: FASHION_MNIST_LABELS }));
  mkdirSync(imagesDir);
  for (let i = 0; i < 1000; i++) {
    const pixels = Buffer.from(images.data.subarray(i * 784, (i + 1) * 784));
    await sharp(pixels, { raw: { width: 28, height: 28, channels: 1 } }).png().toFile(join(imagesDir, `${String(i).padStart(4, '0')}.png`));
  }
}, 120_000);

describe('hbx run', () => {
  it('classifies the 1,000 fixture PNGs as the tfjs subnet does (>= 99.5% same top-1)', async () => {
    const r = await hbx('run', modelPath, imagesDir, '--top', '3', '--batch', '64', '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { input: string; top: { index: number; label: string; prob: number }[] }[];
    expect(out).toHaveLength(1000);
    expect(out[0].top).toHaveLength(3);
    expect(out[0].top[0].label).toBeTypeOf('string');
    const ours = out.map((p) => p.top[0].index);
    const same = ours.filter((c, i) => c === tfjsPredictions[i]).length / 1000;
    expect(same).toBeGreaterThanOrEqual(0.995);
    const accuracy = (preds: number[]) => preds.filter((c, i) => c === labels[i]).length / 1000;
    expect(Math.abs(accuracy(ours) - accuracy(tfjsPredictions))).toBeLessThanOrEqual(0.005);
    expect(accuracy(ours)).toBeGreaterThan(0.8); // a trained subnet (the shipped supernet's smallest scores about 89% on the test set)
    if (process.env.HBX_TEST_VERBOSE) console.log({ same, onnx: accuracy(ours), tfjs: accuracy(tfjsPredictions) });
    for (const p of out) expect(p.top[0].prob).toBeGreaterThanOrEqual(p.top[1].prob);
  }, 60_000);

  it('a batch with one undecodable image reports it and still classifies the rest (exit 2)', async () => {
    const bad = join(dir, 'broken.png');
    writeFileSync(bad, 'not really a png');
    const r = await hbx('run', modelPath, join(imagesDir, '0000.png'), bad, join(imagesDir, '0001.png'), '--json', '--top', '1');
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).map((p: { input: string }) => p.input)).toEqual([join(imagesDir, '0000.png'), join(imagesDir, '0001.png')]);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines[0]).toMatch(new RegExp(`^hbx: ${bad}: cannot decode image \\(`));
    expect(lines[1]).toBe('hbx: 1 of 3 images could not be read (reported above)');
  });

  it('labels file with the wrong number of lines: exit 2, one line', async () => {
    const labelsFile = join(dir, 'labels.txt');
    writeFileSync(labelsFile, 'a\nb\nc\n');
    const r = await hbx('run', modelPath, join(imagesDir, '0000.png'), '--labels', labelsFile);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`hbx: ${labelsFile}: 3 labels, expected 10 (one per line, one per class of the model)\n`);
  });

  it('not ONNX, truncated ONNX: exit 2, one line each', async () => {
    const notOnnx = join(dir, 'notes.onnx');
    writeFileSync(notOnnx, 'hello');
    const a = await hbx('run', notOnnx, join(imagesDir, '0000.png'));
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(new RegExp(`^hbx: ${notOnnx}: not a loadable ONNX model \\(.*\\)\\n$`));
    const cut = join(dir, 'cut.onnx');
    const bytes = exportOnnx(new OFAMobileNetV3({ inputChannels: 1, numClasses: 10, stemStride: 1, widthMult: 0.5, resolutions: [28] }));
    writeFileSync(cut, bytes.subarray(0, bytes.length - 1000));
    const b = await hbx('bench', cut);
    expect(b.code).toBe(2);
    expect(b.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(b.stderr).toMatch(new RegExp(`^hbx: ${cut}: not a loadable ONNX model`));
  });

  it('a model of symbolic size and no --size: exit 2 saying what to pass; with --size it runs', async () => {
    const g = new GraphBuilder();
    const x = g.input('input', ['batch', 1, 'height', 'width']);
    const pooled = g.node('GlobalAveragePool', [x]);
    const flat = g.node('Flatten', [pooled], { axis: 1 }, 'scores');
    g.output(flat, ['batch', 1]);
    const model = join(dir, 'dynamic.onnx');
    writeFileSync(model, g.encode({ opset: 17 }));
    const r = await hbx('run', model, join(imagesDir, '0000.png'));
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`hbx: ${model}: input 'input' has a symbolic height or width; pass --size HxW\n`);
    const ok = await hbx('run', model, join(imagesDir, '0000.png'), '--size', '28', '--mean', '0', '--std', '1', '--json');
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)[0].top[0]).toEqual({ index: 0, prob: 1 });
  });
});

describe('hbx bench', () => {
  it('reports mean/p50/p90/p99 and throughput, and agrees with hbx latency measure', async () => {
    const b = await hbx('bench', modelPath, '--runs', '200', '--json');
    const m = await hbx('latency', 'measure', modelPath, '--runs', '200', '--json');
    expect(b.code).toBe(0);
    const bench = JSON.parse(b.stdout);
    const measure = JSON.parse(m.stdout);
    expect(bench.p50Ms).toBeLessThanOrEqual(bench.p90Ms);
    expect(bench.p90Ms).toBeLessThanOrEqual(bench.p99Ms);
    expect(bench.throughput).toBeCloseTo(1000 / bench.meanMs, 6);
    // Both time with runtime/timing; on a noisy 2-core VM two runs of the same model differ by up
    // to 1.5x, so only the order of magnitude is checked here (speed claims live in bench/).
    const ratio = bench.p50Ms / measure.medianMs;
    expect(ratio).toBeGreaterThan(1 / 3);
    expect(ratio).toBeLessThan(3);
    const batched = JSON.parse((await hbx('bench', modelPath, '--batch', '8', '--runs', '20', '--json')).stdout);
    expect(batched.throughput).toBeCloseTo((8 * 1000) / batched.meanMs, 6);
  });
});
