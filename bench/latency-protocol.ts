/**
 * The timing protocol and the predictor on this machine: profiles the `local` table of a
 * space (with and without the reference model that scales every figure to one machine
 * speed), then validates each on the same held-out random subnets in several rounds, minutes
 * apart, alternating the variants so that the machine's moods fall on both.
 *
 *   npx tsx bench/latency-protocol.ts [--space imagenet|fashion-mnist|tiny-user|ID] [--samples 100] [--rounds 3] [--variants reference|pass|choice|operators]
 *
 * --space takes ofa-mbv3's ImageNet configuration, the shipped Fashion-MNIST supernet's, the
 * tests' user-defined space without latency blocks (test/helpers/user_space.ts), or any
 * registered space's id (its default configuration).
 *
 * --variants pass compares blocks timed in passes of at least 20 ms with the default 5 ms (both with the reference);
 * --variants choice adds the default profile, which keeps raw figures where they fit the calibration clearly better.
 * --variants operators: the default profile of the space's declared blocks against one per operator (perOpLatency).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  DEFAULT_SESSION,
  initBackend,
  LatencyPredictor,
  loadSupernet,
  OFA_IMAGENET,
  OFAMobileNetV3,
  profileDevice,
  FIRST_SUPERNET,
  validatePredictor,
  type LatencyTable,
  latencySpaceOf,
  getSpace,
  type LatencySpace,
} from '../index.js';
import '../test/helpers/user_space.js';

const { values: f } = parseArgs({ options: { space: { type: 'string', default: 'imagenet' }, samples: { type: 'string', default: '100' }, rounds: { type: 'string', default: '3' }, seed: { type: 'string', default: '2' }, variants: { type: 'string', default: 'reference' } } });
await initBackend('wasm');
const model =
  f.space === 'imagenet' ? new OFAMobileNetV3(OFA_IMAGENET) : f.space === 'fashion-mnist' ? new OFAMobileNetV3((loadSupernet(FIRST_SUPERNET) as OFAMobileNetV3).options) : getSpace(f.space!).create({});
const space = latencySpaceOf(model);
const dir = mkdtempSync(join(tmpdir(), 'hbx-protocol-'));
const pct = (x: number) => `${(x * 100).toFixed(0)}%`;

type Variant = { name: string; reference: boolean; choose?: boolean; minPassMs?: number; space?: LatencySpace; table?: LatencyTable; seconds?: number };
const variants: Variant[] = f.variants === 'operators'
  ? [
      { name: 'declared blocks', reference: true, choose: true },
      { name: 'per operator', reference: true, choose: true, space: latencySpaceOf(model, { perOperator: true }) },
    ]
  : f.variants === 'pass'
  ? [
      { name: 'reference model, 20 ms block passes', reference: true, minPassMs: 20 },
      { name: 'reference model, 5 ms block passes', reference: true },
    ]
  : [
      { name: 'reference model', reference: true },
      { name: 'no reference', reference: false },
      ...(f.variants === 'choice' ? [{ name: 'chosen (scaled or raw by the fit)', reference: true, choose: true }] : []),
    ];
for (const v of variants) {
  const t0 = performance.now();
  // force: a bench reports what it measured; the table's repeatability is printed beside it.
  v.table = await profileDevice({ device: 'local', space: v.space ?? space, settings: DEFAULT_SESSION, path: join(dir, `${variants.indexOf(v)}.json`), reference: v.reference, chooseScaling: v.choose ?? false, force: true, timing: v.minPassMs ? { minPassMs: v.minPassMs } : undefined });
  v.seconds = (performance.now() - t0) / 1000;
  const t = v.table.timing!;
  console.error(`${v.name}: profiled in ${v.seconds.toFixed(0)} s`);
  console.log(
    `table (${v.name}): ${Object.keys(v.table.entries).length} blocks + ${v.table.calibration!.samples} calibration subnets in ${v.seconds.toFixed(0)} s; ` +
      `passes ${pct(t.spreadMedian)} apart (median), p90 ${pct(t.spreadP90)}, ${t.retimed} re-timed, other processes ${t.otherCores.toFixed(2)} cores; ` +
      `calibration ${JSON.stringify(v.table.calibration)}`,
  );
}
console.log(`\n${f.space} space, ${f.samples} held-out subnets (seed ${f.seed}), onnxruntime-node CPU 1 thread\n`);
console.log('| round | table | within +-10% | within +-5% | MAPE | Spearman |');
console.log('|---:|---|---:|---:|---:|---:|');
for (let round = 1; round <= Number(f.rounds); round++) {
  for (const v of round % 2 ? variants : [...variants].reverse()) {
    const r = await validatePredictor(new LatencyPredictor(v.table!, v.space ?? space), v.space ?? space, { samples: Number(f.samples), seed: Number(f.seed), settings: DEFAULT_SESSION });
    console.log(`| ${round} | ${v.name} | ${pct(r.within10)} | ${pct(r.within5)} | ${(r.mape * 100).toFixed(1)}% | ${r.spearman.toFixed(3)} |`);
  }
}
