import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchNormNd, DEFAULT_TRAIN, getDataset, OFAMobileNetV3, seedInit, trainSupernet, type OFAMobileNetV3Options, type StepReport, type TrainOptions } from '../../index.js';
import { fashionMnistData } from './fixture_data.js';

/**
 * A folder under `prefix` with 120 fixture images as the Fashion-MNIST training set (HBX_DATA
 * points there), those images, and a one-step training config of batch 15 and seed 5.
 */
export function tinyTrainingSetup(prefix: string) {
  const root = mkdtempSync(join(tmpdir(), prefix));
  process.env.HBX_DATA = fashionMnistData(root, 120);
  const dataset = getDataset('fashion-mnist');
  const train = dataset.load('train');
  const config = { ...DEFAULT_TRAIN, dataset: dataset.name, mean: dataset.mean, std: dataset.std, epochs: 1, batchSize: 15, subnetsPerStep: 1, valFraction: 0.1, maxSteps: 1, seed: 5 };
  return { root, train, config };
}

/**
 * Trains the tests' tiny supernet (ofa-mbv3, width 0.25, 28x28 grayscale, initial weights of
 * seed 2) and returns what the runs are compared by: each step's report, where it stopped,
 * the update of every parameter, and every batch norm's running mean and variance after.
 * `space` narrows the supernet's elastic choices.
 */
export async function trainTinySupernet(o: Omit<TrainOptions, 'onStep'>, space: Partial<OFAMobileNetV3Options> = {}) {
  seedInit(2);
  const model = new OFAMobileNetV3({ inputChannels: 1, numClasses: 10, widthMult: 0.25, resolutions: [28], ...space });
  const before = Object.fromEntries(Object.entries(model.stateDict()).map(([k, v]) => [k, Float32Array.from(v.dataSync() as Float32Array)]));
  const steps: StepReport[] = [];
  const position = await trainSupernet(model, { ...o, onStep: (r) => steps.push(r) });
  const update = model.namedParameters().flatMap(([k, v]) => [...(v.dataSync() as Float32Array)].map((w, i) => w - before[k][i]));
  const running = model.namedModules().flatMap(([, m]) => (m instanceof BatchNormNd ? [...(m.runningMean.dataSync() as Float32Array), ...(m.runningVar.dataSync() as Float32Array)] : []));
  model.dispose();
  return { steps, position, update, running };
}
