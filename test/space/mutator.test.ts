import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Conv2d, FixedArchitecture, InputSpace, Module, OperationSpace, RandomMutator, readArchFile, ValueSpace, writeArchFile, type Arch } from '../../space/index.js';
import { InputError } from '../../tensor/index.js';
import { useWasm } from '../helpers/setup.js';

useWasm();

/** A small space with every kind of mutable, shared and derived keys. */
class Cell extends Module<[tf.Tensor], tf.Tensor> {
  readonly spaceId = 'test-cell';
  readonly expand = new ValueSpace([2, 3, 4], { key: 'expand' });
  readonly mid = this.expand.times(4);
  readonly stem = this.registerModule('stem', new Conv2d(3, 4, 3));
  readonly up = this.registerModule('up', new Conv2d(4, this.mid, 1));
  readonly op = this.registerModule(
    'op',
    new OperationSpace(
      { conv3: new Conv2d(this.mid, this.mid, 3, { groups: this.mid }), conv5: new Conv2d(this.mid, this.mid, 5, { groups: this.mid }) },
      { key: 'op' },
    ),
  );
  readonly down = this.registerModule('down', new Conv2d(this.mid, 4, new ValueSpace([1, 3], { key: 'ks_down' })));
  readonly skip = this.registerModule('skip', new InputSpace({ nCandidates: 2, key: 'skip' }));

  forward(x: tf.Tensor): tf.Tensor {
    const s = this.stem.forward(x);
    const y = this.down.forward(this.op.forward(this.up.forward(s)) as tf.Tensor);
    return this.skip.forward([s, y]) as tf.Tensor;
  }
}

describe('Mutator', () => {
  it('collects each key once; derived spaces follow their base', () => {
    const cell = new Cell();
    const m = new RandomMutator(cell, { seed: 3 });
    expect(m.keys.sort()).toEqual(['expand', 'ks_down', 'op', 'skip']);
    expect(m.space).toBe('test-cell');
    for (let i = 0; i < 20; i++) {
      const arch = m.reset();
      expect(cell.mid.value).toBe(4 * (arch.choices.expand as number));
      expect(cell.forward(tf.zeros([1, 6, 6, 3])).shape).toEqual([1, 6, 6, 4]);
    }
  });

  it('any seed: reset() -> JSON file -> sampleByMask -> export is the identity', () => {
    const cell = new Cell();
    const dir = mkdtempSync(join(tmpdir(), 'hbx-arch-'));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed) => {
        const arch = new RandomMutator(cell, { seed }).reset();
        const file = join(dir, 'arch.json');
        writeArchFile(file, arch);
        const spec = readArchFile(file);
        expect(spec.form).toBe('choices');
        const other = new RandomMutator(cell, { seed: seed + 1 });
        other.sampleByMask((spec as { arch: Arch }).arch);
        expect(other.export()).toEqual(arch);
      }),
      { numRuns: 50 },
    );
  });

  it('the same seed gives the same sequence of archs', () => {
    const seq = (seed: number) => {
      const m = new RandomMutator(new Cell(), { seed });
      return Array.from({ length: 10 }, () => m.reset());
    };
    expect(seq(42)).toEqual(seq(42));
    expect(seq(42)).not.toEqual(seq(43));
  });

  it('accepts a Hyperbox one-hot mask dict and exports the same choices', () => {
    const cell = new Cell();
    const m = new RandomMutator(cell);
    m.sampleByMask({ expand: [0, 1, 0], op: [true, false], ks_down: [0, 1], skip: [1, 1] });
    expect(m.export()).toEqual({ space: 'test-cell', choices: { expand: 3, op: 'conv3', ks_down: 3, skip: [0, 1] } });
  });

  it('a float mask on an operation space gives a weighted mix of the candidates', () => {
    const a = new Conv2d(2, 2, 1);
    const b = new Conv2d(2, 2, 1);
    const op = new OperationSpace({ a, b }, { key: 'mix', mask: [0.25, 0.75] });
    const x = tf.randomNormal([1, 3, 3, 2]);
    const want = tf.add(tf.mul(a.forward(x), 0.25), tf.mul(b.forward(x), 0.75));
    expect(tf.max(tf.abs(tf.sub(op.forward(x) as tf.Tensor, want))).dataSync()[0]).toBeLessThan(1e-6);
    expect(op.choice).toEqual({ weights: [0.25, 0.75] });
  });

  it('InputSpace reductions: sum, mean, concat, none', () => {
    const xs = [tf.fill([1, 2], 1), tf.fill([1, 2], 2), tf.fill([1, 2], 4)];
    const pick = (reduction: 'sum' | 'mean' | 'concat' | 'none') =>
      new InputSpace({ nCandidates: 3, nChosen: 2, mask: [1, 0, 1], reduction }).forward(xs);
    expect((pick('sum') as tf.Tensor).arraySync()).toEqual([[5, 5]]);
    expect((pick('mean') as tf.Tensor).arraySync()).toEqual([[2.5, 2.5]]);
    expect((pick('concat') as tf.Tensor).arraySync()).toEqual([[1, 1, 4, 4]]);
    expect(pick('none')).toEqual([xs[0], xs[2]]);
  });

  it('RandomMutator picks exactly nChosen inputs, or a non-empty subset when unset', () => {
    class Two extends Module {
      readonly fixed = this.registerModule('fixed', new InputSpace({ nCandidates: 5, nChosen: 2, key: 'two' }));
      readonly any = this.registerModule('any', new InputSpace({ nCandidates: 3, key: 'any' }));
      forward() {
        return tf.zeros([1]);
      }
    }
    const m = new RandomMutator(new Two(), { seed: 9 });
    const subsets = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const { choices } = m.reset();
      expect((choices.two as number[]).length).toBe(2);
      expect((choices.any as number[]).length).toBeGreaterThan(0);
      subsets.add(JSON.stringify(choices.any));
    }
    expect(subsets.size).toBe(7); // every non-empty subset of 3 inputs
  });
});

