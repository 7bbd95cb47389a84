import { describe, expect, it } from 'vitest';
import { AUTO_AUGMENT_POLICIES, magnitudeOf, OP_NAMES, type MagnitudeRange } from '../../augment/index.js';
import { readIdx } from '../../datasets/index.js';
import { runChild } from '../helpers/child.js';
import { compareWithTorchvision } from '../helpers/augment_fidelity.js';
import { fixtureBatch, pythonWithTorchvision } from '../helpers/torchvision.js';

const python = await pythonWithTorchvision();
const images = readIdx('test/fixtures/fashion-mnist/t10k-1000-images-idx3-ubyte.gz').data as Uint8Array;

// Debian's python3-torchvision is installed by .ci/run; without it these reference checks cannot run.
describe.runIf(python)('augment ops against torchvision 0.14', () => {
  for (const channels of [1, 3] as const) {
    it(`every op on 100 ${channels === 1 ? 'grayscale' : 'RGB'} images at three magnitudes: the same bytes (bilinear crop within 1)`, async () => {
      const rows = await compareWithTorchvision(python!, fixtureBatch(images, 100, channels));
      expect(rows.length).toBe(43);
      for (const r of rows) {
        if (r.op === 'ResizedCrop') {
          // float32 bilinear weights summed in another order: an occasional byte one off.
          expect(r.maxDiff, `${r.op} ${r.magnitude}`).toBeLessThanOrEqual(1);
          expect(r.differing).toBeLessThan(0.005);
        } else expect(r.maxDiff, `${r.op} ${r.magnitude}`).toBe(0);
      }
    });
  }

  it("magnitude bins and AutoAugment's policies are torchvision's", async () => {
    const script = [
      'import json, torch',
      'from torchvision.transforms import autoaugment as A',
      'out = {}',
      'for name, cls, bins in [("standard", A.RandAugment, 31), ("wide", A.TrivialAugmentWide, 31), ("auto", A.AutoAugment, 10)]:',
      '    t = cls()',
      '    space = t._augmentation_space(bins, (28, 20)) if name != "wide" else t._augmentation_space(bins)',
      '    out[name] = {k: (v.tolist() if v.ndim > 0 else [], s) for k, (v, s) in space.items()}',
      'out["policies"] = {p.value: A.AutoAugment(p).policies for p in A.AutoAugmentPolicy}',
      'print(json.dumps(out))',
    ].join('\n');
    const r = await runChild(python!, ['-c', script]);
    const tv = JSON.parse(r.stdout) as Record<string, Record<string, [number[], boolean]>> & { policies: Record<string, [string, number, number | null][][]> };
    for (const [key, range, bins] of [['standard', 'standard', 31], ['wide', 'wide', 31], ['auto', 'standard', 10]] as [string, MagnitudeRange, number][]) {
      for (const [op, [values]] of Object.entries(tv[key])) {
        expect(OP_NAMES).toContain(op);
        const ours = Array.from({ length: values.length }, (_, b) => magnitudeOf(op as never, b, bins, range, 28, 20));
        // torch's vectorised linspace can differ from its scalar formula by one float32 ulp.
        ours.forEach((v, b) => expect(Math.abs(v - values[b]), `${key} ${op} bin ${b}`).toBeLessThanOrEqual(Math.abs(values[b]) * 2e-7));
        expect(ours.map(Math.trunc), `${key} ${op}: whole pixels and bits`).toEqual(values.map(Math.trunc));
      }
    }
    for (const [name, table] of Object.entries(tv.policies)) {
      const ours = AUTO_AUGMENT_POLICIES[name].subpolicies.map((sub) => sub.map((s) => [s.op, s.probability, s.magnitude ?? null]));
      expect(ours, name).toEqual(table);
    }
  });
});
