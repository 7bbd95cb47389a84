import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createStudy, epsilonSquared, parameterImportances, RandomSampler, writeStudyReport, type Trial } from '../../tune/index.js';

const root = mkdtempSync(join(tmpdir(), 'hbx-tune-report-'));

// x matters most, the optimiser choice a little, y hardly at all.
const objective = (t: Trial) => 10 * (t.suggestFloat('x', 0, 1) - 0.7) ** 2 + (t.suggestCategorical('opt', ['sgd', 'adam']) === 'adam' ? 0 : 0.3) + 0.001 * t.suggestFloat('y', 1e-3, 1, { log: true });

describe('parameter importances', () => {
  it('epsilon-squared: 1 when the groups explain everything, 0 (clipped) when they explain nothing', () => {
    expect(epsilonSquared([0, 0, 1, 1], [1, 1, 3, 3])).toBe(1);
    expect(epsilonSquared([0, 1, 0, 1], [1, 1, 3, 3])).toBe(0);
    // By hand: groups {1, 2} and {3, 6}; mean 3, SS_total 14, SS_between 2(1.5 - 3)^2 + 2(4.5 - 3)^2 = 9, MS_within (14 - 9) / 2.
    expect(epsilonSquared([0, 0, 1, 1], [1, 2, 3, 6])).toBeCloseTo((9 - 2.5) / 14, 12);
  });

  it('rank the parameters by how much of the objective each explains, and sum to 1', async () => {
    const study = await createStudy({ sampler: new RandomSampler({ seed: 3 }) });
    await study.optimize(objective, { nTrials: 200 });
    const imp = parameterImportances(study.trials);
    expect(Object.values(imp).reduce((s, v) => s + v, 0)).toBeCloseTo(1, 12);
    expect(imp.x).toBeGreaterThan(0.7);
    expect(imp.opt).toBeGreaterThan(imp.y);
    expect(imp.y).toBeLessThan(0.05);
  });
});

describe('study report', () => {
  it('writes three SVG plots and a self-contained report.html with every trial', async () => {
    const study = await createStudy({ studyName: 'report-one', sampler: new RandomSampler({ seed: 1 }) });
    await study.optimize(objective, { nTrials: 30 });
    const out = join(root, 'one');
    const { report } = await writeStudyReport(study, out);
    for (const f of ['history.svg', 'parallel.svg', 'importances.svg']) expect(readFileSync(join(out, f), 'utf8')).toMatch(/^<svg/);
    const html = readFileSync(report, 'utf8');
    expect(html.match(/<svg/g)).toHaveLength(3);
    expect(html).not.toMatch(/<script|<link|src="http/);
    // The trials table: one row per trial, the best first.
    expect(html.match(/<tr>/g)!.length).toBeGreaterThanOrEqual(30);
    const firstRow = html.split('<th>last step</th></tr></thead><tbody><tr><td>')[1];
    expect(Number(firstRow.split('<')[0])).toBe(study.bestTrial.number);
  });

  it('for several objectives, plots the objectives against each other with the Pareto front', async () => {
    const study = await createStudy({ studyName: 'report-two', directions: ['minimize', 'maximize'], sampler: new RandomSampler({ seed: 2 }) });
    await study.optimize((t) => {
      const x = t.suggestFloat('x', 0, 1);
      return [x, Math.sqrt(x) + 0.1 * t.suggestFloat('z', 0, 1)];
    }, { nTrials: 20 });
    const out = join(root, 'two');
    await writeStudyReport(study, out);
    expect(readFileSync(join(out, 'history.svg'), 'utf8')).toContain('Pareto front');
    expect(existsSync(join(out, 'report.html'))).toBe(true);
  });
});
