/**
 * What data-parallel replicas share: a sum over all of them, the same on every replica.
 * One process is the trivial collective (`SOLO`).
 */
export interface Collective {
  readonly rank: number;
  readonly size: number;
  /** The element-wise sum of every replica's `local` (all the same length), added in rank order. */
  allReduce(local: Float32Array): Float32Array;
  /** Every replica's `local`, in rank order (all the same length); valid until the caller's next message. */
  allGather(local: Float32Array): Float32Array[];
}

export const SOLO: Collective = { rank: 0, size: 1, allReduce: (local) => local, allGather: (local) => [local] };

const CONTROL_BYTES = 8;

/** Memory for `size` replicas exchanging up to `capacity` floats at a time. */
export function collectiveMemory(size: number, capacity: number): SharedArrayBuffer {
  return new SharedArrayBuffer(CONTROL_BYTES + 2 * size * capacity * 4);
}

/**
 * Replicas on worker threads of one process: each writes its part into its own slot of a
 * SharedArrayBuffer, waits at a barrier (Atomics), and every replica reads the slots in rank
 * order, so all of them hold bit-identical results. Messages alternate between two sets of
 * slots, so one barrier per message suffices: nobody can write message k + 2 before everyone
 * has passed barrier k + 1, that is, has finished reading message k.
 */
export class SharedMemoryCollective implements Collective {
  private readonly control: Int32Array;
  private readonly slots: Float32Array;
  private readonly capacity: number;
  private messages = 0;

  constructor(
    buffer: SharedArrayBuffer,
    readonly rank: number,
    readonly size: number,
  ) {
    this.control = new Int32Array(buffer, 0, 2);
    this.capacity = (buffer.byteLength - CONTROL_BYTES) / 4 / size / 2;
    this.slots = new Float32Array(buffer, CONTROL_BYTES);
  }

  allGather(local: Float32Array): Float32Array[] {
    const n = local.length;
    if (n > this.capacity) throw new Error(`collective: ${n} floats exceed the ${this.capacity} each replica may send`);
    const base = (this.messages++ % 2) * this.size * this.capacity;
    this.slots.set(local, base + this.rank * this.capacity);
    this.barrier();
    return Array.from({ length: this.size }, (_, r) => this.slots.subarray(base + r * this.capacity, base + r * this.capacity + n));
  }

  allReduce(local: Float32Array): Float32Array {
    const parts = this.allGather(local);
    const sum = new Float64Array(local.length);
    for (const part of parts) for (let i = 0; i < sum.length; i++) sum[i] += part[i];
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
