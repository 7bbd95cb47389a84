import { describe, expect, it } from 'vitest';
import { protocol, timeRepeated, TIMING_PROTOCOL } from '../../index.js';

/** A session whose run takes `ms(call)` milliseconds of busy CPU (a model as the protocol sees it). */
function fakeSession(ms: (call: number) => number) {
  let call = 0;
  return {
    run: async () => {
      const until = performance.now() + ms(call++);
      while (performance.now() < until);
      return {};
    },
  };
}

describe('timeRepeated: the timing protocol', () => {
  // No re-runs for page faults here: these fakes count calls to place their disturbances, and a
  // fault the test process takes (its own garbage collection) would shift them.
  const o = protocol({ runsPerPass: 10, minPassMs: 0, warmup: 2, faultRetries: 0 });
  // Calls per pass: one untimed run, then the timed ones.
  const perPass = 1 + o.runsPerPass;

  it('a steady model: three passes, the figure its runs take, no re-timing', async () => {
    const [t] = await timeRepeated([{ session: fakeSession(() => 0.3), feeds: {} }], o);
    expect(t.passes).toBe(3);
    expect(t.runs).toBe(30);
    expect(t.retimed).toBe(0);
    expect(t.ms).toBeGreaterThanOrEqual(0.3);
    expect(t.ms).toBeLessThan(0.36);
  });

  it('a pass slowed as a whole (another tenant) is detected, the model timed again, and the figure is the undisturbed one', async () => {
    // The first pass (after the warm-up) runs at 4x; every later one at the true 0.3 ms.
    const disturbed = fakeSession((call) => (call >= o.warmup && call < o.warmup + perPass ? 1.2 : 0.3));
    const steady = fakeSession(() => 0.5);
    const [d, s] = await timeRepeated([{ session: disturbed, feeds: {} }, { session: steady, feeds: {} }], o);
    expect(d.spread).toBeGreaterThan(2.5);
    expect(d.retimed).toBe(o.extraPasses);
    expect(d.passes).toBe(o.passes + o.extraPasses);
    expect(d.ms).toBeLessThan(0.36);
    expect(s.retimed).toBe(0);
    expect(s.ms).toBeGreaterThanOrEqual(0.5);
    expect(s.ms).toBeLessThan(0.6);
  });

  it('the 10th percentile, not the median: most runs of every pass slowed (interrupts) leave the figure where the undisturbed runs are', async () => {
    const [t] = await timeRepeated([{ session: fakeSession((call) => (call % 5 < 3 ? 0.9 : 0.3)), feeds: {} }], o);
    expect(t.ms).toBeLessThan(0.36);
    expect(t.medianMs).toBeGreaterThan(0.85);
  });

  it('with a reference model: a machine running at half the speed it had when the table was taken still gives the table-time figure', async () => {
    // The table was profiled while the reference took 0.2 ms; now everything runs twice as slow.
    const reference = { item: { session: fakeSession(() => 0.4), feeds: {} }, ms: 0.2 };
    const [t] = await timeRepeated([{ session: fakeSession(() => 0.6), feeds: {} }], o, reference);
    expect(t.rawMs).toBeGreaterThanOrEqual(0.6);
    expect(t.rawMs).toBeLessThan(0.68);
    expect(t.ms).toBeGreaterThan(0.27);
    expect(t.ms).toBeLessThan(0.33);
    expect(t.referenceMs).toBe(0.2);
    // Without a table's figure, the reference's own median here is the base: no change.
    const [own] = await timeRepeated([{ session: fakeSession(() => 0.6), feeds: {} }], o, { item: reference.item });
    expect(own.ms / own.rawMs!).toBeGreaterThan(0.9);
    expect(own.ms / own.rawMs!).toBeLessThan(1.1);
  });

  it('a sub-millisecond model gets more runs per pass (each pass at least minPassMs long)', async () => {
    const [t] = await timeRepeated([{ session: fakeSession(() => 0.2), feeds: {} }], protocol({ runsPerPass: 5, minPassMs: 10, warmup: 2 }));
    expect(t.runs / t.passes).toBeGreaterThanOrEqual(45);
    expect(t.runs / t.passes).toBeLessThanOrEqual(TIMING_PROTOCOL.maxRunsPerPass);
  });

  it('runs that took page faults are left out: 19 of 20 runs slowed by touching fresh pages leave the figure where the clean runs are', async () => {
    let call = 0;
    const faulting = {
      run: async () => {
        if (call++ % 20 !== 0) {
          // Above glibc's largest mmap threshold, so always fresh pages: the first 16 touched fault.
          const fresh = new Uint8Array(64 << 20);
          for (let page = 0; page < 16; page++) fresh[page * 4096] = 1;
          const until = performance.now() + 0.9;
          while (performance.now() < until);
          return {};
        }
        const until = performance.now() + 0.3;
        while (performance.now() < until);
        return {};
      },
    };
    const [t] = await timeRepeated([{ session: faulting, feeds: {} }], protocol({ runsPerPass: 60, minPassMs: 0, warmup: 2 }));
    expect(t.faulted).toBeGreaterThan(0.9);
    expect(t.medianMs).toBeGreaterThan(0.85);
    expect(t.ms).toBeGreaterThanOrEqual(0.3);
    expect(t.ms).toBeLessThan(0.36);
  });
});
