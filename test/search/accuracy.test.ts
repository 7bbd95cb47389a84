import * as tf from '@tensorflow/tfjs-core';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  AccuracyPredictor,
  accuracyPredictorFor,
  evaluateUnknown,
  evaluationData,
  initBackend,
  loadGradients,
  OFAMobileNetV3,
  searchSpaceOf,
  openSearchSupernet,
  Rng,
  spearman,
  SupernetEvaluator,
  trainAccuracyPredictor,
  DEFAULT_PREDICTOR_TRAINING,
  type Genome,
} from '../../index.js';
import { copySupernet, SEARCH_FIXTURE_IMAGES, searchFixture } from '../helpers/search_fixture.js';

await initBackend('wasm');
await loadGradients(); // the predictor is trained directly below

const model = new OFAMobileNetV3({ widthMult: 0.5, inputChannels: 1, numClasses: 10, stemStride: 2, resolutions: [24, 28] });
const space = searchSpaceOf(model);

/** A made-up accuracy with the structure of a real one: active blocks' kernel and width help, with interactions. */
function synthetic(g: Genome): number {
  const arch = space.toArch(g);
  const active = space.activeMask(g);
  let s = 0;
  space.genes.forEach((gene, i) => {
    if (!active[i]) return;
    const v = arch.choices[gene.key] as number;
    if (gene.key.startsWith('ks_')) s += 0.002 * v;
    else if (gene.key.startsWith('er_')) s += 0.003 * v;
    else if (gene.key.startsWith('depth')) s += 0.004 * v;
    else s += 0.001 * v;
  });
  return 0.5 + s + 0.01 * Math.sin(s * 40);
}

describe('accuracy predictor (MLP on the one-hot encoding)', () => {
  const rng = new Rng(0);
  const samples = Array.from({ length: 400 }, () => space.sample(rng)).map((genome) => ({ genome, accuracy: synthetic(genome) }));
  const predictor = trainAccuracyPredictor(space, samples, { ...DEFAULT_PREDICTOR_TRAINING, epochs: 600 });

  it('learns a structured target: held-out Spearman > 0.9, RMSE well below the spread', () => {
    const spread = Math.sqrt(samples.reduce((a, s) => a + (s.accuracy - predictor.target.mean) ** 2, 0) / samples.length);
    expect(predictor.quality.heldOut).toBe(80);
    expect(predictor.quality.trained).toBe(320);
    expect(predictor.quality.spearman).toBeGreaterThan(0.9);
    expect(predictor.quality.rmse).toBeLessThan(spread * 0.4);
    const fresh = Array.from({ length: 200 }, () => space.sample(rng));
    expect(spearman(predictor.estimate(fresh), fresh.map(synthetic))).toBeGreaterThan(0.9);
  });

  it('the JavaScript forward pass equals the same MLP run by tfjs', () => {
    const json = predictor.toJSON();
    const genomes = Array.from({ length: 20 }, () => space.sample(rng));
    const x = tf.tensor2d(genomes.flatMap((g) => [...space.encode(g)]), [20, space.encodingLength]);
    let h: tf.Tensor = x;
    json.layers.forEach((l, i) => {
      h = tf.add(tf.matMul(h, tf.tensor2d(l.w, [l.inFeatures, l.outFeatures])), tf.tensor1d(l.b));
      if (i < json.layers.length - 1) h = tf.relu(h);
    });
    const expected = [...h.dataSync()].map((v) => v * json.target.std + json.target.mean);
    predictor.estimate(genomes).forEach((p, i) => expect(p).toBeCloseTo(expected[i], 5));
  });

  it('JSON round trip predicts the same', () => {
    const back = AccuracyPredictor.fromJSON(space, JSON.parse(JSON.stringify(predictor.toJSON())));
    const genomes = Array.from({ length: 20 }, () => space.sample(rng));
    expect(back.estimate(genomes)).toEqual(predictor.estimate(genomes));
  });
});

