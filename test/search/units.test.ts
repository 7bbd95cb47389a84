import { describe, expect, it } from 'vitest';
import { InputError, parseCount, parseLatency, parseLatencyBudget } from '../../index.js';

describe('units', () => {
  it('durations to milliseconds', () => {
    expect(parseLatency('--latency', '20ms')).toBe(20);
    expect(parseLatency('--latency', '0.02s')).toBe(20);
    expect(parseLatency('--latency', '1500us')).toBe(1.5);
    expect(parseLatency('--latency', '.5ms')).toBe(0.5);
  });

  it('counts with K/M/G', () => {
    expect(parseCount('--macs', '300M')).toBe(300e6);
    expect(parseCount('--params', '5M')).toBe(5e6);
    expect(parseCount('--params', '1.5G')).toBe(1.5e9);
    expect(parseCount('--params', '800K')).toBe(800e3);
    expect(parseCount('--params', '120000')).toBe(120000);
  });

  it.each(['20 ms', 'fast', '20', '-5ms', '0ms', 'ms', '20mss', ''])('latency %j is refused, naming the flag and the forms', (text) => {
    expect(() => parseLatency('--latency', text)).toThrow(InputError);
    expect(() => parseLatency('--latency', text)).toThrow(`--latency: expected a positive duration with a unit and no space (20ms, 0.02s, 1500us) or a share of the largest subnet's latency (80%), got '${text}'`);
  });

  it('budgets: absolute or a share of the slowest subnet', () => {
    expect(parseLatencyBudget('--latency', '0.4ms')).toEqual({ ms: 0.4 });
    expect(parseLatencyBudget('--latency', '80%')).toEqual({ fraction: 0.8 });
    expect(parseLatencyBudget('--latency', '12.5%')).toEqual({ fraction: 0.125 });
    for (const bad of ['0%', '150%', '80 %', '%']) expect(() => parseLatencyBudget('--latency', bad)).toThrow(InputError);
  });

  it.each(['300 M', 'many', '5X', '-1M', '0'])('count %j is refused', (text) => {
    expect(() => parseCount('--macs', text)).toThrow("--macs: expected a positive count");
  });
});
