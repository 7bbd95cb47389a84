import type { Command } from 'commander';
import { DEFAULT_SUPERNET } from '../defaults.js';
import { describeAdaptation, LOCAL_DEVICE } from '../../latency/index.js';
import { DEFAULT_SESSION } from '../../runtime/index.js';
import {
  DEFAULT_EVOLUTION,
  DEFAULT_LATENCY_MARGIN,
  DEFAULT_PREDICTOR_SAMPLES,
  defaultSampleProcesses,
  describeShare,
  formatCount,
  formatMs,
  parseCount,
  parseLatencyBudget,
  runSearch,
  writeSearchOutputs,
  type Constraints,
  type CostName,
  type StrategyName,
} from '../../search/index.js';
import { intFlag, printJson, UsageError, type CliIO } from '../io.js';
import { progressReporter } from '../progress.js';

interface SearchFlags {
  latency?: string;
  macs?: string;
  params?: string;
  device: string;
  space?: string;
  supernet: string;
  table?: string;
  threads: string;
  strategy: string;
  population: string;
  generations: string;
  samples?: string;
  objectives?: string;
  accuracy: string;
  predictorSamples: string;
  jobs: string;
  finalists: string;
  margin: string;
  known: boolean;
  seed: string;
  out: string;
  json?: boolean;
}

const OBJECTIVE_FLAGS: Record<string, CostName> = { latency: 'latencyMs', macs: 'macs', params: 'params' };

function constraintsFrom(f: SearchFlags): { constraints: Constraints; relativeLatency?: number } {
  const latency = f.latency != null ? parseLatencyBudget('--latency', f.latency) : undefined;
  const constraints = {
    ...(latency && 'ms' in latency ? { latencyMs: latency.ms } : {}),
    ...(f.macs != null ? { macs: parseCount('--macs', f.macs) } : {}),
    ...(f.params != null ? { params: parseCount('--params', f.params) } : {}),
  };
  return { constraints, relativeLatency: latency && 'fraction' in latency ? latency.fraction : undefined };
}

function objectivesFrom(value: string | undefined): CostName[] | undefined {
  if (value == null) return undefined;
  return value.split(',').map((name) => {
    const cost = OBJECTIVE_FLAGS[name.trim()];
    if (!cost) throw new UsageError(`--objectives: expected a comma-separated list of ${Object.keys(OBJECTIVE_FLAGS).join(', ')}, got '${value}'`);
    return cost;
  });
}

