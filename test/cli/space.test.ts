import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseArch, type Arch } from '../../index.js';
import { runHbxBinary } from '../helpers/child.js';
import { hbx } from '../helpers/cli.js';

describe('hbx space', () => {
  it('list names the built-in spaces', async () => {
    const r = await hbx('space', 'list', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).map((s: { id: string }) => s.id)).toEqual(['ofa-mbv3', 'mbconv-stack', 'nb201', 'darts', 'proxyless', 'resnet']);
  });

  it('show, by default, the OFA MobileNetV3 space', async () => {
    const r = await hbx('space', 'show', '--json');
    const s = JSON.parse(r.stdout);
    expect(s.space).toBe('ofa-mbv3');
    expect(s.decisions).toHaveLength(46);
  });

  it('show --json gives the decisions and the arch count', async () => {
    const r = await hbx('space', 'show', '--space', 'mbconv-stack', '--json');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.decisions).toHaveLength(12);
    expect(s.decisions.find((d: { key: string }) => d.key === 'ks_block1').candidates).toEqual(['3', '5', '7']);
    expect(s.archCount).toBe('531441');
    expect(s.parameters).toBeGreaterThan(200_000);
  });

  it('sample: valid arch JSON, reproducible by seed, an array with --count', async () => {
    const one = await hbx('space', 'sample', '--space', 'mbconv-stack', '--seed', '4');
    expect(one.code).toBe(0);
    const arch = JSON.parse(one.stdout) as Arch;
    expect(parseArch(arch)).toEqual({ form: 'choices', arch });
    expect(Object.keys(arch.choices)).toHaveLength(12);
    expect((await hbx('space', 'sample', '--space', 'mbconv-stack', '--seed', '4')).stdout).toBe(one.stdout);
    const many = JSON.parse((await hbx('space', 'sample', '--space', 'mbconv-stack', '--seed', '4', '--count', '5')).stdout) as Arch[];
    expect(many).toHaveLength(5);
    expect(many[0]).toEqual(arch);
    expect(new Set(many.map((a) => JSON.stringify(a))).size).toBe(5);
  });

  it.each([
    [['space', 'show', '--space', 'nope'], "hbx: --space: unknown space 'nope', expected one of ofa-mbv3, mbconv-stack, nb201, darts, proxyless, resnet\n"],
    [['space', 'sample', '--count', '0'], "hbx: --count: expected an integer >= 1, got '0'\n"],
    [['--backend', 'gpu', 'space', 'list'], "hbx: --backend: unknown backend 'gpu', expected one of wasm, cpu, tensorflow, webgpu\n"],
  ])('bad input %j exits 2 with one line', async (argv, message) => {
    const r = await hbx(...argv);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(message);
    expect(r.stdout).toBe('');
  });

  it('an unknown command is a usage error (exit 2)', async () => {
    const r = await hbx('spaces');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command 'spaces'/);
  });
});

describe('the built hbx binary (npm test builds it first)', () => {
  const bin = 'dist/cli/main.js';
  it('runs under plain node and exits 2 on bad input', async () => {
    expect(existsSync(bin)).toBe(true);
    const ok = await runHbxBinary(['space', 'sample', '--seed', '1']);
    expect(ok.status, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout).space).toBe('ofa-mbv3'); // the default space
    const bad = await runHbxBinary(['space', 'sample', '--seed', '-1']);
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toEqual(["hbx: --seed: expected an integer >= 0, got '-1'"]);
  });
});
