// How far apart a supernet's extreme subnets are: test top-1 (hbx eval --arch largest|smallest
// --split test: BN recalibrated on 2,000 training images, all 10,000 test images), MACs, and
// end-to-end latency on this machine (hbx export, then hbx latency measure: the timing
// protocol's figure, 1 thread), the exports timed alternately in `--rounds` rounds. `--archs`
// compares other subnets (arch files or the two names), the ratios taken between the first and
// the last.
//   npx tsx bench/supernet-spread.ts [--supernet DIR] [--archs smallest,largest] [--rounds 3] [--no-eval]
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { SHIPPED_SUPERNET } from '../networks/index.js';
import { hbxJson as hbx } from './hbx_json.js';

const { values: flags } = parseArgs({ options: { supernet: { type: 'string', default: SHIPPED_SUPERNET }, archs: { type: 'string', default: 'smallest,largest' }, rounds: { type: 'string', default: '3' }, 'no-eval': { type: 'boolean', default: false } } });
const out = mkdtempSync(join(tmpdir(), 'hbx-spread-'));

const rows = flags.archs.split(',').map((which, i) => {
  const onnx = join(out, `${i}-${basename(which)}.onnx`);
  const exported = hbx('export', '--supernet', flags.supernet, '--arch', which, '--out', onnx, '--batch', '1');
  const top1 = flags['no-eval'] ? NaN : hbx('eval', '--supernet', flags.supernet, '--arch', which, '--split', 'test').top1;
  return { which, onnx, macs: exported.macs, params: exported.params, resolution: exported.resolution, top1, ms: [] as number[] };
});
for (let round = 0; round < Number(flags.rounds); round++) {
  for (const row of round % 2 ? [...rows].reverse() : rows) row.ms.push(hbx('latency', 'measure', row.onnx, '--runs', '300').ms);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const percent = (x: number) => (Number.isNaN(x) ? 'not evaluated' : `${(x * 100).toFixed(2)}%`);
for (const r of rows) {
  console.log(
    `${r.which}: test top-1 ${percent(r.top1)}, ${(r.macs / 1e6).toFixed(2)}M MACs, ${(r.params / 1e6).toFixed(2)}M params at ${r.resolution}x${r.resolution}, ` +
      `${median(r.ms).toFixed(3)} ms (rounds: ${r.ms.map((m) => m.toFixed(3)).join(', ')})`,
  );
}
const [small, large] = [rows[0], rows[rows.length - 1]];
console.log(`${large.which} / ${small.which}: ${(median(large.ms) / median(small.ms)).toFixed(2)}x latency, ${(large.macs / small.macs).toFixed(1)}x MACs, ${flags['no-eval'] ? 'test top-1 not evaluated' : `${((large.top1 - small.top1) * 100).toFixed(2)} points of test top-1`}`);
