import * as tf from '@tensorflow/tfjs-core';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { TrainableSupernet } from './trainer.js';
import { activeBackend, InputError } from '../tensor/index.js';
import { RandomMutator, readTensors } from '../space/index.js';
import { collectiveMemory, type Collective } from './collective.js';
import { archsPerStep, checkSubnetSplit, resolveSplit, RunningStatsExchange } from './subnet_split.js';
import type { TrainingBatch } from './batches.js';
import type { TrainOptions } from './trainer.js';

/** The rows of a batch one replica computes: contiguous, sizes differing by at most one. */
export interface Shard {
  start: number;
  count: number;
}

export function shardOf(batchSize: number, c: Pick<Collective, 'rank' | 'size'>): Shard {
  if (batchSize < c.size) throw new InputError(`--workers: ${c.size} workers need a batch of at least ${c.size} images, got ${batchSize}`);
  const base = Math.floor(batchSize / c.size);
  const extra = batchSize % c.size;
  return { start: c.rank * base + Math.min(c.rank, extra), count: base + (c.rank < extra ? 1 : 0) };
}

export function shardBatch(b: TrainingBatch, s: Shard): TrainingBatch {
  if (s.start === 0 && s.count === b.x.shape[0]) return b;
  const rows = <T extends tf.Tensor>(t: T): T => tf.slice(t, s.start, s.count) as T;
  const part = { x: rows(b.x), y: rows(b.y), targets: rows(b.targets) };
  tf.dispose([b.x, b.y, b.targets]);
  return part;
}

/** One replica's step: loss and accuracy (its share of the batch's) and gradients, on the device. */
export interface StepTensors {
  loss: tf.Scalar;
  accuracy: tf.Scalar;
  grads: Map<string, tf.Tensor>;
}

/** A step's loss and accuracy read, gradients still on the device. */
export interface StepResult {
  loss: number;
  accuracy: number;
  grads: Map<string, tf.Tensor>;
}

/**
 * Sums loss, accuracy and every gradient over the replicas (one message). Without `layout`
 * every replica holds gradients of the same parameters (in the map's order); with it (every
 * parameter's path and shape, the same on every replica) a replica may lack some, which it
 * sends as zeros with a flag, and a gradient is in the result where any replica had one.
 * Reads synchronously: replicas run on wasm.
 */
export function allReduced(r: StepTensors, c: Collective, layout?: [string, number[]][]): StepResult {
  const slots = layout ?? [...r.grads].map(([path, g]): [string, number[]] => [path, g.shape]);
  const flag = layout ? 1 : 0;
  const sizes = slots.map(([, shape]) => shape.reduce((a, b) => a * b, 1));
  const flat = new Float32Array(sizes.reduce((n, size) => n + flag + size, 2));
  flat[0] = r.loss.dataSync()[0];
  flat[1] = r.accuracy.dataSync()[0];
  tf.dispose([r.loss, r.accuracy]);
  let offset = 2;
  slots.forEach(([path], k) => {
    const g = r.grads.get(path);
    if (g && flag) flat[offset] = 1;
    if (g) flat.set(g.dataSync() as Float32Array, offset + flag);
    g?.dispose();
    offset += flag + sizes[k];
  });
  const sum = c.allReduce(flat);
  const grads = new Map<string, tf.Tensor>();
  offset = 2;
  slots.forEach(([path, shape], k) => {
    if (!flag || sum[offset] > 0) grads.set(path, tf.tensor(sum.subarray(offset + flag, offset + flag + sizes[k]), shape));
    offset += flag + sizes[k];
  });
  return { loss: sum[0], accuracy: sum[1], grads };
}

/**
 * Workers a run gets unless told: one per core, one on webgpu (one process on one adapter);
 * where each wasm engine runs several XNNPACK threads, one per that many cores.
 */
export const defaultWorkers = (backend = activeBackend()?.name, wasmThreads = activeBackend()?.wasmThreads ?? 1): number =>
  backend === 'webgpu' ? 1 : Math.max(1, Math.floor(availableParallelism() / wasmThreads));

