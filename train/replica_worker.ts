/** One replica of a data-parallel `trainSupernet` (see data_parallel.ts). */
import * as tf from '@tensorflow/tfjs-core';
import { parentPort, workerData } from 'node:worker_threads';
import { getSpace } from '../networks/index.js';
import { withoutInit } from '../space/index.js';
import { initBackend } from '../tensor/index.js';
import { SharedMemoryCollective } from './collective.js';
import { stateData, type ReplicaData, type ReplicaMessage } from './data_parallel.js';
import { trainSupernet, type TrainableSupernet } from './trainer.js';

const data = workerData as ReplicaData;
const post = (m: ReplicaMessage) => parentPort!.postMessage(m);

async function run(): Promise<void> {
  await initBackend(data.backend, { wasmThreads: data.wasmThreads });
  const model = withoutInit(() => getSpace(data.space).create(data.supernetOptions)) as TrainableSupernet;
  tf.tidy(() => model.loadStateDict(Object.fromEntries(Object.entries(data.weights).map(([n, t]) => [n, tf.tensor(t.data, t.shape)])), { source: 'data-parallel main thread' }));
  const leader = data.rank === 0;
  const position = await trainSupernet(model, {
    ...data.options,
    collective: new SharedMemoryCollective(data.memory, data.rank, data.size),
    onStep: leader ? (report) => post({ kind: 'step', report }) : undefined,
    onEpoch: leader ? (report) => post({ kind: 'epoch', report }) : undefined,
  });
  if (leader) post({ kind: 'done', position, weights: stateData(model) });
}

run().catch((e: unknown) => {
  const error = e instanceof Error ? e : new Error(String(e));
  post({ kind: 'error', name: error.constructor.name, message: error.message });
});
