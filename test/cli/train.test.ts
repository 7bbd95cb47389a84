import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runHbxBinary } from '../helpers/child.js';
import { fashionMnistData } from '../helpers/fixture_data.js';

const root = mkdtempSync(join(tmpdir(), 'hbx-train-params-'));
const env = { ...process.env, HBX_DATA: fashionMnistData(root, 24) };
const args = (out: string, params: string) => ['train', '--dataset', 'fashion-mnist', '--epochs', '1', '--width', '0.25', '--subnets-per-step', '0', '--out', out, '--params', params];

describe("hbx train: settings from --params (hbx tune's best-params.json) and the augmentation flags", () => {
  it('trains with the file\'s settings, flags on the command line winning; the run records them', async () => {
    const params = join(root, 'best-params.json');
    writeFileSync(params, JSON.stringify({ lr: 0.0123, weightDecay: 0.0005, labelSmoothing: 0.05, batchSize: 11, cutout: 4, epochs: 3 }));
    const out = join(root, 'run');
    const r = await runHbxBinary(args(out, params), { env });
    expect(r.status, r.stderr).toBe(0);
    const { config, epoch } = JSON.parse(readFileSync(join(out, 'state.json'), 'utf8'));
    expect(epoch).toBe(1);
    expect(config).toMatchObject({ lr: 0.0123, weightDecay: 0.0005, labelSmoothing: 0.05, batchSize: 11, epochs: 1, augment: { cutout: 4 } });
  }, 120_000);

  it('a bad file is one line, exit 2, naming the file and field, before any training', async () => {
    const params = join(root, 'bad.json');
    writeFileSync(params, JSON.stringify({ lr: 'fast' }));
    const r = await runHbxBinary(args(join(root, 'bad-run'), params), { env });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`${params}: field 'lr'`);
  });

  it('--augment, --erasing and --mix, on two workers: the run records the policy it trained with', async () => {
    const out = join(root, 'augmented');
    const r = await runHbxBinary(['train', '--workers', '2', '--dataset', 'fashion-mnist', '--epochs', '1', '--width', '0.25', '--subnets-per-step', '0', '--batch-size', '8', '--out', out, '--augment', 'randaugment:2,9', '--erasing', '0.25', '--resized-crop', '0.35,1', '--mix', 'cutmix:0.5'], { env });
    expect(r.status, r.stderr).toBe(0);
    const { config } = JSON.parse(readFileSync(join(out, 'state.json'), 'utf8'));
    expect(config.augment).toEqual({ cropPadding: 2, horizontalFlip: true, cutout: 0, policy: { kind: 'randaugment', n: 2, m: 9 }, erasing: 0.25, resizedCrop: [0.35, 1], mix: { kind: 'cutmix', alpha: 0.5 } });
  }, 120_000);

  it('--wasm-threads 2: trains on the threaded wasm build and exits when done (XNNPACK\'s threads do not hold the process)', async () => {
    const out = join(root, 'threaded');
    const r = await runHbxBinary(['--wasm-threads', '2', 'train', '--workers', '1', '--dataset', 'fashion-mnist', '--epochs', '1', '--width', '0.25', '--subnets-per-step', '0', '--batch-size', '8', '--out', out], { env });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'state.json'), 'utf8')).epoch).toBe(1);
  }, 120_000);

  it('a bad policy is one line, exit 2, naming the file and field', async () => {
    const policy = join(root, 'policy.json');
    writeFileSync(policy, JSON.stringify({ format: 'hbx-augment-policy', policy: { kind: 'subpolicies', bins: 10, range: 'standard', subpolicies: [[{ op: 'Rotate', probability: -0.1, magnitude: 2 }]] } }));
    const cases: [string[], string][] = [
      [['--augment', policy], `${policy}: field 'policy.subpolicies.0.0.probability'`],
      [['--augment', 'randaugment:2'], '--augment: expected randaugment:N,M'],
      [['--mix', 'blend'], "--mix: expected none, mixup[:ALPHA] or cutmix[:ALPHA] with ALPHA > 0, got 'blend'"],
      [['--erasing', '2'], "--erasing: expected a probability in [0, 1], got '2'"],
      [['--workers', '0'], "--workers: expected an integer >= 1, got '0'"],
      [['--workers', '9', '--batch-size', '8'], '--workers: 9 workers need a batch of at least 9 images, got 8'],
      [['--split', 'rows'], "--split: expected auto or batch or subnets, got 'rows'"],
      [['--workers', '3', '--split', 'subnets', '--subnets-per-step', '0'], '--split subnets: 3 workers need at least 3 subnets per step, this run trains 2'],
      [['--wasm-threads', '0'], "--wasm-threads: expected a whole number of threads from 1 to 8, got '0'"],
    ];
    for (const [flags, expected] of cases) {
      // --wasm-threads belongs to hbx itself, before the command.
      const [root_, command] = flags[0] === '--wasm-threads' ? [flags, []] : [[], flags];
      const r = await runHbxBinary([...root_, 'train', '--dataset', 'fashion-mnist', '--out', join(root, 'never'), ...command], { env });
      expect(r.status, flags.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(expected);
    }
  });
});