/** What the main thread hands each replica (everything structured-cloneable). */
export interface ReplicaData {
  rank: number;
  size: number;
  memory: SharedArrayBuffer;
  backend: string;
  wasmThreads: number;
  /** The supernet's space and options: each replica builds its own copy. */
  space: string;
  supernetOptions: object;
  weights: Record<string, { shape: number[]; data: Float32Array }>;
  options: Omit<TrainOptions, 'onStep' | 'onEpoch' | 'workers' | 'wasmThreads' | 'collective'>;
}

export type ReplicaMessage =
  | { kind: 'step'; report: Parameters<NonNullable<TrainOptions['onStep']>>[0] }
  | { kind: 'epoch'; report: Parameters<NonNullable<TrainOptions['onEpoch']>>[0] }
  | { kind: 'done'; position: { epoch: number; step: number }; weights: ReplicaData['weights'] }
  | { kind: 'error'; name: string; message: string };

function startReplica(workerData: ReplicaData): Worker {
  // Under tsx or vitest this module is TypeScript source, and so is its worker: tsx's loader
  // is registered inside the worker before the entry is imported.
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./replica_worker.js', import.meta.url), { workerData });
  const entry = new URL('./replica_worker.ts', import.meta.url).href;
  const boot = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(boot, { eval: true, workerData });
}

export const stateData = (model: TrainableSupernet): ReplicaData['weights'] => readTensors(model.stateDict());

/**
 * Runs `trainSupernet` on `o.workers` worker threads (one wasm engine each) and loads the
 * leader's final weights into `model`. Progress comes from the leader; the first failure
 * stops every replica.
 */
export async function trainOnWorkers(model: TrainableSupernet, o: TrainOptions): Promise<{ epoch: number; step: number }> {
  const size = o.workers ?? 1;
  const wasmThreads = o.wasmThreads ?? activeBackend()?.wasmThreads ?? 1;
  if (activeBackend()?.name === 'webgpu') throw new InputError(`--workers: ${size} workers on webgpu; it trains in one process on one adapter, use --workers 1`);
  // Refused here, before any worker starts.
  const archCount = archsPerStep(new RandomMutator(model), o.config.subnetsPerStep);
  if (resolveSplit(o.split, archCount, size) === 'subnets') checkSubnetSplit(archCount, size);
  else shardOf(o.config.batchSize, { rank: 0, size });
  // A step's message: loss, accuracy and the gradients (each flagged when split by subnet), or the batch-norm records.
  const gradients = model.namedParameters().reduce((n, [, v]) => n + 1 + v.size, 2);
  const capacity = Math.max(gradients, archCount * new RunningStatsExchange(model).floatsPerArch);
  const memory = collectiveMemory(size, capacity);
  const { onStep, onEpoch, workers: _w, wasmThreads: _t, collective: _c, ...options } = o;
  const weights = stateData(model);
  return new Promise((resolve, reject) => {
    const replicas: Worker[] = [];
    let settled = false;
    const finish = (error?: Error, position?: { epoch: number; step: number }) => {
      if (settled) return;
      settled = true;
      for (const w of replicas) void w.terminate();
      if (error) reject(error);
      else resolve(position!);
    };
    for (let rank = 0; rank < size; rank++) {
      const workerData: ReplicaData = { rank, size, memory, backend: activeBackend()?.name ?? 'wasm', wasmThreads, space: model.spaceId, supernetOptions: model.options, weights, options };
      const w = startReplica(workerData);
      replicas.push(w);
      w.on('message', (m: ReplicaMessage) => {
        if (m.kind === 'step' || m.kind === 'epoch') {
          // What a callback throws (a tuning trial pruned after an epoch) ends the run as it would in one process.
          try {
            if (m.kind === 'step') onStep?.(m.report);
            else onEpoch?.(m.report);
          } catch (err) {
            finish(err as Error);
          }
        } else if (m.kind === 'error') finish(m.name === 'InputError' ? new InputError(m.message) : new Error(`worker ${rank}: ${m.message}`));
        else {
          tf.tidy(() => model.loadStateDict(Object.fromEntries(Object.entries(m.weights).map(([n, t]) => [n, tf.tensor(t.data, t.shape)])), { source: 'data-parallel leader' }));
          finish(undefined, m.position);
        }
      });
      w.on('error', (e) => finish(e));
      w.on('exit', (code) => {
        if (code !== 0 || rank === 0) finish(new Error(`worker ${rank} exited with code ${code} before the run ended`));
      });
    }
  });
}
