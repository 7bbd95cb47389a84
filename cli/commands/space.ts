import type { Command } from 'commander';
import { DEFAULT_SPACE, getSpace, SPACES } from '../../networks/index.js';
import { RandomMutator, summarizeSpace } from '../../space/index.js';
import { intFlag, printJson, type CliIO } from '../io.js';

export function registerSpaceCommands(program: Command, io: CliIO): void {
  const space = program.command('space').description('search spaces: list them, show one, sample archs');

  space
    .command('list')
    .description('the built-in search spaces')
    .option('--json', 'machine-readable output')
    .action((opts: { json?: boolean }) => {
      const rows = [...SPACES.values()].map((s) => ({ id: s.id, description: s.description }));
      if (opts.json) return printJson(io, rows);
      for (const r of rows) io.out(`${r.id.padEnd(16)} ${r.description}${r.id === DEFAULT_SPACE ? ' (default)' : ''}\n`);
    });

  space
    .command('show')
    .description('the decisions of a space, their candidates and the number of archs')
    .option('--space <id>', 'search space', DEFAULT_SPACE)
    .option('--json', 'machine-readable output')
    .action((opts: { space: string; json?: boolean }) => {
      const entry = getSpace(opts.space);
      const summary = summarizeSpace(entry.create());
      if (opts.json) return printJson(io, summary);
      io.out(`${summary.space}: ${entry.description}\n`);
      io.out(`${summary.decisions.length} decisions, ${summary.archCount} choice combinations, supernet holds ${summary.parameters.toLocaleString('en-US')} parameters\n\n`);
      const width = Math.max(...summary.decisions.map((d) => d.key.length));
      for (const d of summary.decisions) io.out(`  ${d.key.padEnd(width)}  ${d.kind.padEnd(9)}  ${d.candidates.join(' | ')}\n`);
    });

  space
    .command('sample')
    .description('random archs as arch JSON on stdout (one object, or an array when --count > 1)')
    .option('--space <id>', 'search space', DEFAULT_SPACE)
    .option('--seed <n>', 'random seed', '0')
    .option('--count <k>', 'how many archs', '1')
    .action((opts: { space: string; seed: string; count: string }) => {
      const seed = intFlag('--seed', opts.seed, 0);
      const count = intFlag('--count', opts.count, 1, 1);
      const mutator = new RandomMutator(getSpace(opts.space).create(), { seed });
      const archs = Array.from({ length: count }, () => mutator.reset());
      printJson(io, count === 1 ? archs[0] : archs);
    });
}