export function registerSearchCommands(program: Command, io: CliIO): void {
  program
    .command('search')
    .description('find the most accurate subnet that fits a latency (and/or MACs, params) budget on a device; export it with a report')
    .option('--latency <t>', 'latency budget on the device: 20ms, 0.02s, 1500us, or 80% (of the largest subnet\'s predicted latency there)')
    .option('--macs <n>', 'MACs budget: 300M')
    .option('--params <n>', 'parameter budget: 5M')
    .option('--device <name>', 'device whose latency table to use (local = this machine, profiled on first use)', LOCAL_DEVICE)
    .option('--space <id>', 'search space (must match the supernet\'s)')
    .option('--supernet <dir>', 'supernet checkpoint folder', DEFAULT_SUPERNET)
    .option('--table <file>', 'latency table file (default $HBX_HOME/latency/<device>.json)')
    .option('--threads <n>', 'intra-op threads of the deployment', String(DEFAULT_SESSION.threads))
    .option('--strategy <name>', 'evolution, random or nsga2', 'evolution')
    .option('--population <n>', 'population size', String(DEFAULT_EVOLUTION.population))
    .option('--generations <n>', 'generations', String(DEFAULT_EVOLUTION.generations))
    .option('--samples <n>', 'random: feasible samples (default population x generations)')
    .option('--objectives <list>', 'nsga2: costs minimised next to accuracy (latency,macs,params; default latency and the constrained ones)')
    .option('--accuracy <how>', 'predictor (MLP trained on supernet evaluations, cached) or direct (the supernet; slow)', 'predictor')
    .option('--predictor-samples <n>', 'subnets evaluated to train the accuracy predictor', String(DEFAULT_PREDICTOR_SAMPLES))
    .option('--jobs <n>', 'processes evaluating subnets side by side: the predictor samples and the finalists (default: one per core, at most 8)', String(defaultSampleProcesses()))
    .option('--finalists <n>', 'top candidates evaluated with the supernet and measured', '5')
    .option('--margin <fraction>', 'share of the latency budget a measured finalist must leave free', String(DEFAULT_LATENCY_MARGIN))
    .option('--no-known', 'only this search\'s finalists compete: subnets evaluated before (accuracy samples, earlier finalists) are ignored and nothing is recorded')
    .option('--seed <s>', 'random seed', '0')
    .option('--out <dir>', 'output folder', 'hbx-out')
    .option('--json', 'print {"arch", "accuracy", "predictedMs", "measuredMs", "macs", "params", "latencyBudgetMs", "out"}')
    .action(async (f: SearchFlags) => {
      if (!['evolution', 'random', 'nsga2'].includes(f.strategy)) throw new UsageError(`--strategy: expected evolution, random or nsga2, got '${f.strategy}'`);
      if (f.accuracy !== 'predictor' && f.accuracy !== 'direct') throw new UsageError(`--accuracy: expected predictor or direct, got '${f.accuracy}'`);
      const margin = Number(f.margin);
      if (!(margin >= 0 && margin < 0.5)) throw new UsageError(`--margin: expected a fraction in [0, 0.5), got '${f.margin}'`);
      const { constraints, relativeLatency } = constraintsFrom(f);
      const progress = progressReporter(io);
      const outcome = await runSearch({
        supernet: f.supernet,
        space: f.space,
        device: f.device,
        table: f.table,
        settings: { ...DEFAULT_SESSION, threads: intFlag('--threads', f.threads, 1, 1) },
        constraints,
        relativeLatency,
        strategy: f.strategy as StrategyName,
        population: intFlag('--population', f.population, DEFAULT_EVOLUTION.population, 2),
        generations: intFlag('--generations', f.generations, DEFAULT_EVOLUTION.generations, 0),
        samples: f.samples != null ? intFlag('--samples', f.samples, 0, 1) : undefined,
        objectives: objectivesFrom(f.objectives),
        accuracy: f.accuracy,
        predictorSamples: intFlag('--predictor-samples', f.predictorSamples, DEFAULT_PREDICTOR_SAMPLES, 3),
        evaluationProcesses: intFlag('--jobs', f.jobs, 1, 1),
        finalists: intFlag('--finalists', f.finalists, 5, 1),
        latencyMargin: margin,
        useKnown: f.known,
        seed: intFlag('--seed', f.seed, 0),
        onProgress: progress.update,
        onMessage: (text) => io.err(text),
      });
      progress.stop();
      const files = await writeSearchOutputs(outcome, f.out);
      const c = outcome.chosen;
      const q = outcome.predictor;
      if (q) io.err(`accuracy predictor: ${q.samples} supernet-evaluated subnets${q.cached ? ' (cached)' : ''}, held-out RMSE ${(q.quality.rmse * 100).toFixed(2)} points, Spearman ${q.quality.spearman.toFixed(3)}\n`);
      io.err(`${outcome.calls.candidates} candidates scored in ${outcome.seconds.search.toFixed(1)} s; ${outcome.seconds.total.toFixed(1)} s in all\n`);
      const budget = outcome.latencyBudget;
      if (budget) io.err(`latency budget: ${describeShare(budget)} -> ${formatMs(budget.ms)} ms\n`);
      if (f.json) return printJson(io, { arch: c.arch, accuracy: c.accuracy, predictedMs: c.predictedMs, measuredMs: c.measuredMs ?? null, macs: c.macs, params: c.params, latencyBudgetMs: outcome.settings.constraints.latencyMs ?? null, out: f.out });
      io.err(
        `chosen: top-1 ${(c.accuracy * 100).toFixed(2)}% (validation), ${formatMs(c.predictedMs)} ms predicted${c.measuredMs != null ? `, ${formatMs(c.measuredMs)} ms measured` : ''} on ${f.device}${outcome.latencyTable.adapted ? ` (${describeAdaptation(outcome.latencyTable.adapted)})` : ''}, ${formatCount(c.macs)} MACs, ${formatCount(c.params)} params\n` +
          `wrote ${[files.arch, files.onnx, files.paretoCsv, files.paretoJson, files.paretoSvg, files.paretoPng, files.report].join(', ')}\n`,
      );
    });
}
