/** A worker for test/train/data_parallel.test.ts: sends rank-dependent vectors through a SharedMemoryCollective. */
import { parentPort, workerData } from 'node:worker_threads';
import { SharedMemoryCollective } from '../../train/index.js';

const { memory, rank, size, rounds } = workerData as { memory: SharedArrayBuffer; rank: number; size: number; rounds: number };
const c = new SharedMemoryCollective(memory, rank, size);
const results: number[][] = [];
for (let r = 0; r < rounds; r++) {
  // Lengths change from round to round, as batch-norm statistics and gradients do.
  const local = Float32Array.from({ length: 3 + r }, (_, i) => (rank + 1) * (i + 1) + r);
  results.push([...c.allReduce(local)]);
}
parentPort!.postMessage(results);
