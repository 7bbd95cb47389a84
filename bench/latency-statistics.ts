/**
 * Raw data for choosing the timing statistic (bench behind TIMING_PROTOCOL): every distinct block and
 * N random subnets, each timed alone in P passes (whole sweep per pass), raw statistics kept.
 *
 *   npx tsx bench/latency-statistics.ts --space fmnist|imagenet [--subnets 150] [--passes 3] --out FILE
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  blockKey,
  createSession,
  DEFAULT_SESSION,
  exportOnnx,
  initBackend,
  loadSupernet,
  OFA_IMAGENET,
  ofaArchBlocks,
  OFAMobileNetV3,
  randomFeeds,
  sampleArchs,
  FIRST_SUPERNET,
  type AnyModule,
  latencySpaceOf,
} from '../index.js';

const { values: f } = parseArgs({
  options: {
    space: { type: 'string', default: 'fmnist' },
    subnets: { type: 'string', default: '150' },
    passes: { type: 'string', default: '3' },
    runs: { type: 'string', default: '100' },
    threads: { type: 'string', default: '1' },
    opt: { type: 'string', default: 'all' },
    out: { type: 'string', default: '/tmp/latency-statistics.json' },
  },
});
await initBackend('wasm');
const settings = { ...DEFAULT_SESSION, threads: Number(f.threads), graphOptimizationLevel: f.opt as 'all' };
const supernet: AnyModule = f.space === 'fmnist' ? loadSupernet(FIRST_SUPERNET) : new OFAMobileNetV3(OFA_IMAGENET);
const options = (supernet as OFAMobileNetV3).options;
const space = latencySpaceOf(new OFAMobileNetV3(options));
const runs = Number(f.runs);
const passes = Number(f.passes);

function stats(times: number[]): Record<string, number> {
  const s = [...times].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { min: s[0], p10: q(0.1), p25: q(0.25), median: q(0.5), mean: times.reduce((a, b) => a + b, 0) / times.length };
}

async function timeAlone(bytes: Uint8Array, n: number) {
  const session = await createSession(bytes, settings);
  const feeds = randomFeeds(session);
  for (let i = 0; i < 10; i++) await session.run(feeds);
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await session.run(feeds);
    times.push(performance.now() - t0);
  }
  await session.release();
  return stats(times);
}

const blocks = space.blockGroups(space.resolutions).flatMap((g) => g.blocks);
const blockBytes = blocks.map((b) => space.blockOnnx(b));
const archs = sampleArchs(space, space.resolutions, Number(f.subnets), 4242);
const archBytes = archs.map((a) => {
  const sub = space.subnet(supernet, a);
  const bytes = exportOnnx(sub, { batch: 1 });
  sub.dispose();
  return bytes;
});
const blockStats: Record<string, ReturnType<typeof stats>[]> = {};
const archStats: ReturnType<typeof stats>[][] = archs.map(() => []);
const t0 = performance.now();
for (let p = 0; p < passes; p++) {
  for (let i = 0; i < blocks.length; i++) (blockStats[blocks[i].key] ??= []).push(await timeAlone(blockBytes[i], runs));
  console.error(`pass ${p} blocks done ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  for (let i = 0; i < archs.length; i++) archStats[i].push(await timeAlone(archBytes[i], runs));
  console.error(`pass ${p} archs done ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}
writeFileSync(
  f.out!,
  JSON.stringify({
    blocks: blockStats,
    archs: archs.map((a, i) => ({ choices: a.choices, blocks: ofaArchBlocks(a, options).map(blockKey), stats: archStats[i] })),
  }),
);

// How far each statistic moved between passes over the same model (max / min - 1, median over models).
const spreadOf = (xs: number[]) => Math.max(...xs) / Math.min(...xs) - 1;
const medianOf = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log('| statistic | subnets: passes apart (median) | blocks: passes apart (median) |');
console.log('|---|---:|---:|');
for (const s of ['min', 'p10', 'p25', 'median', 'mean']) {
  const a = medianOf(archStats.map((st) => spreadOf(st.map((x) => x[s]))));
  const b = medianOf(Object.values(blockStats).map((st) => spreadOf(st.map((x) => x[s]))));
  console.log(`| ${s} | ${(a * 100).toFixed(1)}% | ${(b * 100).toFixed(1)}% |`);
}