describe('accuracy samples and predictor cached next to the supernet', () => {
  const { supernet, root } = searchFixture();

  it('evaluation images: the held-out split of the training run; without the dataset, the committed fixture', () => {
    const d = evaluationData(supernet);
    expect(d.val.count + d.recalibration.count).toBe(SEARCH_FIXTURE_IMAGES);
    expect(d.val.count).toBe(Math.floor(SEARCH_FIXTURE_IMAGES / 12));
    expect(d.source).toMatch(new RegExp(`fashion-mnist: ${d.val.count} held-out training images \\(seed 0\\)`));
    const fallback = evaluationData(supernet, [join(root, 'nowhere')]);
    expect(fallback.val.count).toBe(1000);
    expect(fallback.source).toMatch(/^the 1,000-image Fashion-MNIST test fixture \(dataset 'fashion-mnist': train-images-idx3-ubyte.gz not found/);
    expect(fallback.labels).toHaveLength(10);
  });

  const sn = openSearchSupernet(supernet);
  const ofa = searchSpaceOf(sn);
  const evaluator = () => new SupernetEvaluator(ofa, sn, evaluationData(supernet), { recalibrationImages: 64, valImages: 8 });
  const training = { ...DEFAULT_PREDICTOR_TRAINING, epochs: 50 };

  it('evaluates the largest and smallest first, writes samples as it goes, reuses the predictor, resumes to more samples', async () => {
    const progress: number[] = [];
    const first = await accuracyPredictorFor(supernet, evaluator(), { samples: 6, seed: 0, training, onProgress: (d) => progress.push(d) });
    expect(first.cached).toBe(false);
    expect(progress).toEqual([1, 2, 3, 4, 5, 6]);
    const file = JSON.parse(readFileSync(join(supernet, 'accuracy', 'samples.json'), 'utf8'));
    expect(file.samples).toHaveLength(6);
    expect(file.samples[0].choices.ks_block1).toBe(7);
    expect(file.samples[1].choices.ks_block1).toBe(3);
    for (const s of file.samples) expect(s.top1 * 8).toBeCloseTo(Math.round(s.top1 * 8), 6); // top-1 on the 8 held-out images

    const again = await accuracyPredictorFor(supernet, evaluator(), { samples: 6, seed: 0, training });
    expect(again.cached).toBe(true);

    const more: number[] = [];
    const bigger = await accuracyPredictorFor(supernet, evaluator(), { samples: 8, seed: 0, training, onProgress: (d) => more.push(d) });
    expect(bigger.cached).toBe(false);
    expect(more).toEqual([7, 8]);
  });

  it('several processes give the same samples, in the same order, as one', async () => {
    const samplesOf = async (processes: number) => {
      const copy = copySupernet(supernet, join(root, `copy-${processes}`));
      const progress: number[] = [];
      const r = await accuracyPredictorFor(copy, evaluator(), { samples: 7, seed: 3, training, processes, saveEvery: 2, onProgress: (d) => progress.push(d) });
      expect(r.cached).toBe(false);
      expect(progress).toEqual([1, 2, 3, 4, 5, 6, 7]);
      return JSON.parse(readFileSync(join(copy, 'accuracy', 'samples.json'), 'utf8')).samples.map((s: { choices: object; top1: number }) => [s.choices, s.top1]);
    };
    const one = await samplesOf(1);
    expect(await samplesOf(3)).toEqual(one);
  });

  it('finalists evaluated in several processes: the top-1 one process computes; known and repeated subnets evaluated once', async () => {
    const rng = new Rng(5);
    const archs = [0, 1, 2, 3].map(() => ofa.toArch(ofa.sample(rng)));
    const topOf = async (processes: number) => {
      const e = evaluator();
      e.remember(archs[3], 0.123); // not a top-1 on 8 images: an evaluation would change it
      const progress: number[] = [];
      await evaluateUnknown(e, supernet, [...archs, archs[1]], processes, (d, t) => progress.push(d / t));
      expect(progress).toEqual([1 / 3, 2 / 3, 1]);
      return archs.map((a) => e.top1(a));
    };
    const one = await topOf(1);
    expect(one[3]).toBe(0.123);
    for (const top1 of one.slice(0, 3)) expect(top1 * 8).toBeCloseTo(Math.round(top1 * 8), 6);
    expect(await topOf(2)).toEqual(one);
  });

  it('processes that would evaluate on other images than the evaluator: refused', async () => {
    const elsewhere = new SupernetEvaluator(ofa, sn, evaluationData(supernet, [join(root, 'nowhere')]), { recalibrationImages: 64, valImages: 8 });
    const copy = copySupernet(supernet, join(root, 'copy-mismatch'));
    await expect(accuracyPredictorFor(copy, elsewhere, { samples: 4, seed: 0, training, processes: 2 })).rejects.toThrow(new RegExp(`accuracy-sample process evaluates on 'fashion-mnist: ${Math.floor(SEARCH_FIXTURE_IMAGES / 12)} held-out`));
  });

  it('other weights: the cache is not used', async () => {
    const weights = join(supernet, 'supernet.safetensors');
    const bytes = readFileSync(weights);
    bytes[bytes.length - 1] ^= 1; // one bit of the last weight
    writeFileSync(weights, bytes);
    const progress: number[] = [];
    const r = await accuracyPredictorFor(supernet, evaluator(), { samples: 3, seed: 0, training, onProgress: (d) => progress.push(d) });
    expect(r.cached).toBe(false);
    expect(progress).toEqual([1, 2, 3]);
    expect(existsSync(join(supernet, 'accuracy', 'predictor.json'))).toBe(true);
  });
});
