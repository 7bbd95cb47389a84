/**
 * What data-parallel replicas share: a sum over all of them, the same on every replica.
 * One process is the trivial collective (`SOLO`).
 */
export interface Collective {
  readonly rank: number;
  readonly size: number;
  /** The element-wise sum of every replica's `local` (all the same length), added in rank order. */
  allReduce(local: Float32Array): Float32Array;
}

export const SOLO: Collective = { rank: 0, size: 1, allReduce: (local) => local };

const CONTROL_BYTES = 8;

/** Memory for `size` replicas exchanging up to `capacity` floats at a time. */
export function collectiveMemory(size: number, capacity: number): SharedArrayBuffer {
  return new SharedArrayBuffer(CONTROL_BYTES + size * capacity * 4);
}

/**
 * Replicas on worker threads of one process: each writes its part into its own slot of a
 * SharedArrayBuffer, waits at a barrier (Atomics), and every replica sums the slots in rank
 * order, so all of them hold bit-identical results.
 */
export class SharedMemoryCollective implements Collective {
  private readonly control: Int32Array;
  private readonly slots: Float32Array;
  private readonly capacity: number;

  constructor(
    buffer: SharedArrayBuffer,
    readonly rank: number,
    readonly size: number,
  ) {
    this.control = new Int32Array(buffer, 0, 2);
    this.capacity = (buffer.byteLength - CONTROL_BYTES) / 4 / size;
    this.slots = new Float32Array(buffer, CONTROL_BYTES);
  }

  allReduce(local: Float32Array): Float32Array {
    const n = local.length;
    if (n > this.capacity) throw new Error(`collective: ${n} floats exceed the ${this.capacity} each replica may send`);
    this.slots.set(local, this.rank * this.capacity);
    this.barrier();
    const sum = new Float64Array(n);
    for (let r = 0; r < this.size; r++) {
      const slot = this.slots.subarray(r * this.capacity, r * this.capacity + n);
      for (let i = 0; i < n; i++) sum[i] += slot[i];
    }
    // Nobody writes the next message before everyone has read this one.
    this.barrier();
    return Float32Array.from(sum);
  }

  /** Arrival count in control[0], generation in control[1]: the last to arrive opens the next generation. */
  barrier(): void {
    const generation = Atomics.load(this.control, 1);
    if (Atomics.add(this.control, 0, 1) === this.size - 1) {
      Atomics.store(this.control, 0, 0);
      Atomics.add(this.control, 1, 1);
      Atomics.notify(this.control, 1);
      return;
    }
    while (Atomics.load(this.control, 1) === generation) Atomics.wait(this.control, 1, generation);
  }
}
