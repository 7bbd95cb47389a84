import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../tensor/index.js';
import { readCifar10 } from './cifar.js';
import { readIdx } from './idx.js';
import { makeDataset, type ImageDataset } from './image_dataset.js';

export const FASHION_MNIST_LABELS = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

export interface DatasetInfo {
  name: string;
  /** Per-channel normalisation used for training and recorded in exported models. */
  mean: number[];
  std: number[];
  /** Loads a split from the first of `folders` that has it (default: `dataFolders`). */
  load(split: 'train' | 'test', folders?: string[]): ImageDataset;
}

/** Folders searched for a dataset, in order: $HBX_DATA/<name>, then Debian's location. */
export function dataFolders(name: string, env: NodeJS.ProcessEnv = process.env): string[] {
  return [env.HBX_DATA ? join(env.HBX_DATA, name) : undefined, join('/usr/share/datasets', name)].filter((d): d is string => d != null);
}

function findFile(name: string, file: string, folders: string[], howToGet: string): string {
  for (const dir of folders) {
    for (const candidate of new Set([join(dir, file), join(dir, file.replace(/\.gz$/, ''))])) if (existsSync(candidate)) return candidate;
  }
  throw new InputError(`dataset '${name}': ${file} not found in ${folders.join(' or ')}; ${howToGet}`);
}

/** IDX-format datasets (MNIST layout: <split>-images-idx3-ubyte.gz, <split>-labels-idx1-ubyte.gz). */
function idxDataset(name: string, labelNames: string[], howToGet: string): DatasetInfo {
  return {
    name,
    mean: [0.2860],
    std: [0.3530],
    load(split, folders = dataFolders(name)) {
      const prefix = split === 'train' ? 'train' : 't10k';
      const imagesPath = findFile(name, `${prefix}-images-idx3-ubyte.gz`, folders, howToGet);
      const labelsPath = findFile(name, `${prefix}-labels-idx1-ubyte.gz`, folders, howToGet);
      return loadIdxPair(imagesPath, labelsPath, `${name}:${split}`, labelNames);
    },
  };
}

/** An image IDX file [n, h, w] with a label IDX file [n]. */
export function loadIdxPair(imagesPath: string, labelsPath: string, name: string, labelNames?: string[]): ImageDataset {
  const images = readIdx(imagesPath);
  const labels = readIdx(labelsPath);
  if (images.dims.length !== 3) throw new InputError(`${imagesPath}: expected dimensions [count, height, width], got [${images.dims}]`);
  if (labels.dims.length !== 1) throw new InputError(`${labelsPath}: expected dimensions [count], got [${labels.dims}]`);
  if (labels.dims[0] !== images.dims[0]) throw new InputError(`${labelsPath}: ${labels.dims[0]} labels for ${images.dims[0]} images in ${imagesPath}`);
  const classes = labelNames?.length ?? Math.max(...labels.data) + 1;
  return makeDataset({ name, images: images.data, labels: labels.data, height: images.dims[1], width: images.dims[2], channels: 1, classes, labelNames }, labelsPath);
}

/** CIFAR-10 binary version: data_batch_1..5.bin and test_batch.bin. */
const cifar10: DatasetInfo = {
  name: 'cifar10',
  mean: [0.4914, 0.4822, 0.4465],
  std: [0.247, 0.2435, 0.2616],
  load(split, folders = dataFolders('cifar10')) {
    const howTo = 'put the CIFAR-10 binary batches (data_batch_1.bin ... data_batch_5.bin, test_batch.bin) in $HBX_DATA/cifar10';
    const files = split === 'train' ? [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`) : ['test_batch.bin'];
    return readCifar10(files.map((f) => findFile('cifar10', f, folders, howTo)), `cifar10:${split}`);
  },
};

const DATASETS: DatasetInfo[] = [
  idxDataset('fashion-mnist', FASHION_MNIST_LABELS, "install Debian's dataset-fashion-mnist (apt-get install dataset-fashion-mnist) or put the four IDX files in $HBX_DATA/fashion-mnist"),
  cifar10,
];

export function getDataset(name: string): DatasetInfo {
  const d = DATASETS.find((x) => x.name === name);
  if (!d) throw new InputError(`--dataset: unknown dataset '${name}', expected one of ${DATASETS.map((x) => x.name).join(', ')}`);
  return d;
}