describe('arch files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hbx-arch-bad-'));
  const write = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };

  it.each([
    ['missing.json', null, /missing\.json: cannot read \(ENOENT\)/],
    ['broken.json', '{"space": ', /broken\.json: not valid JSON/],
    ['list.json', '[1, 2]', /list\.json: expected a JSON object/],
    ['nospace.json', '{"choices": {"ks": 3}}', /nospace\.json: field 'space':/],
    ['badchoice.json', '{"space": "x", "choices": {"ks": {"a": 1}}}', /badchoice\.json: field 'choices\.ks':/],
    ['badmask.json', '{"ks": [0, "one", 0]}', /badmask\.json: field 'ks\.1':.*expected a mask list/],
  ])('%s', (name, text, message) => {
    const p = text == null ? join(dir, name) : write(name, text);
    expect(() => readArchFile(p)).toThrow(InputError);
    expect(() => readArchFile(p)).toThrow(message);
  });
});

describe('FixedArchitecture', () => {
  const arch: Arch = { space: 'test-cell', choices: { expand: 3, op: 'conv5', ks_down: 3, skip: [1] } };

  it('sets the model to the arch and keeps it: reset() returns it every time; from an arch file too', () => {
    const cell = new Cell();
    const m = new FixedArchitecture(cell, arch);
    expect(m.reset()).toEqual(arch);
    expect(m.reset()).toEqual(arch);
    expect(cell.op.choice).toBe('conv5');
    const dir = mkdtempSync(join(tmpdir(), 'hbx-fixed-'));
    const path = join(dir, 'arch.json');
    writeArchFile(path, arch);
    expect(new FixedArchitecture(new Cell(), path).reset()).toEqual(arch);
  });

  it('an arch of another space or with a bad choice is an InputError naming the file and field', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hbx-fixed-'));
    const other = join(dir, 'other.json');
    writeFileSync(other, JSON.stringify({ ...arch, space: 'nb201' }));
    expect(() => new FixedArchitecture(new Cell(), other)).toThrow(`${other}: field 'space': expected 'test-cell', got 'nb201'`);
    expect(() => new FixedArchitecture(new Cell(), { ...arch, choices: { ...arch.choices, op: 'conv7' } })).toThrow(/^arch: choice for 'op': "conv7" is not a candidate/);
  });
});
