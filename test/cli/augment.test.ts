import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { readIdx } from '../../datasets/index.js';
import { runHbxBinary } from '../helpers/child.js';
import { fashionMnistData } from '../helpers/fixture_data.js';

const root = mkdtempSync(join(tmpdir(), 'hbx-augment-cli-'));
const env = { ...process.env, HBX_DATA: fashionMnistData(root, 160) };

describe('hbx augment show', () => {
  it('writes a grid: each row the original image, then draws of the policy', async () => {
    const out = join(root, 'grid.png');
    const r = await runHbxBinary(['augment', 'show', 'randaugment:2,14', '--dataset', 'fashion-mnist', '--out', out, '--images', '3', '--samples', '4', '--scale', '2'], { env });
    expect(r.status, r.stderr).toBe(0);
    const { data, info } = await sharp(out).raw().toBuffer({ resolveWithObject: true });
    // 3 rows and 5 columns of 28-pixel cells with 2-pixel gaps, scaled twice.
    expect([info.width, info.height]).toEqual([(5 * 30 + 2) * 2, (3 * 30 + 2) * 2]);
    const first = readIdx('test/fixtures/fashion-mnist/t10k-1000-images-idx3-ubyte.gz').data as Uint8Array;
    const pixel = (x: number, y: number): number => data[(y * info.width + x) * info.channels];
    for (const [x, y] of [[10, 5], [20, 14], [3, 27]]) expect(pixel((2 + x) * 2, (2 + y) * 2)).toBe(first[y * 28 + x]);
    let changed = 0;
    for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) if (pixel((32 + x) * 2, (2 + y) * 2) !== first[y * 28 + x]) changed++;
    expect(changed).toBeGreaterThan(20);
  });

  it('a bad policy file is one line, exit 2, naming the file and field', async () => {
    const policyOf = (steps: object[]) => JSON.stringify({ format: 'hbx-augment-policy', policy: { kind: 'subpolicies', bins: 10, range: 'standard', subpolicies: [steps] } });
    const cases: [string, string, string][] = [
      ['op.json', policyOf([{ op: 'GaussianBlur', probability: 0.5, magnitude: 1 }]), "field 'policy.subpolicies.0.0.op'"],
      ['magnitude.json', policyOf([{ op: 'Rotate', probability: 0.5, magnitude: 12 }]), "field 'policy.subpolicies.0.0.magnitude': expected a bin in 0..9, got 12"],
      ['probability.json', policyOf([{ op: 'Invert', probability: 2 }]), "field 'policy.subpolicies.0.0.probability'"],
      ['text.json', 'Rotate with p 0.5', 'not valid JSON'],
    ];
    for (const [name, content, expected] of cases) {
      const path = join(root, name);
      writeFileSync(path, content);
      const r = await runHbxBinary(['augment', 'show', path, '--dataset', 'fashion-mnist', '--out', join(root, 'never.png')], { env });
      expect(r.status, name).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(`${path}: `);
      expect(r.stderr).toContain(expected);
    }
    expect(existsSync(join(root, 'never.png'))).toBe(false);
  });

  it('an unknown policy is one line, exit 2', async () => {
    const r = await runHbxBinary(['augment', 'show', 'autoaugment:mnist', '--dataset', 'fashion-mnist', '--out', join(root, 'x.png')], { env });
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe("hbx: <policy>: unknown AutoAugment policy 'mnist' (expected one of cifar10, svhn, imagenet)");
  });
});

describe('hbx augment search', () => {
  const small = ['--dataset', 'fashion-mnist', '--train-images', '128', '--val-images', '32', '--epochs', '1'];
  for (const method of ['differentiable', 'tpe']) {
    it(`--method ${method}: writes a policy file hbx train takes, and a record of the search`, async () => {
      const out = join(root, method);
      const r = await runHbxBinary(['augment', 'search', ...small, '--method', method, '--trials', '3', '--out', out, '--json'], { env });
      expect(r.status, r.stderr).toBe(0);
      const summary = JSON.parse(r.stdout);
      expect(summary.valTop1).toBeGreaterThanOrEqual(0);
      expect(summary.valTop1 * 32).toBe(Math.round(summary.valTop1 * 32));
      const search = JSON.parse(readFileSync(join(out, 'search.json'), 'utf8'));
      expect(search).toMatchObject({ method, dataset: 'fashion-mnist', trainImages: 128, valImages: 32, valTop1: summary.valTop1 });
      if (method === 'tpe') expect(search.trials).toHaveLength(3);
      else expect(Object.keys(search.probabilities)).toEqual(['aug_geometry', 'aug_color', 'aug_tone']);
      const trained = await runHbxBinary(['train', '--dataset', 'fashion-mnist', '--epochs', '1', '--width', '0.25', '--subnets-per-step', '0', '--batch-size', '32', '--out', join(out, 'train'), '--augment', join(out, 'policy.json')], { env });
      expect(trained.status, trained.stderr).toBe(0);
      const { config } = JSON.parse(readFileSync(join(out, 'train', 'state.json'), 'utf8'));
      expect(config.augment.policy).toEqual(JSON.parse(readFileSync(join(out, 'policy.json'), 'utf8')).policy);
    }, 120_000);
  }

  it('bad flags are one line, exit 2', async () => {
    const r = await runHbxBinary(['augment', 'search', ...small, '--method', 'evolution'], { env });
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe("hbx: --method: expected differentiable or tpe, got 'evolution'");
  });
});
