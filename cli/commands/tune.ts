import type { Command } from 'commander';
import { openConfiguredStudy, readTuneConfig, runTune, summarizeStudy, writeStudyReport, type StudySummary } from '../../tune/index.js';
import { printJson, UsageError, type CliIO } from '../io.js';
import { progressReporter } from '../progress.js';

function describeBest(summary: StudySummary): string {
  if (summary.best.length === 0) return 'no complete trial yet';
  if (summary.best.length === 1) return `best trial ${summary.best[0].number}: ${summary.best[0].values.join(', ')} with ${JSON.stringify(summary.best[0].params)}`;
  return `${summary.best.length} trials on the Pareto front`;
}

function describeCounts(summary: StudySummary): string {
  return Object.entries(summary.counts)
    .filter(([, n]) => n > 0)
    .map(([state, n]) => `${n} ${state}`)
    .join(', ');
}

export function registerTuneCommands(program: Command, io: CliIO): void {
  const tune = program
    .command('tune')
    .description('hyperparameter optimisation: run the study a config file describes (TPE, pruning, journal or PostgreSQL storage)')
    .option('--config <file>', 'study config (YAML or JSON): space, objective, sampler, pruner, budget')
    .option('--resume', 'continue the study the storage already holds')
    .option('--json', 'print the summary as JSON')
    .action(async (opts: { config?: string; resume?: boolean; json?: boolean }) => {
      if (!opts.config) {
        tune.outputHelp();
        return;
      }
      const config = readTuneConfig(opts.config);
      const progress = progressReporter(io);
      const summary = await runTune(config, {
        resume: opts.resume,
        onReportError: (err) => io.err(`warning: plots and report.html not written (${err.message})\n`),
        onTrial: (study) => {
          const done = study.getTrials(['complete', 'pruned']).length;
          progress.update('tune', done, config.trials ?? done, describeBest(summarizeStudy(study)));
        },
      }).finally(() => progress.stop());
      if (opts.json) printJson(io, summary);
      else io.out(`study '${summary.study}' (${summary.storage}): ${describeCounts(summary)}; ${describeBest(summary)}; outputs in ${config.out}\n`);
    });

  for (const [name, description] of [
    ['status', 'trial counts by state and the best so far'],
    ['best', 'the best trial (or the Pareto front)'],
    ['report', 'write the plots and report.html now (also while the study runs)'],
  ] as const) {
    tune
      .command(name)
      .description(description)
      .option('--config <file>', 'the study config')
      .option('--json', 'print JSON')
      .action(async (opts: { config?: string; json?: boolean }, command: Command) => {
        // `hbx tune status --config F`: commander hands options shared with `tune` to the parent.
        const parent = command.parent!.opts<{ config?: string; json?: boolean }>();
        const file = opts.config ?? parent.config;
        if (!file) throw new UsageError(`hbx tune ${name}: --config <file> is required`);
        opts.json ||= parent.json;
        const config = readTuneConfig(file);
        const study = await openConfiguredStudy(config, true);
        const summary = summarizeStudy(study);
        const written = await (name === 'report' ? writeStudyReport(study, config.out) : null)?.finally(() => study.storage.close());
        if (!written) await study.storage.close();
        if (written) io.out(`${written.report}\n`);
        else if (name === 'best') {
          if (opts.json) printJson(io, summary.directions.length === 1 ? (summary.best[0] ?? null) : summary.best);
          else io.out(`${describeBest(summary)}\n`);
        } else if (opts.json) printJson(io, summary);
        else io.out(`study '${summary.study}' (${summary.storage}): ${describeCounts(summary) || 'no trials'}; ${describeBest(summary)}\n`);
      });
  }
}
