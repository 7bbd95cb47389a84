export { readIdx, decodeIdx, encodeIdx, writeIdx, takeFirst, type IdxArray } from './idx.js';
export { makeDataset, subset, permutation, split, toBatch, normaliseBytes, type ImageDataset, type ByteBatch, type BatchOptions } from './image_dataset.js';
export { getDataset, dataFolders, loadIdxPair, FASHION_MNIST_LABELS, type DatasetInfo } from './registry.js';
export { readCifar10, CIFAR10_LABELS } from './cifar.js';
export { loadImageFolder, IMAGE_EXTENSIONS, type FolderOptions } from './folder.js';
